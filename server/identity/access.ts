// Who may do what: the one place each permission rule is written. Domain mutations call the assert* functions
// (which throw domain errors); pages and queries call the can* functions for the `can.*` flags they show, so the
// button a user sees and the check the server makes are the same rule.
import type { Actor } from "../audit/audit-log";
import { forbidden } from "../errors";
import { hasRole, isTeamMember, type SessionUser } from "./roles";

type User = Pick<SessionUser, "role" | "teamIds">;

/** The audit actor for a signed-in user. */
export const actorOf = (user: Pick<SessionUser, "id" | "name">): Actor => ({ id: user.id, label: user.name });

/** Admins, and members of the team that owns the service: edit it, deploy it, declare its incidents. */
export function canManageService(user: User, owningTeamId: string): boolean {
  return hasRole(user, "admin") || isTeamMember(user, owningTeamId);
}

export function assertCanManageService(user: User, owningTeamId: string, why = "Only admins and members of the owning team may do this") {
  if (!canManageService(user, owningTeamId)) throw forbidden(why);
}

/** Who may cancel a request: whoever asked for it, its service's team, admins. */
export function canCancelRequest(user: User & Pick<SessionUser, "id">, request: { requesterId: string; owningTeamId: string }): boolean {
  return request.requesterId === user.id || canManageService(user, request.owningTeamId);
}

/** Who may roll a deployment back: its service's team, approvers and admins (restoring a known state is safe). */
export function canRollback(user: User, owningTeamId: string): boolean {
  return hasRole(user, "approver") || isTeamMember(user, owningTeamId);
}

/** Break-glass (deploy without approvals, audited): approvers and admins. */
export function canBreakGlass(user: User): boolean {
  return hasRole(user, "approver");
}

/** Organisation-wide configuration (environments, policies, notification routing, integrations, users): admins. */
export function canAdminister(user: User): boolean {
  return hasRole(user, "admin");
}

/** A background catalog import's progress and report: whoever started it, and admins. */
export function canViewCatalogImport(user: User & Pick<SessionUser, "id">, job: { requestedById: string }): boolean {
  return job.requestedById === user.id || hasRole(user, "admin");
}
