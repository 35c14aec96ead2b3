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

/**
 * Replaces `$n` placeholders outside quoted text ('…', "…") with the literal of parameter n. Kysely passes every
 * value as a parameter, so placeholders are the only `$n` outside quotes.
 */
export function inlineQuery(query: Pick<CompiledQuery, "sql" | "parameters">): string {
  const { sql, parameters } = query;
  let out = "";
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (c === "'" || c === '"') {
      let j = i + 1;
      for (;;) {
        const k = sql.indexOf(c, j);
        if (k < 0) throw new Error("inlineQuery: unterminated quote");
        if (sql[k + 1] === c) j = k + 2;
        else {
          j = k + 1;
          break;
        }
      }
      out += sql.slice(i, j);
      i = j;
    } else if (c === "$" && /[0-9]/.test(sql[i + 1] ?? "")) {
      let j = i + 1;
      while (j < sql.length && /[0-9]/.test(sql[j])) j++;
      const n = Number(sql.slice(i + 1, j));
      if (n < 1 || n > parameters.length) throw new Error(`inlineQuery: no parameter $${n}`);
      out += literal(parameters[n - 1]);
      i = j;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}
