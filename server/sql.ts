// Plain SQL on the hot paths. Prisma's JS engine spends ~0.4 ms of Node CPU on every statement (raw ones too) and
// ~1 ms on every interactive transaction; node-postgres spends ~0.07 ms. Code that runs on every approval, state
// change, outbox event or delivery is written as SQL against this small interface, which runs either on a pooled
// pg connection of its own (`sqlTransaction`, `sqlQuery`) or inside an existing Prisma transaction (`sqlOf(tx)`),
// so one implementation serves both kinds of caller. Both share one pg.Pool per database client (see db.ts).
import { createHash, randomBytes } from "node:crypto";
import pg from "pg";
import { hasPool, Prisma, poolOf, readerPoolOf, type Db, type Tx } from "./db";
import { DomainError } from "./errors";

export type Sql = Prisma.Sql;
export const sql = Prisma.sql;
export const join = Prisma.join;
export const raw = Prisma.raw;
export const empty = Prisma.empty;

/**
 * A kind of deferred write: how the items collected in one transaction become data-modifying CTEs (`name AS (…)`,
 * names starting with `prefix` so kinds cannot clash). May use WITH RECURSIVE.
 */
export type DeferredWrite<T> = { name: string; ctes: (items: T[], prefix: string) => Sql[] };

/** Runs SQL built with the `sql` tag. Enum columns must be cast to text (Prisma cannot read them raw). */
export interface SqlTx {
  readonly isSqlTx: true;
  rows<T>(query: Sql): Promise<T[]>;
  /** The number of rows the statement touched. */
  run(query: Sql): Promise<number>;
  /**
   * A write nothing in this transaction reads back (an outbox row, audit records, a counter): in a sqlTransaction
   * every deferred write goes in one statement sent just before COMMIT, so a transaction that writes many pays one
   * round trip for them; anywhere else it runs at once. Either way it commits or rolls back with the transaction.
   */
  defer<T>(kind: DeferredWrite<T>, item: T): Promise<void>;
}

/** One whole INSERT/UPDATE/DELETE (no WITH of its own) as a deferred write. */
export const STATEMENT: DeferredWrite<Sql> = {
  name: "statement",
  ctes: (statements, prefix) => statements.map((s, i) => sql`${raw(`${prefix}${i}`)} AS (${s})`),
};

/** The single statement that runs a set of deferred writes. */
function deferredStatement(groups: Map<DeferredWrite<unknown>, unknown[]>): Sql {
  const ctes = [...groups].flatMap(([kind, items], i) => kind.ctes(items, `d${i}_${kind.name}_`));
  return sql`WITH RECURSIVE ${join(ctes, ",\n")} SELECT 1`;
}

/** What the hot-path domain functions take: a Prisma transaction/client or a plain-SQL transaction. */
export type AnyTx = Tx | Db | SqlTx;

const isSqlTx = (tx: AnyTx): tx is SqlTx => (tx as SqlTx).isSqlTx === true;

// Prisma stores DateTime as `timestamp(3)` holding UTC; read it back as UTC whatever the process time zone.
const TIMESTAMP = 1114;
/**
 * A `timestamp` column's text as a Date, read as UTC: as Postgres sends it ("2026-01-02 03:04:05.678") or as its
 * JSON functions write it ("2026-01-02T03:04:05.678").
 */
export const parseUtcTimestamp = (value: string) => new Date(`${value.replace(" ", "T")}Z`);
export const PG_TYPES = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === TIMESTAMP ? parseUtcTimestamp : pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
};

// Dates go in as ISO text: a `timestamp` column ignores the zone suffix, so the UTC wall time is stored.
const toParam = (v: unknown) => (v instanceof Date ? v.toISOString() : v);

let lastMs = 0;
let counter = 0;
/**
 * A new row id for rows inserted with plain SQL (Prisma's cuid() default is applied by the client, not the
 * database). Ids sort in creation order within a process (time, then a counter), like cuids, which is what
 * "ORDER BY createdAt, id" relies on for rows written in one transaction.
 */
export function newId(): string {
  const now = Date.now();
  counter = now === lastMs ? counter + 1 : 0;
  lastMs = now;
  return `c${now.toString(36).padStart(9, "0")}${counter.toString(36).padStart(4, "0")}${randomBytes(6).toString("hex")}`;
}

/**
 * The statement as text with its values inlined as SQL literals (pg's escapeLiteral), for the simple-query
 * protocol, which takes several statements in one message but no parameters. Only scalar values: a value the
 * statement does not cast itself arrives as an untyped literal, which Postgres types from context as it would a
 * parameter.
 */
export function inlineSql(query: Sql): string {
  const literal = (v: unknown): string => {
    if (v === null || v === undefined) return "NULL";
    if (typeof v === "string") return pg.escapeLiteral(v);
    if (typeof v === "number") {
      if (!Number.isFinite(v)) throw new Error("inlineSql: a number must be finite");
      return String(v);
    }
    if (typeof v === "boolean") return v ? "true" : "false";
    if (v instanceof Date) return pg.escapeLiteral(v.toISOString());
    throw new Error(`inlineSql: unsupported value of type ${typeof v}`);
  };
  return query.strings.reduce((out, part, i) => out + (i === 0 ? "" : literal(query.values[i - 1])) + part, "");
}

/** Postgres errors that are the caller's doing, as domain errors (the same mapping Prisma's codes get). */
export function fromPgError(err: unknown): DomainError | undefined {
  const e = err as { code?: string; constraint?: string; detail?: string };
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

class PgSqlTx implements SqlTx {
  readonly isSqlTx = true as const;
  private readonly deferred = new Map<DeferredWrite<unknown>, unknown[]>();
  /** `inTransaction`: deferred writes wait for flush(); otherwise they run at once. */
  constructor(
    private readonly client: pg.PoolClient | pg.Pool,
    private readonly inTransaction = false,
  ) {}
  async defer<T>(kind: DeferredWrite<T>, item: T) {
    if (!this.inTransaction) {
      await this.run(deferredStatement(new Map([[kind as DeferredWrite<unknown>, [item]]])));
      return;
    }
    const items = this.deferred.get(kind as DeferredWrite<unknown>) ?? [];
    items.push(item);
    this.deferred.set(kind as DeferredWrite<unknown>, items);
  }
  /**
   * Sends the deferred writes and COMMIT in one message (simple-query protocol, values inlined). Locks the writes
   * take (the audit chain's head) are then held only while Postgres runs them and commits, never across a round
   * trip to a busy event loop.
   */
  async commit() {
    const writes = this.deferred.size > 0 ? `${inlineSql(deferredStatement(this.deferred))};\n` : "";
    this.deferred.clear();
    try {
      await (this.client as pg.PoolClient).query(`${writes}COMMIT`);
    } catch (err) {
      throw fromPgError(err) ?? err;
    }
  }
  async rows<T>(query: Sql): Promise<T[]> {
    return (await this.exec(query)).rows as T[];
  }
  async run(query: Sql): Promise<number> {
    return (await this.exec(query)).rowCount ?? 0;
  }
  private async exec(query: Sql) {
    // Named, so each connection parses and plans a statement once (Postgres switches to a generic plan).
    const config = { name: statementName(query.text), text: query.text, values: query.values.map(toParam), types: PG_TYPES };
    try {
      if (!(this.client instanceof pg.Pool)) return await this.client.query(config);
      // Not pool.query(): it discards the connection after any failed statement, and a refused write (a unique
      // violation, say) is no reason to start a new backend and prepare every statement again.
      const client = await this.client.connect();
      let broken: Error | undefined;
      try {
        return await client.query(config);
      } catch (err) {
        if (!(err instanceof pg.DatabaseError)) broken = err as Error; // the connection itself failed
        throw err;
      } finally {
        client.release(broken);
      }
    } catch (err) {
      throw fromPgError(err) ?? err;
    }
  }
}

class PrismaSqlTx implements SqlTx {
  readonly isSqlTx = true as const;
  constructor(private readonly tx: Tx | Db) {}
  rows<T>(query: Sql): Promise<T[]> {
    return this.tx.$queryRaw<T[]>(query);
  }
  run(query: Sql): Promise<number> {
    return this.tx.$executeRaw(query);
  }
  async defer<T>(kind: DeferredWrite<T>, item: T) {
    await this.run(deferredStatement(new Map([[kind as DeferredWrite<unknown>, [item]]])));
  }
}

const isClient = (tx: Tx | Db): tx is Db => typeof (tx as Db).$transaction === "function";

/**
 * The SQL interface of any transaction or client: a plain-SQL transaction as it is, a client made by createDb as
 * its pool (one statement at a time, no Prisma in between), a Prisma transaction through Prisma.
 */
export function sqlOf(tx: AnyTx): SqlTx {
  if (isSqlTx(tx)) return tx;
  if (isClient(tx) && hasPool(tx)) return new PgSqlTx(poolOf(tx));
  return new PrismaSqlTx(tx);
}

/** One statement outside a transaction, on the client's pool. */
export function sqlQuery<T>(db: Db, query: Sql): Promise<T[]> {
  return new PgSqlTx(poolOf(db)).rows<T>(query);
}

/**
 * One read that many callers share and wait on (e.g. a sharedRead refresh), on the client's reader connections:
 * it never waits behind the main pool's queue.
 */
export function sqlRead<T>(db: Db, query: Sql): Promise<T[]> {
  return new PgSqlTx(readerPoolOf(db)).rows<T>(query);
}

/**
 * Runs `fn` in a transaction on a pooled pg connection: committed when it resolves, rolled back when it throws.
 * READ COMMITTED, like Prisma's interactive transactions.
 */
export async function sqlTransaction<T>(db: Db, fn: (tx: SqlTx) => Promise<T>): Promise<T> {
  const client = await poolOf(db).connect();
  let broken: Error | undefined;
  try {
    await client.query("BEGIN");
    const tx = new PgSqlTx(client, true);
    const result = await fn(tx);
    await tx.commit();
    return result;
  } catch (err) {
    try {
      await client.query("ROLLBACK");
    } catch (rollbackErr) {
      broken = rollbackErr as Error; // the connection is unusable: the pool must not hand it out again
    }
    throw err;
  } finally {
    client.release(broken);
  }
}
