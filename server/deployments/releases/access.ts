// Who may do what with a release, in one place for the mutations and the page's can.* flags.
import { canManageService } from "../../identity/access";
import { hasRole, type SessionUser } from "../../identity/roles";
import { approverEligibility, type Eligibility, type PolicySnapshot } from "../approval-policy";

/** Release policy: the strictest member's, plus the team that owns that member (its "owning team"). */
export type ReleasePolicy = PolicySnapshot & { owningTeamId: string; fromService: string };

/**
 * Creating a release: approvers and admins coordinate across teams; a developer may group services only when
 * their team owns every one of them.
 */
export const canCreateRelease = (user: SessionUser, owningTeamIds: readonly string[]) =>
  hasRole(user, "approver") || owningTeamIds.every((t) => canManageService(user, t));

/** Approving or rejecting: whoever the strictest member's policy names, never the release's creator. */
export const releaseApproverEligibility = (user: SessionUser, r: { creatorId: string; policySnapshot: unknown }): Eligibility => {
  const policy = r.policySnapshot as ReleasePolicy;
  return approverEligibility(user, policy, { requesterId: r.creatorId, owningTeamId: policy.owningTeamId });
};

/** Aborting: the creator and admins. */
export const canAbortRelease = (user: SessionUser, r: { creatorId: string }) => r.creatorId === user.id || hasRole(user, "admin");
