// Users as the rest of the server sees them, and sign-in bookkeeping.
import type { Role } from "@/generated/prisma/enums";
import { recordAudit } from "../audit/audit-log";
import { sql, transaction, type Db, type DB, type Kysely } from "../db";
import { badRequest, notFound } from "../errors";
import { actorOf } from "./access";
import type { SessionUser } from "./roles";

/** The session user's columns with the ids of their teams, for one user id: one statement. */
function sessionUserQuery(db: Kysely<DB>, userId: string) {
  return sessionUsersQuery(db).where("u.id", "=", userId);
}

/** What a session carries of users (sessionUserQuery without the id: the caller says which). */
export function sessionUsersQuery(db: Kysely<DB>) {
  return db.selectFrom("User as u").select((eb) => [
    "u.id",
    "u.email",
    "u.name",
    "u.role",
    "u.timeZone",
    eb.fn
      .coalesce(
        eb
          .selectFrom("TeamMember as m")
          .select((eb) => eb.fn.agg<string[]>("array_agg", ["m.teamId"]).as("teamIds"))
          .whereRef("m.userId", "=", "u.id"),
        sql<string[]>`ARRAY[]::text[]`,
      )
      .as("teamIds"),
  ]);
}

/** A user with the ids of their teams, by id (seed and tests; requests go through loadSignedInUser, sessions.ts). */
export async function loadSessionUser(db: Db, userId: string): Promise<SessionUser | null> {
  return (await sessionUserQuery(db.kysely, userId).executeTakeFirst()) ?? null;
}

/** The demo accounts offered on the sign-in page (seeded users from the demo provider). */
export async function listDemoUsers(db: Db) {
  return db.user.findMany({
    where: { provider: "demo", disabledAt: null },
    orderBy: [{ role: "asc" }, { name: "asc" }],
    select: { id: true, name: true, email: true, role: true },
  });
}

export async function myTeams(db: Db, userId: string) {
  return db.team.findMany({
    where: { members: { some: { userId } } },
    orderBy: { name: "asc" },
    select: {
      id: true,
      slug: true,
      name: true,
      description: true,
      onCallName: true,
      _count: { select: { members: true, services: true } },
    },
  });
}

/** An admin changes someone's role (never their own: that is how the last admin locks everyone out). */
export async function changeRole(db: Db, actor: SessionUser, userId: string, role: Role) {
  if (actor.id === userId) throw badRequest("You cannot change your own role", "role");
  return transaction(db, async (tx) => {
    const before = await tx.selectFrom("User").select(["id", "role"]).where("id", "=", userId).executeTakeFirst();
    if (!before) throw notFound("User");
    const after = await tx
      .updateTable("User")
      // A new role ends the user's sessions: they sign in again under it (sessions.ts).
      .set((eb) => ({ role, updatedAt: new Date(), sessionVersion: eb("sessionVersion", "+", 1) }))
      .where("id", "=", userId)
      .returning(["id", "role"])
      .executeTakeFirstOrThrow();
    recordAudit(tx, { actor: actorOf(actor), action: "user.role_changed", subjectType: "user", subjectId: userId, before, after });
    return after;
  });
}

/** An admin disables an account (no sign-in, its sessions end at once) or enables it again. Never their own. */
export async function setDisabled(db: Db, actor: SessionUser, userId: string, disabled: boolean) {
  if (actor.id === userId) throw badRequest("You cannot disable your own account", "userId");
  return transaction(db, async (tx) => {
    const before = await tx.selectFrom("User").select(["id", "disabledAt"]).where("id", "=", userId).executeTakeFirst();
    if (!before) throw notFound("User");
    if (Boolean(before.disabledAt) === disabled) return before;
    const after = await tx
      .updateTable("User")
      .set((eb) => ({ disabledAt: disabled ? new Date() : null, updatedAt: new Date(), sessionVersion: eb("sessionVersion", "+", 1) }))
      .where("id", "=", userId)
      .returning(["id", "disabledAt"])
      .executeTakeFirstOrThrow();
    recordAudit(tx, { actor: actorOf(actor), action: disabled ? "user.disabled" : "user.enabled", subjectType: "user", subjectId: userId, before, after });
    return after;
  });
}

/**
 * An admin merges an account created by a GitHub/OIDC sign-in (one whose provider did not vouch for its e-mail) into
 * the user it belongs to: its sign-in identities move to that user, and the merged account is disabled (its history
 * stays under its own id; its sessions end). Audited on both users.
 */
export async function mergeAccount(db: Db, actor: SessionUser, input: { fromUserId: string; intoUserId: string }) {
  const { fromUserId, intoUserId } = input;
  if (fromUserId === intoUserId) throw badRequest("Choose another user to merge into", "intoUserId");
  if (fromUserId === actor.id) throw badRequest("You cannot merge your own account away", "fromUserId");
  return transaction(db, async (tx) => {
    const users = await tx.selectFrom("User").select(["id", "email", "name", "disabledAt"]).where("id", "in", [fromUserId, intoUserId]).execute();
    const from = users.find((u) => u.id === fromUserId);
    const into = users.find((u) => u.id === intoUserId);
    if (!from) throw notFound("User");
    if (!into) throw notFound("Target user");
    if (into.disabledAt) throw badRequest("The target account is disabled", "intoUserId");
    const identities = await tx
      .updateTable("ExternalAccount")
      .set({ userId: intoUserId })
      .where("userId", "=", fromUserId)
      .returning(["provider", "subject", "email", "emailVerified"])
      .execute();
    if (identities.length === 0) throw badRequest("Only accounts created by a GitHub or single sign-on sign-in can be merged", "fromUserId");
    await tx
      .updateTable("User")
      .set((eb) => ({ disabledAt: from.disabledAt ?? new Date(), updatedAt: new Date(), sessionVersion: eb("sessionVersion", "+", 1) }))
      .where("id", "=", fromUserId)
      .execute();
    const merged = { from: { id: from.id, email: from.email }, into: { id: into.id, email: into.email }, identities };
    recordAudit(tx, { actor: actorOf(actor), action: "user.merged", subjectType: "user", subjectId: fromUserId, after: merged });
    recordAudit(tx, { actor: actorOf(actor), action: "user.account_linked", subjectType: "user", subjectId: intoUserId, after: merged });
    return { mergedInto: intoUserId, identities: identities.length };
  });
}

/**
 * A user picks the time zone the portal shows dates in (null: the browser's own). Their own choice only; audited.
 * The session user carries it (sessionUserQuery), so the next page renders in it.
 */
export async function setTimeZone(db: Db, user: SessionUser, timeZone: string | null) {
  return transaction(db, async (tx) => {
    const before = await tx.selectFrom("User").select(["id", "timeZone"]).where("id", "=", user.id).executeTakeFirst();
    if (!before) throw notFound("User");
    if (before.timeZone === timeZone) return before;
    tx.deferred.write(tx.updateTable("User").set({ timeZone, updatedAt: new Date() }).where("id", "=", user.id));
    recordAudit(tx, {
      actor: actorOf(user),
      action: "user.time_zone_changed",
      subjectType: "user",
      subjectId: user.id,
      before,
      after: { id: user.id, timeZone },
    });
    return { id: user.id, timeZone };
  });
}
