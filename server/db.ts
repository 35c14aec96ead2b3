// The Prisma client: JS engine + pg driver adapter (no native engine download), one per process. Its pg.Pool is
// created here and shared with the plain-SQL hot paths (server/sql.ts), so both draw on one set of connections.
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient, Prisma } from "@/generated/prisma/client";
import { env } from "./env";

export type Db = PrismaClient;
/** What domain functions take: the client itself or an interactive transaction. */
export type Tx = Prisma.TransactionClient;

const globalForDb = globalThis as unknown as { pierDb?: { url: string; client: PrismaClient } };
const pools = new WeakMap<PrismaClient, { main: pg.Pool; reader: pg.Pool }>();

export function createDb(connectionString: string, max = 10): PrismaClient {
  const main = new pg.Pool({ connectionString, max });
  // Shared reads that many callers wait on (server/sql.ts sqlRead) get connections of their own, so they never
  // queue behind transactions that hold pool connections while they wait for row locks. Idle ones close soon and
  // never keep the process alive.
  const reader = new pg.Pool({ connectionString, max: 2, idleTimeoutMillis: 5000, allowExitOnIdle: true });
  // An idle connection dropped by the server must not crash the process; the pool replaces it.
  main.on("error", () => undefined);
  reader.on("error", () => undefined);
  const client = new PrismaClient({ adapter: new PrismaPg(main, { disposeExternalPool: true }) });
  pools.set(client, { main, reader });
  return client;
}

function poolsOf(db: PrismaClient) {
  const found = pools.get(db);
  if (!found) throw new Error("This Prisma client was not made by createDb(): it has no pool to share");
  return found;
}

export const hasPool = (db: PrismaClient) => pools.has(db);

/** The pg.Pool under a client made by createDb (Prisma's own connections). */
export const poolOf = (db: PrismaClient): pg.Pool => poolsOf(db).main;

/** The client's small pool for shared reads (see createDb). */
export const readerPoolOf = (db: PrismaClient): pg.Pool => poolsOf(db).reader;

/** The shared client for DATABASE_URL (re-created if the URL changed, as between test files). */
export function getDb(): PrismaClient {
  const url = env().DATABASE_URL;
  if (!globalForDb.pierDb || globalForDb.pierDb.url !== url) {
    globalForDb.pierDb = { url, client: createDb(url) };
  }
  return globalForDb.pierDb.client;
}

export async function disconnectDb() {
  const current = globalForDb.pierDb;
  globalForDb.pierDb = undefined;
  await current?.client.$disconnect();
}

export { Prisma };
