// Server-side end of sessions. Session tokens are JWTs carrying the user id and the user's session version at sign-in;
// every request loads the user only if that version is still the current one and the account is not disabled.
// Sign-out, a role change and disabling bump the version, so every token issued before is refused from then on.
//
// Every tRPC call looks its user up, so the lookups of concurrent calls go together: those that arrive while one
// statement is in flight share the next (server/platform/group-commit.ts, one lane), so under load a process sends
// one statement per round trip rather than one per call, and each is still read after the call arrived (a sign-out
// committed before it is never missed).
import { recordAudit } from "../audit/audit-log";
import { anyOf, prepared, transaction, type Db } from "../db";
import { groupCommitPerDb } from "../platform/group-commit";
import type { SessionUser } from "./roles";
import { sessionUsersQuery } from "./users";

export type SessionClaims = { userId: string; sessionVersion: number };

/** Built and compiled once: every tRPC call runs it, so building the query each time would cost more than running it. */
const SIGNED_IN_USERS = prepared((db, p: { userIds: string[] }) =>
  sessionUsersQuery(db).select("u.sessionVersion").where("u.id", "=", anyOf(p.userIds)).where("u.disabledAt", "is", null),
);

/** Lookups per statement, at most. */
const MAX_LOOKUPS = 200;

const lookupsFor = groupCommitPerDb<Db, SessionClaims, SessionUser | null>({
  name: "session lookups",
  lanes: 1,
  maxBatch: MAX_LOOKUPS,
  // A failed read is never one lookup's doing: every lookup of the batch fails with it, none is retried alone.
  splitOnFailure: () => false,
  write: async (db, claims) => {
    const rows = await SIGNED_IN_USERS.execute(db.kysely, { userIds: [...new Set(claims.map((c) => c.userId))] });
    const byId = new Map(rows.map(({ sessionVersion, ...user }) => [user.id, { sessionVersion, user }]));
    return claims.map((c) => {
      const found = byId.get(c.userId);
      return found && found.sessionVersion === c.sessionVersion ? { ...found.user, teamIds: [...found.user.teamIds] } : null;
    });
  },
});

/** The user a session token belongs to, or null when the token is stale (signed out, role changed, disabled). */
export async function loadSignedInUser(db: Db, claims: SessionClaims): Promise<SessionUser | null> {
  return lookupsFor(db).submit({ userId: claims.userId, sessionVersion: claims.sessionVersion });
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
