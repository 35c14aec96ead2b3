// Approval policies: which one applies to a request (service > tier > environment-wide), who may approve under it,
// and the snapshot stored on the request so later policy edits do not change a request in flight.
import type { ApprovalPolicy, Role } from "@/generated/prisma/client";
import type { DB, Db, Kysely } from "../db";
import { ROLE_RANK, type SessionUser } from "../identity/roles";

export type PolicySnapshot = {
  policyId: string | null;
  name: string;
  scope: "service" | "tier" | "environment" | "default";
  requiredApprovals: number;
  approverRole: Role | null;
  allowOwningTeam: boolean;
  approverTeamId: string | null;
  approverTeamName: string | null;
  expiryMinutes: number | null;
  waitTimerMinutes: number;
  allowSkipPromotion: boolean;
  autoRollback: boolean;
  allowBreakGlass: boolean;
};

/** What applies when an environment has no policy: production needs one approver, other environments none. */
export function defaultPolicy(isProduction: boolean): PolicySnapshot {
  return {
    policyId: null,
    name: isProduction ? "Default production policy" : "Default policy",
    scope: "default",
    requiredApprovals: isProduction ? 1 : 0,
    approverRole: "approver",
    allowOwningTeam: false,
    approverTeamId: null,
    approverTeamName: null,
    expiryMinutes: isProduction ? 24 * 60 : null,
    waitTimerMinutes: 0,
    allowSkipPromotion: false,
    autoRollback: false,
    allowBreakGlass: true,
  };
}

/** The most specific policy among `policies` for a service: its own, then its tier's, then environment-wide. */
export function pickPolicy<T extends Pick<ApprovalPolicy, "serviceId" | "tier">>(policies: T[], service: { id: string; tier: number }): T | null {
  return (
    policies.find((p) => p.serviceId === service.id) ??
    policies.find((p) => p.serviceId === null && p.tier === service.tier) ??
    policies.find((p) => p.serviceId === null && p.tier === null) ??
    null
  );
}

export async function resolvePolicy(
  db: Db,
  service: { id: string; tier: number },
  environment: { id: string; isProduction: boolean },
): Promise<PolicySnapshot> {
  const policies = await db.approvalPolicy.findMany({ where: { environmentId: environment.id }, orderBy: { createdAt: "asc" } });
  const p = pickPolicy(policies, service);
  if (!p) return defaultPolicy(environment.isProduction);
  const team = p.approverTeamId ? await db.team.findUnique({ where: { id: p.approverTeamId }, select: { name: true } }) : null;
  return {
    policyId: p.id,
    name: p.name,
    scope: p.serviceId ? "service" : p.tier !== null ? "tier" : "environment",
    requiredApprovals: p.requiredApprovals,
    approverRole: p.approverRole,
    allowOwningTeam: p.allowOwningTeam,
    approverTeamId: p.approverTeamId,
    approverTeamName: team?.name ?? null,
    expiryMinutes: p.expiryMinutes,
    waitTimerMinutes: p.waitTimerMinutes,
    allowSkipPromotion: p.allowSkipPromotion,
    autoRollback: p.autoRollback,
    allowBreakGlass: p.allowBreakGlass,
  };
}

export type Eligibility = { ok: true } | { ok: false; reason: string };
const ELIGIBLE: Eligibility = Object.freeze({ ok: true });

/**
 * Who may approve one request under its policy, in the form a check needs: the requester (never), the lowest role
 * that may, and the teams whose members may. Built once per request; `mayApprove` is the check itself.
 */
export type ApproverRule = { requesterId: string; minRank: number; teamIds: string[]; policy: PolicySnapshot };

export function approverRule(policy: PolicySnapshot, request: { requesterId: string; owningTeamId: string }): ApproverRule {
  const teamIds = [policy.allowOwningTeam ? request.owningTeamId : null, policy.approverTeamId].filter((t): t is string => !!t);
  return { requesterId: request.requesterId, minRank: policy.approverRole ? ROLE_RANK[policy.approverRole] : Infinity, teamIds, policy };
}

/** The check itself (allocation-free: the inbox runs it for every pending request and every caller). */
export function mayApprove(user: Pick<SessionUser, "id" | "role" | "teamIds">, rule: ApproverRule): boolean {
  if (user.id === rule.requesterId) return false;
  if (ROLE_RANK[user.role] >= rule.minRank) return true;
  for (const t of rule.teamIds) if (user.teamIds.includes(t)) return true;
  return false;
}

/** Why `user` may not approve (for a user mayApprove refuses). */
export function whyNotApprover(user: Pick<SessionUser, "id">, rule: ApproverRule): string {
  if (user.id === rule.requesterId) return "You requested this deployment, so you cannot approve it";
  return `The policy "${rule.policy.name}" lets ${describeApprovers(rule.policy)} approve`;
}

/** May `user` approve a request of `requesterId` for a service owned by `owningTeamId` under `policy`? */
export function approverEligibility(
  user: Pick<SessionUser, "id" | "role" | "teamIds">,
  policy: PolicySnapshot,
  request: { requesterId: string; owningTeamId: string },
): Eligibility {
  const rule = approverRule(policy, request);
  return mayApprove(user, rule) ? ELIGIBLE : { ok: false, reason: whyNotApprover(user, rule) };
}

export function describeApprovers(policy: PolicySnapshot): string {
  const who: string[] = [];
  if (policy.approverRole) who.push(policy.approverRole === "admin" ? "admins" : "approvers and admins");
  if (policy.allowOwningTeam) who.push("members of the owning team");
  if (policy.approverTeamId) who.push(`members of ${policy.approverTeamName ?? "the named team"}`);
  return who.length ? who.join(", ") : "nobody";
}

/** Everyone who may approve (for notifications): matched in SQL by role or team, requester excluded. */
export async function eligibleApproverIds(db: Kysely<DB>, policy: PolicySnapshot, request: { requesterId: string; owningTeamId: string }) {
  const roles: Role[] =
    policy.approverRole === "developer"
      ? ["developer", "approver", "admin"]
      : policy.approverRole === "approver"
        ? ["approver", "admin"]
        : policy.approverRole === "admin"
          ? ["admin"]
          : [];
  const teamIds = [policy.allowOwningTeam ? request.owningTeamId : null, policy.approverTeamId].filter((t): t is string => !!t);
  if (roles.length === 0 && teamIds.length === 0) return [];
  const users = await db
    .selectFrom("User as u")
    .select("u.id")
    .where((eb) =>
      eb.or([
        ...(roles.length ? [eb("u.role", "in", roles)] : []),
        ...(teamIds.length
          ? [eb.exists(eb.selectFrom("TeamMember as m").select("m.userId").whereRef("m.userId", "=", "u.id").where("m.teamId", "in", teamIds))]
          : []),
      ]),
    )
    .where("u.id", "<>", request.requesterId)
    .orderBy("u.id", "asc")
    .execute();
  return users.map((u) => u.id);
}
