// Users as the rest of the server sees them, and sign-in bookkeeping.
import type { Role } from "@/generated/prisma/enums";
import { recordAudit } from "../audit/audit-log";
import { sql, transaction, type Db } from "../db";
import { badRequest, notFound } from "../errors";
import { actorOf } from "./access";
import type { SessionUser } from "./roles";

/** The signed-in user with the ids of their teams: one statement, run for every request. */
export async function loadSessionUser(db: Db, userId: string): Promise<SessionUser | null> {
  const user = await db.kysely
    .selectFrom("User as u")
    .where("u.id", "=", userId)
    .select((eb) => [
      "u.id",
      "u.email",
      "u.name",
      "u.role",
      eb.fn
        .coalesce(
          eb
            .selectFrom("TeamMember as m")
            .select((eb) => eb.fn.agg<string[]>("array_agg", ["m.teamId"]).as("teamIds"))
            .whereRef("m.userId", "=", "u.id"),
          sql<string[]>`ARRAY[]::text[]`,
        )
        .as("teamIds"),
    ])
    .executeTakeFirst();
  return user ?? null;
}

/** The demo accounts offered on the sign-in page (seeded users from the demo provider). */
export async function listDemoUsers(db: Db) {
  return db.user.findMany({
    where: { provider: "demo" },
    orderBy: [{ role: "asc" }, { name: "asc" }],
    select: { id: true, name: true, email: true, role: true },
  });
}

/** First sign-in through GitHub/OIDC creates a developer account; later sign-ins keep its role. */
export async function upsertExternalUser(db: Db, input: { email: string; name: string; image?: string | null; provider: string }) {
  return db.user.upsert({
    where: { email: input.email.toLowerCase() },
    update: { name: input.name, image: input.image ?? undefined },
    create: { email: input.email.toLowerCase(), name: input.name, image: input.image ?? undefined, provider: input.provider },
    select: { id: true },
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
      .set({ role, updatedAt: new Date() })
      .where("id", "=", userId)
      .returning(["id", "role"])
      .executeTakeFirstOrThrow();
    recordAudit(tx, { actor: actorOf(actor), action: "user.role_changed", subjectType: "user", subjectId: userId, before, after });
    return after;
  });
}
