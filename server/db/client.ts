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

/**
 * The database outside a transaction: Prisma's model API, `db.kysely` for SQL, `db.reader` for reads that many
 * callers share and wait on (it has connections of its own, so it never queues behind transactions waiting for
 * row locks). Start a transaction with `transaction(db, fn)`.
 */
export type Db = PrismaClient & { readonly kysely: Kysely<DB>; readonly reader: Kysely<DB>; readonly pool: pg.Pool };

export function createDb(connectionString: string, max = 10): Db {
  const main = new pg.Pool({ connectionString, max });
  const reader = new pg.Pool({ connectionString, max: 2, idleTimeoutMillis: 5000, allowExitOnIdle: true });
  // An idle connection dropped by the server must not crash the process; the pool replaces it.
  main.on("error", () => undefined);
  reader.on("error", () => undefined);
  const prisma = new PrismaClient({ adapter: new PrismaPg(main, { disposeExternalPool: true }) });
  const options = { prepare: true };
  const kysely = new Kysely<DB>({ dialect: new PostgresDialect({ pool: kyselyPool(main, options) }) });
  const readerKysely = new Kysely<DB>({ dialect: new PostgresDialect({ pool: kyselyPool(reader, options) }) });
  return Object.assign(prisma, { kysely, reader: readerKysely, pool: main });
}

/** Runs `fn` in a Kysely transaction with deferred writes and after-commit work (see transaction.ts). */
export function transaction<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return runTransaction(db.kysely, fn);
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
  await db.$disconnect();
  await db.reader.destroy();
}

export async function disconnectDb() {
  const current = globalForDb.pierDb;
  globalForDb.pierDb = undefined;
  if (current) await closeDb(current.client);
}
