// A compiled statement as text with its parameters inlined as SQL literals, for the simple-query protocol: it
// takes several statements in one message (the deferred writes and COMMIT) but no parameters.
import pg from "pg";
import type { CompiledQuery } from "kysely";

// pg's own text form of a parameter (arrays as '{…}', objects as JSON, Buffers as bytea hex).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { prepareValue } = require("pg/lib/utils") as { prepareValue: (v: unknown) => string | null };

const withUtcDates = (v: unknown): unknown => (v instanceof Date ? v.toISOString() : Array.isArray(v) ? v.map(withUtcDates) : v);

/** One value as a literal. An untyped literal is typed by Postgres from its context, as a parameter would be. */
export function literal(v: unknown): string {
  if (v === null || v === undefined) return "NULL";
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new Error("inlineQuery: a number must be finite");
    return v < 0 ? `(${v})` : String(v); // parenthesised: "x -$1" must not become the comment "x --1"
  }
  if (typeof v === "bigint") return v < 0n ? `(${v})` : String(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "string") return pg.escapeLiteral(v);
  const text = prepareValue(withUtcDates(v));
  return text === null ? "NULL" : pg.escapeLiteral(text);
}

// A quoted literal or identifier ('…' or "…", doubled quotes inside), or a placeholder.
const TOKEN = /'(?:[^']|'')*'|"(?:[^"]|"")*"|\$(\d+)/g;

/**
 * Replaces `$n` placeholders outside quoted text ('…', "…") with the literal of parameter n. Kysely passes every
 * value as a parameter, so placeholders are the only `$n` outside quotes.
 */
export function inlineQuery(query: Pick<CompiledQuery, "sql" | "parameters">): string {
  const { parameters } = query;
  return query.sql.replace(TOKEN, (token: string, n: string | undefined) => {
    if (n === undefined) return token;
    const i = Number(n);
    if (i < 1 || i > parameters.length) throw new Error(`inlineQuery: no parameter $${i}`);
    return literal(parameters[i - 1]);
  });
}
