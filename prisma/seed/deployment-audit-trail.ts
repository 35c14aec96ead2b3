// The audit trail a seeded historical deployment request would have had, rebuilt from its row, its approvals and
// its last log line: the same actions, actors and before/after shapes the real flow writes (createRequest,
// decide, markApproved/queueIfDue, the deployment worker), each at the time it happened.
import type { DeploymentStatus } from "@/generated/prisma/enums";
import type { Prisma } from "../../server/db";
import { systemActor, type Actor, type AuditEntry } from "../../server/audit/audit-log";
import type { PolicySnapshot } from "../../server/deployments/approval-policy";

/** What historicalAuditTrail() reads of a request. */
export const TRAIL_INCLUDE = {
  requester: { select: { name: true } },
  service: { select: { slug: true, teamId: true } },
  environment: { select: { name: true } },
  approvals: { orderBy: { createdAt: "asc" }, include: { approver: { select: { name: true } } } },
  logs: { orderBy: { id: "desc" }, take: 1, select: { message: true } },
} satisfies Prisma.DeploymentRequestInclude;

export type HistoricalRequest = Prisma.DeploymentRequestGetPayload<{ include: typeof TRAIL_INCLUDE }>;

const workerActor = systemActor("deployment-worker");

/**
 * The entries in the order the real flow appends them, and the revision the row ends at. `eligibleApproverIds`
 * is what the request was announced to (computed by the caller with the real policy function).
 */
export function historicalAuditTrail(r: HistoricalRequest, eligibleApproverIds: string[]): { entries: AuditEntry[]; revision: number } {
  const entries: AuditEntry[] = [];
  const subject = { subjectType: "deployment_request", subjectId: r.id };
  let status = "draft" as DeploymentStatus; // widened: move() changes it
  let revision = 0;
  // What transition() writes: before/after status and revision, the event data in `after`.
  const move = (to: DeploymentStatus, actor: Actor, at: Date, eventData: Record<string, unknown> = {}) => {
    entries.push({
      actor,
      action: `deployment.${to}`,
      ...subject,
      before: { status, revision },
      after: { status: to, revision: revision + 1, ...eventData },
      at,
    });
    status = to;
    revision++;
  };

  const requester: Actor = { id: r.requesterId, label: r.requester.name };
  entries.push({
    actor: requester,
    action: "deployment.created",
    ...subject,
    after: { version: r.version, environment: r.environment.name, service: r.service.slug, breakGlass: r.breakGlass },
    at: r.createdAt,
  });
  move("pending_approval", requester, r.createdAt, { eligibleApproverIds, approvalsRequired: r.approvalsRequired, riskScore: r.riskScore });

  const policy = r.policySnapshot as unknown as PolicySnapshot;
  // markApproved's earliest start: the wait timer from the approval, or the scheduled window.
  const approve = (actor: Actor, at: Date, eventData: Record<string, unknown>) => {
    const notBefore = new Date(Math.max(at.getTime() + (policy.waitTimerMinutes ?? 0) * 60_000, r.scheduledFrom?.getTime() ?? 0));
    move("approved", actor, at, { ...eventData, notBefore: notBefore.toISOString() });
    return { actor, at };
  };
  let approved = r.approvalsRequired === 0 ? approve(systemActor("policy"), r.createdAt, { reason: `policy "${policy.name}" requires no approvals` }) : null;
  const approverIds: string[] = [];
  for (const a of r.approvals) {
    if (status !== "pending_approval") break;
    const actor: Actor = { id: a.approverId, label: a.approver.name };
    if (a.decision === "approve") approverIds.push(a.approverId);
    entries.push({
      actor,
      action: "approval.recorded",
      ...subject,
      after: { decision: a.decision, comment: a.comment, approvals: approverIds.length, required: r.approvalsRequired },
      at: a.createdAt,
    });
    // decide() moves the request in the same transaction as the decision that settles it.
    if (a.decision === "reject") move("rejected", actor, a.createdAt, { comment: a.comment });
    else if (approverIds.length >= r.approvalsRequired) approved = approve(actor, a.createdAt, { approverIds: [...approverIds] });
    else revision++; // a decision that moves nothing still bumps the row's revision
  }

  if (!approved || !r.queuedAt) return { entries, revision };
  // Queued by the approval itself when it was due at once, otherwise later by the scheduler's sweep.
  move("queued", r.queuedAt.getTime() === approved.at.getTime() ? approved.actor : systemActor("scheduler"), r.queuedAt);
  if (!r.startedAt) return { entries, revision };
  move("deploying", workerActor, r.startedAt);
  if (!r.finishedAt || !["succeeded", "failed", "rolled_back"].includes(r.status)) return { entries, revision };
  const outcome = r.status === "failed" ? "failed" : "succeeded";
  move(outcome, workerActor, r.finishedAt, { message: r.logs[0]?.message ?? `Deployment ${outcome}`, attempt: r.attempt });
  // No rollback request is seeded with it, so the rollback's own id is not known.
  if (r.status === "rolled_back") move("rolled_back", workerActor, r.finishedAt, { restoredVersion: r.previousVersion });
  return { entries, revision };
}
