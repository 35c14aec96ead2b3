// Users as the rest of the server sees them, and sign-in bookkeeping.
import type { Role } from "@/generated/prisma/enums";
import { recordAudit } from "../audit/audit-log";
import type { Db } from "../db";
import { badRequest, notFound } from "../errors";
import type { SessionUser } from "./roles";

export async function loadSessionUser(db: Db, userId: string): Promise<SessionUser | null> {
  const user = await db.user.findUnique({
    where: { id: userId },
    select: { id: true, email: true, name: true, role: true, memberships: { select: { teamId: true } } },
  });
  if (!user) return null;
  return { id: user.id, email: user.email, name: user.name, role: user.role, teamIds: user.memberships.map((m) => m.teamId) };
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
  return db.$transaction(async (tx) => {
    const before = await tx.user.findUnique({ where: { id: userId }, select: { id: true, role: true } });
    if (!before) throw notFound("User");
    const after = await tx.user.update({ where: { id: userId }, data: { role }, select: { id: true, role: true } });
    await recordAudit(tx, { actor: { id: actor.id, label: actor.name }, action: "user.role_changed", subjectType: "user", subjectId: userId, before, after });
    return after;
  });
}
