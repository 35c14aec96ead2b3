// Who may steer rollouts and edit fleets: the rules as identity/access.ts words them, in one place for the
// mutations and the page's can.* flags.
import { canAdminister, canCancelRequest } from "../../identity/access";
import { forbidden } from "../../errors";
import type { SessionUser } from "../../identity/roles";

/** Pause, resume, abort: whoever asked for the request, its service's team, admins (as for cancelling it). */
export const canControlRollout = (user: SessionUser, r: { requesterId: string; teamId: string }) =>
  canCancelRequest(user, { requesterId: r.requesterId, owningTeamId: r.teamId });

export function assertCanControlRollout(user: SessionUser, r: { requesterId: string; teamId: string }) {
  if (!canControlRollout(user, r)) throw forbidden("Only the requester, the service's team and admins may pause, resume or abort this rollout");
}

export function assertCanAdminister(user: SessionUser) {
  if (!canAdminister(user)) throw forbidden("Only admins may change deployment targets and rollout plans");
}
