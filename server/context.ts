// Builds the tRPC context for a request: the database and the signed-in user (fresh from the database, and only while
// the session token's version is the user's current one: sign-out, a role change or disabling ends it).
import { sessionClaims } from "./auth";
import { getDb } from "./db";
import type { Context } from "./trpc";
import { loadSignedInUser } from "./identity/sessions";

export async function createRequestContext(): Promise<Context> {
  const db = getDb();
  const claims = await sessionClaims();
  return { db, user: claims ? await loadSignedInUser(db, claims) : null };
}
