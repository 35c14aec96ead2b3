// Read side: deployment history with filters, one request's page (timeline, approvals, logs), the request form's
// options. Reads are open to every signed-in user: an internal portal where visibility builds trust.
import type { DeploymentStatus } from "@/generated/prisma/enums";
import type { Db, Prisma } from "../db";
import { notFound } from "../errors";
import { canAdminister, canCancelRequest, canManageService, canRollback } from "../identity/access";
import type { SessionUser } from "../identity/roles";
import { approverEligibility, describeApprovers, type PolicySnapshot } from "./approval-policy";
import type { RiskReason } from "./risk-score";
import type { FailureReason } from "./risk-model/features";
import { isCancellable, isFinishedRun } from "./state-machine";
import { findBlocker } from "./target-queue";

export type HistoryFilter = {
  serviceId?: string;
  environmentId?: string;
  status?: DeploymentStatus;
  requesterId?: string;
  from?: Date;
  to?: Date;
  cursor?: string;
  limit?: number;
};

export async function listRequests(db: Db, f: HistoryFilter) {
  const limit = Math.min(f.limit ?? 50, 200);
  const where: Prisma.DeploymentRequestWhereInput = {
    serviceId: f.serviceId,
    environmentId: f.environmentId,
    status: f.status,
    requesterId: f.requesterId,
    createdAt: f.from || f.to ? { gte: f.from, lt: f.to } : undefined,
  };
  const rows = await db.deploymentRequest.findMany({
    where,
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: limit + 1,
    ...(f.cursor ? { cursor: { id: f.cursor }, skip: 1 } : {}),
    select: {
      id: true,
      version: true,
      previousVersion: true,
      status: true,
      strategy: true,
      breakGlass: true,
      riskScore: true,
      createdAt: true,
      finishedAt: true,
      rollbackOfId: true,
      approvalsRequired: true,
      service: { select: { id: true, slug: true, name: true } },
      environment: { select: { id: true, name: true } },
      requester: { select: { id: true, name: true } },
      _count: { select: { approvals: { where: { decision: "approve" } } } },
    },
  });
  return { items: rows.slice(0, limit), nextCursor: rows.length > limit ? rows[limit - 1].id : null };
}

type TimelineEntry = { at: Date; kind: string; label: string; actor: string; detail?: string };

export async function getRequest(db: Db, user: SessionUser, id: string) {
  const r = await db.deploymentRequest.findUnique({
    where: { id },
    include: {
      service: { select: { id: true, slug: true, name: true, tier: true, teamId: true, team: { select: { name: true } } } },
      environment: { select: { id: true, name: true, isProduction: true } },
      requester: { select: { id: true, name: true, email: true } },
      approvals: { orderBy: { createdAt: "asc" }, include: { approver: { select: { id: true, name: true } } } },
      rollbackOf: { select: { id: true, version: true, status: true } },
      rollbacks: { select: { id: true, version: true, status: true, createdAt: true }, orderBy: { createdAt: "desc" } },
    },
  });
  if (!r) throw notFound("Deployment request");
  const [audit, waitingFor] = await Promise.all([
    db.auditEvent.findMany({ where: { subjectType: "deployment_request", subjectId: id }, orderBy: { seq: "asc" } }),
    // A queued request waits for its target: the run in progress there, or the request ahead of it.
    r.status === "queued" ? findBlocker(db.kysely, r.id, r) : null,
  ]);
  const timeline: TimelineEntry[] = audit.map((a) => {
    const after = (a.after ?? {}) as Record<string, unknown>;
    const detail = [after.comment, after.reason, after.message, after.note].find((x) => typeof x === "string" && x) as string | undefined;
    const decision =
      a.action === "approval.recorded" ? (after.decision === "reject" ? "Rejected" : `Approved (${after.approvals} of ${after.required})`) : null;
    return { at: a.createdAt, kind: a.action, label: decision ?? TIMELINE_LABEL[a.action] ?? a.action, actor: a.actorLabel, detail };
  });
  const policy = r.policySnapshot as unknown as PolicySnapshot;
  const eligibility = approverEligibility(user, policy, { requesterId: r.requesterId, owningTeamId: r.service.teamId });
  const decided = r.approvals.some((a) => a.approverId === user.id);
  return {
    ...r,
    policy,
    approversDescription: describeApprovers(policy),
    riskReasons: r.riskReasons as unknown as RiskReason[],
    failureReasons: r.failureReasons as unknown as FailureReason[],
    approvedCount: r.approvals.filter((a) => a.decision === "approve").length,
    timeline,
    waitingFor,
    can: {
      decide: r.status === "pending_approval" && eligibility.ok && !decided,
      decideReason: eligibility.ok ? (decided ? "You already decided" : null) : eligibility.reason,
      cancel: isCancellable(r.status) && canCancelRequest(user, { requesterId: r.requesterId, owningTeamId: r.service.teamId }),
      rollback: isFinishedRun(r.status) && !!r.previousVersion && canRollback(user, r.service.teamId),
      review: r.breakGlass && !r.reviewedAfterAt && canAdminister(user),
    },
  };
}

const TIMELINE_LABEL: Record<string, string> = {
  "deployment.created": "Created",
  "deployment.pending_approval": "Requested",
  "deployment.approved": "Approved",
  "deployment.rejected": "Rejected",
  "deployment.expired": "Expired",
  "deployment.cancelled": "Cancelled",
  "deployment.queued": "Queued",
  "deployment.deploying": "Started",
  "deployment.succeeded": "Succeeded",
  "deployment.failed": "Failed",
  "deployment.rolled_back": "Rolled back",
  "deployment.rollback_requested": "Rollback requested",
  "deployment.break_glass_reviewed": "Break-glass reviewed",
};

/** Log lines after `afterId` (for polling while a run is in progress). */
export async function requestLogs(db: Db, requestId: string, afterId?: string) {
  const [logs, r] = await Promise.all([
    db.deploymentLog.findMany({ where: { requestId, ...(afterId ? { id: { gt: BigInt(afterId) } } : {}) }, orderBy: { id: "asc" }, take: 500 }),
    db.deploymentRequest.findUnique({ where: { id: requestId }, select: { status: true, progress: true, revision: true } }),
  ]);
  if (!r) throw notFound("Deployment request");
  return { ...r, logs: logs.map((l) => ({ id: l.id.toString(), at: l.at, level: l.level, message: l.message })) };
}

/** Services the user may request deployments for, with their environments and live versions. */
export async function requestFormOptions(db: Db, user: SessionUser) {
  const services = await db.service.findMany({
    orderBy: { name: "asc" },
    select: {
      id: true,
      slug: true,
      name: true,
      tier: true,
      teamId: true,
      environments: { select: { currentVersion: true, executor: true, environment: { select: { id: true, name: true, rank: true, isProduction: true } } } },
    },
  });
  // The user's own teams' services first (the form preselects the first): admins may deploy anything, but usually
  // deploy their own.
  return services
    .filter((s) => canManageService(user, s.teamId))
    .map(({ teamId, ...s }) => ({
      ...s,
      mine: user.teamIds.includes(teamId),
      environments: s.environments.map((e) => ({ ...e.environment, currentVersion: e.currentVersion, executor: e.executor })).sort((a, b) => a.rank - b.rank),
    }))
    .sort((a, b) => Number(b.mine) - Number(a.mine));
}
