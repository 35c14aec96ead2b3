// Test data builders and callers (used by *.test.ts only; excluded from coverage).
import { randomUUID } from "node:crypto";
import type { Role } from "@/generated/prisma/enums";
import { getDb } from "../../server/db";
import { loadSessionUser } from "../../server/identity/users";
import type { SessionUser } from "../../server/identity/roles";
import { createCaller } from "../../server/root";

export const uid = () => randomUUID().slice(0, 8);

export async function makeTeam(name = `Team ${uid()}`) {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, "-");
  return getDb().team.create({ data: { slug: `${slug}-${uid()}`, name } });
}

export async function makeUser(role: Role = "developer", teamIds: string[] = []) {
  const id = uid();
  return getDb().user.create({
    data: {
      email: `${role}-${id}@test.example`,
      name: `${role} ${id}`,
      role,
      memberships: { create: teamIds.map((teamId) => ({ teamId })) },
    },
  });
}

export async function sessionUser(userId: string): Promise<SessionUser> {
  const u = await loadSessionUser(getDb(), userId);
  if (!u) throw new Error(`no user ${userId}`);
  return u;
}

/** A tRPC caller acting as `userId` (or anonymous when null), exactly as the HTTP handler would build it. */
export async function callerFor(userId: string | null) {
  const user = userId ? await sessionUser(userId) : null;
  return createCaller({ db: getDb(), user });
}

export async function callerWithRole(role: Role, teamIds: string[] = []) {
  const user = await makeUser(role, teamIds);
  return { user, caller: await callerFor(user.id) };
}
