// The Prisma client: JS engine + pg driver adapter (no native engine download), one per process.
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient, Prisma } from "@/generated/prisma/client";
import { env } from "./env";

export type Db = PrismaClient;
/** What domain functions take: the client itself or an interactive transaction. */
export type Tx = Prisma.TransactionClient;

const globalForDb = globalThis as unknown as { pierDb?: { url: string; client: PrismaClient } };

export function createDb(connectionString: string, max = 10): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString, max }) });
}

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
