// Server-side end of sessions. Session tokens are JWTs carrying the user id and the user's session version at sign-in;
// every request loads the user only if that version is still the current one and the account is not disabled.
// Sign-out, a role change and disabling bump the version, so every token issued before is refused from then on.
import { recordAudit } from "../audit/audit-log";
import { prepared, transaction, type Db } from "../db";
import type { SessionUser } from "./roles";
import { sessionUserQuery } from "./users";

export type SessionClaims = { userId: string; sessionVersion: number };

/** Built and compiled once: every tRPC call runs it, so building the query each time would cost more than running it. */
const SIGNED_IN_USER = prepared((db, p: { userId: string; sessionVersion: number }) =>
  sessionUserQuery(db, p.userId).where("u.sessionVersion", "=", p.sessionVersion).where("u.disabledAt", "is", null),
);

/** The user a session token belongs to, or null when the token is stale (signed out, role changed, disabled). One statement. */
export async function loadSignedInUser(db: Db, claims: SessionClaims): Promise<SessionUser | null> {
  return (await SIGNED_IN_USER.executeTakeFirst(db.kysely, { userId: claims.userId, sessionVersion: claims.sessionVersion })) ?? null;
}

/** Sign-out: ends every session of the user issued under this version (audited). False when it had already ended. */
export async function endSession(db: Db, claims: SessionClaims): Promise<boolean> {
  return transaction(db, async (tx) => {
    const ended = await tx
      .updateTable("User")
      .set((eb) => ({ sessionVersion: eb("sessionVersion", "+", 1) }))
      .where("id", "=", claims.userId)
      .where("sessionVersion", "=", claims.sessionVersion)
      .returning(["id", "name", "sessionVersion"])
      .executeTakeFirst();
    if (!ended) return false;
    recordAudit(tx, {
      actor: { id: ended.id, label: ended.name },
      action: "user.signed_out",
      subjectType: "user",
      subjectId: ended.id,
      before: { sessionVersion: claims.sessionVersion },
      after: { sessionVersion: ended.sessionVersion },
    });
    return true;
  });
}
