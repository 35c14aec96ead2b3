// The pg connections Kysely runs on: the same pg.Pool Prisma's adapter uses (one set of connections per process),
// seen through a thin wrapper that gives every parameterised statement a name (each connection parses and plans it
// once), reads `timestamp` columns as UTC, sends Dates as UTC text, sends a transaction's BEGIN with its first
// statement, maps the caller's constraint violations to domain errors, and discards a connection only when the
// connection itself failed.
import { createHash } from "node:crypto";
import pg from "pg";
import type { PostgresPool, PostgresPoolClient } from "kysely";
import { DomainError } from "../errors";
import { inlineQuery } from "./inline";

// Prisma stores DateTime as `timestamp(3)` holding UTC; read it back as UTC whatever the process time zone.
const TIMESTAMP = 1114;
/**
 * A `timestamp` column's text as a Date, read as UTC: as Postgres sends it ("2026-01-02 03:04:05.678") or as its
 * JSON functions write it ("2026-01-02T03:04:05.678").
 */
export const parseUtcTimestamp = (value: string) => new Date(`${value.replace(" ", "T")}Z`);
const PG_TYPES = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === TIMESTAMP ? parseUtcTimestamp : pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
};

/** Dates go in as ISO text: a `timestamp` column ignores the zone suffix, so the UTC wall time is stored. */
const toParam = (v: unknown) => (v instanceof Date ? v.toISOString() : v);

/** Postgres errors that are the caller's doing, as domain errors (the same mapping Prisma's codes get). */
export function fromPgError(err: unknown): DomainError | undefined {
  const e = err as { code?: string; constraint?: string };
  if (!(err instanceof Error) || typeof e.code !== "string") return undefined;
  if (e.code === "23505") return new DomainError("CONFLICT", `A record with this ${e.constraint ?? "value"} already exists`);
  if (e.code === "23503") return new DomainError("BAD_REQUEST", "A referenced record does not exist");
  return undefined;
}

const names = new Map<string, string>();
/** A stable prepared-statement name per statement text. */
function statementName(text: string) {
  let name = names.get(text);
  if (!name) {
    name = `pier_${createHash("sha1").update(text).digest("hex").slice(0, 16)}`;
    // Statement texts are built from code, not data, so there are few; the bound keeps a bug from leaking memory.
    if (names.size < 10_000) names.set(text, name);
  }
  return name;
}

type Options = {
  /** Name parameterised statements (server-side prepared statements per connection). Off for PgBouncer < 1.21. */
  prepare: boolean;
};

/** One wrapper per pooled pg client, so Kysely keeps one connection object per client (its WeakMap key). */
class Client {
  /** The backend's pid, which Kysely uses to cancel a statement. */
  get processID() {
    return (this.client as unknown as { processID?: number }).processID;
  }
  /** Set when a statement failed for a reason other than Postgres refusing it: the connection is unusable. */
  private broken: Error | undefined;
  constructor(
    private readonly client: pg.PoolClient,
    private readonly options: Options,
  ) {}

  /** A BEGIN not sent yet: it goes with the transaction's first statement (see query). */
  private beginHeld = false;

  async query(text: string, values: readonly unknown[]): Promise<pg.QueryResult> {
    // BEGIN alone would be a round trip of its own: it is held and sent in one message with the transaction's
    // first statement (its values inlined, by the simple-query protocol), or not at all when the transaction sends
    // nothing before its ROLLBACK.
    if (text === "BEGIN" && values.length === 0 && !this.beginHeld) {
      this.beginHeld = true;
      return { command: "BEGIN", rowCount: null, rows: [], fields: [], oid: 0 };
    }
    if (this.beginHeld) {
      this.beginHeld = false;
      if (text === "ROLLBACK") return { command: "ROLLBACK", rowCount: null, rows: [], fields: [], oid: 0 };
      text = `BEGIN;\n${values.length ? inlineQuery({ sql: text, parameters: values.map(toParam) }) : text}`;
      values = [];
    }
    try {
      // A statement without parameters (COMMIT with the deferred writes inlined, a first statement with its BEGIN)
      // goes by the simple-query protocol, which accepts several statements in one message.
      if (values.length === 0) return lastResult(await this.client.query({ text, types: PG_TYPES }));
      const config = {
        ...(this.options.prepare ? { name: statementName(text) } : {}),
        text,
        values: values.map(toParam),
        types: PG_TYPES,
      };
      return await this.client.query(config);
    } catch (err) {
      if (!(err instanceof pg.DatabaseError)) this.broken = err as Error;
      throw fromPgError(err) ?? err;
    }
  }

  /** `destroy`: Kysely asks for the connection to be discarded (a failed ROLLBACK). */
  release(destroy?: boolean) {
    this.beginHeld = false;
    const broken = this.broken ?? (destroy ? new Error("connection discarded") : undefined);
    this.broken = undefined;
    this.client.release(broken);
  }
}

/** Several statements in one message answer with one result each: the caller asked for the last one's. */
const lastResult = (r: pg.QueryResult | pg.QueryResult[]): pg.QueryResult => (Array.isArray(r) ? r[r.length - 1] : r);

const wrappers = new WeakMap<pg.PoolClient, Client>();

/** The pool as Kysely's PostgresDialect takes it. */
export function kyselyPool(pool: pg.Pool, options: Options): PostgresPool {
  return {
    async connect() {
      const client = await pool.connect();
      let wrapper = wrappers.get(client);
      if (!wrapper) wrappers.set(client, (wrapper = new Client(client, options)));
      return wrapper as unknown as PostgresPoolClient;
    },
    end: () => pool.end(),
    options: pool.options,
    Client: pg.Client,
  };
}
