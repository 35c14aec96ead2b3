// Builds the tRPC context for a request: the database and the signed-in user (fresh from the database).
import { auth } from "./auth";
import { getDb } from "./db";
import type { Context } from "./trpc";
import { loadSessionUser } from "./identity/users";

export async function createRequestContext(): Promise<Context> {
  const db = getDb();
  const session = await auth();
  const userId = session?.user?.id;
  return { db, user: userId ? await loadSessionUser(db, userId) : null };
}
