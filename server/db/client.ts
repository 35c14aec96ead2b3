// The database handle, one per process: Prisma (schema, migrations' model, plain CRUD where its cost does not
// matter) and Kysely (every query that needs SQL, typed from schema.prisma by prisma-kysely) on one pg.Pool.
import { PrismaPg } from "@prisma/adapter-pg";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { PrismaClient } from "@/generated/prisma/client";
import type { DB } from "@/generated/kysely/types";
import { env } from "../env";
import { kyselyPool } from "./pg-pool";
import { runTransaction, type Tx } from "./transaction";
import { stopInvalidations, wake } from "./invalidation";

/**
 * The database outside a transaction: Prisma's model API, `db.kysely` for SQL, `db.reader` for reads that many
 * callers share and wait on (it has connections of its own, so it never queues behind transactions waiting for
 * row locks), `db.replica` for dashboard reads that tolerate replication lag (DATABASE_READ_URL; else `db.kysely`).
 * Start a transaction with `transaction(db, fn)`.
 */
export type Db = PrismaClient & {
  readonly kysely: Kysely<DB>;
  readonly reader: Kysely<DB>;
  readonly replica: Kysely<DB>;
  readonly pool: pg.Pool;
  /** Where this handle LISTENs for cache invalidations (invalidation.ts): DATABASE_LISTEN_URL, else the database. */
  readonly listenUrl: string;
};

/** Connection budget and timeouts of one handle (defaults: server/env.ts). */
export type DbOptions = {
  /** Connections of the main pool (the reader pool has 2 more, a replica pool 2). */
  max?: number;
  /** Opening a connection, or waiting for a free one in a full pool, fails after this long. */
  connectTimeoutMs?: number;
  /** Postgres cancels a statement running longer (0: never); the client gives up 1 s later (a silent server). */
  statementTimeoutMs?: number;
  /** Postgres ends a session idle inside a transaction for this long (0: never). */
  idleInTransactionTimeoutMs?: number;
  /** Server-side prepared statements per connection; off behind PgBouncer in transaction mode (< 1.21). */
  prepare?: boolean;
  /** Dashboard reads go here when set (a replica). */
  readUrl?: string;
  /** LISTEN goes here when set (Postgres itself, when the main URL is a PgBouncer in transaction mode). */
  listenUrl?: string;
};

/** The defaults from the environment. */
function envOptions(): Required<Omit<DbOptions, "readUrl" | "listenUrl">> & { readUrl?: string; listenUrl?: string } {
  const e = env();
  return {
    max: e.PIER_DB_POOL_MAX,
    connectTimeoutMs: e.PIER_DB_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: e.PIER_DB_STATEMENT_TIMEOUT_MS,
    idleInTransactionTimeoutMs: e.PIER_DB_IDLE_TX_TIMEOUT_MS,
    prepare: e.PIER_PG_PREPARED_STATEMENTS,
    readUrl: e.DATABASE_READ_URL,
    listenUrl: e.DATABASE_LISTEN_URL,
  };
}

/**
 * A pg client that is thrown away once a statement timed out on the client side: the server did not answer
 * within statement_timeout + 1 s, so the connection is dead (a black-holed or failed-over server) and must not go
 * back to the pool. Destroying the socket makes the pool discard it on release, whoever holds it (Kysely's
 * wrapper or Prisma's adapter).
 */
class EvictingClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    // A connection that dies while checked out errors its queries; the event itself must not crash the process.
    this.on("error", () => undefined);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  query(...args: any[]): any {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const evictOnTimeout = (err: any) => {
      if (err instanceof Error && /timeout/i.test(err.message) && !(err instanceof pg.DatabaseError)) this.evict();
    };
    const last = args[args.length - 1];
    if (typeof last === "function") {
      args[args.length - 1] = (err: unknown, ...rest: unknown[]) => {
        evictOnTimeout(err);
        return (last as (...a: unknown[]) => unknown)(err, ...rest);
      };
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      return (super.query as any)(...args);
    }
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const result = (super.query as any)(...args);
    if (result && typeof result.then === "function") result.then(undefined, evictOnTimeout);
    return result;
  }
  private evict() {
    const self = this as unknown as { _queryable: boolean; connection?: { stream?: { destroy(): void } } };
    self._queryable = false;
    self.connection?.stream?.destroy();
  }
}

function poolConfig(connectionString: string, max: number, o: DbOptions): pg.PoolConfig {
  const statement = o.statementTimeoutMs ?? 0;
  return {
    connectionString,
    max,
    Client: EvictingClient,
    connectionTimeoutMillis: o.connectTimeoutMs,
    // Dead peers are found by the kernel even while a connection idles (NAT tables, failed-over servers).
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    idleTimeoutMillis: 30_000,
    ...(statement > 0 ? { statement_timeout: statement, query_timeout: statement + 1000 } : {}),
    ...(o.idleInTransactionTimeoutMs ? { idle_in_transaction_session_timeout: o.idleInTransactionTimeoutMs } : {}),
  };
}

/**
 * A handle on `connectionString`. `max` (or options.max) is the main pool's size; everything not given comes
 * from the environment (PIER_DB_*; a test or benchmark passes its own).
 */
export function createDb(connectionString: string, max?: number, options: DbOptions = {}): Db {
  const o = { ...envOptions(), ...options };
  const size = max ?? options.max ?? o.max;
  const main = new pg.Pool(poolConfig(connectionString, size, o));
  const reader = new pg.Pool({ ...poolConfig(connectionString, 2, o), idleTimeoutMillis: 5000, allowExitOnIdle: true });
  const replicaPool = o.readUrl ? new pg.Pool({ ...poolConfig(o.readUrl, 2, o), idleTimeoutMillis: 5000, allowExitOnIdle: true }) : undefined;
  // An idle connection dropped by the server must not crash the process; the pool replaces it.
  main.on("error", () => undefined);
  reader.on("error", () => undefined);
  replicaPool?.on("error", () => undefined);
  const prisma = new PrismaClient({ adapter: new PrismaPg(main, { disposeExternalPool: true }) });
  const options_ = { prepare: o.prepare };
  const kysely = new Kysely<DB>({ dialect: new PostgresDialect({ pool: kyselyPool(main, options_) }) });
  const readerKysely = new Kysely<DB>({ dialect: new PostgresDialect({ pool: kyselyPool(reader, options_) }) });
  const replica = replicaPool ? new Kysely<DB>({ dialect: new PostgresDialect({ pool: kyselyPool(replicaPool, options_) }) }) : kysely;
  return Object.assign(prisma, { kysely, reader: readerKysely, replica, pool: main, listenUrl: o.listenUrl ?? connectionString });
}

/** Runs `fn` in a Kysely transaction with deferred writes and after-commit work (see transaction.ts). */
export function transaction<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return runTransaction(db.kysely, fn, (name) => wake(db, name));
}

const globalForDb = globalThis as unknown as { pierDb?: { url: string; client: Db } };

/** The shared handle for DATABASE_URL (re-created if the URL changed, as between test files). */
export function getDb(): Db {
  const url = env().DATABASE_URL;
  if (!globalForDb.pierDb || globalForDb.pierDb.url !== url) {
    globalForDb.pierDb = { url, client: createDb(url) };
  }
  return globalForDb.pierDb.client;
}

/** Closes a handle's connections (Prisma's adapter ends the main pool). */
export async function closeDb(db: Db) {
  await stopInvalidations(db);
  await db.$disconnect();
  await db.reader.destroy();
  if (db.replica !== db.kysely) await db.replica.destroy();
}

export async function disconnectDb() {
  const current = globalForDb.pierDb;
  globalForDb.pierDb = undefined;
  if (current) await closeDb(current.client);
}
