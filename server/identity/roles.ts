// Roles are ordered: an admin can do what an approver can, an approver what a developer can.
import type { Role } from "@/generated/prisma/enums";

export const ROLE_RANK: Record<Role, number> = { developer: 1, approver: 2, admin: 3 };

export type SessionUser = {
  id: string;
  email: string;
  name: string;
  role: Role;
  teamIds: string[];
  /** IANA zone the portal shows dates in; null/absent: the browser's own (app/_components/time.tsx). */
  timeZone?: string | null;
};

export function hasRole(user: Pick<SessionUser, "role">, required: Role): boolean {
  return ROLE_RANK[user.role] >= ROLE_RANK[required];
}

export function isTeamMember(user: Pick<SessionUser, "teamIds">, teamId: string): boolean {
  return user.teamIds.includes(teamId);
}
