// Approve / reject. The request row is locked first, so racing approvers are serialised: the first decision that
// completes the policy (or any rejection) moves the request, and everyone after gets a clear CONFLICT.
import type { DeploymentStatus, DeploymentStrategy } from "@/generated/prisma/enums";
import type { Db, Prisma, Tx } from "../db";
import { DeferredAudit } from "../audit/audit-log";
import { badRequest, conflict, forbidden, notFound } from "../errors";
import { emitDeploymentEvent, type EventContext } from "../deployments/deployment-events";
import { actorOf, TX_OPTIONS } from "../deployments/requests";
import { markApproved } from "../deployments/scheduling";
import { STATUS_LABEL, transition } from "../deployments/state-machine";
import type { SessionUser } from "../identity/roles";
import { approverEligibility, type PolicySnapshot } from "./policy";

export type Decision = "approve" | "reject";

type LockedRequest = {
  id: string;
  status: DeploymentStatus;
  revision: number;
  version: string;
  previousVersion: string | null;
  requesterId: string;
  strategy: DeploymentStrategy;
  breakGlass: boolean;
  breakGlassReason: string | null;
  rollbackOfId: string | null;
  approvalsRequired: number;
  policySnapshot: Prisma.JsonValue;
  expiresAt: Date | null;
  scheduledFrom: Date | null;
  serviceId: string;
  serviceSlug: string;
  serviceName: string;
  serviceTier: number;
  teamId: string;
  teamSlug: string;
  environmentId: string;
  environmentName: string;
  isProduction: boolean;
};

/**
 * Locks the request row (like the state machine's lockRequest) and loads, in the same statement, everything the
 * decision and its events need, so nothing is read twice. Only the request row is locked (FOR UPDATE OF r).
 */
async function lockForDecision(tx: Tx, requestId: string) {
  const rows = await tx.$queryRaw<LockedRequest[]>`
    SELECT r.id, r.status::text AS status, r.revision, r.version, r."previousVersion", r."requesterId", r.strategy::text AS strategy,
           r."breakGlass", r."breakGlassReason", r."rollbackOfId", r."approvalsRequired", r."policySnapshot", r."expiresAt", r."scheduledFrom",
           s.id AS "serviceId", s.slug AS "serviceSlug", s.name AS "serviceName", s.tier AS "serviceTier", s."teamId", t.slug AS "teamSlug",
           e.id AS "environmentId", e.name AS "environmentName", e."isProduction"
      FROM "DeploymentRequest" r
      JOIN "Service" s ON s.id = r."serviceId"
      JOIN "Team" t ON t.id = s."teamId"
      JOIN "Environment" e ON e.id = r."environmentId"
     WHERE r.id = ${requestId}
     FOR UPDATE OF r`;
  if (rows.length === 0) throw notFound("Deployment request");
  return rows[0];
}

export async function decide(db: Db, user: SessionUser, input: { requestId: string; decision: Decision; comment?: string }, now = new Date()) {
  return db.$transaction(async (tx) => {
    const r = await lockForDecision(tx, input.requestId);
    if (r.status !== "pending_approval") throw conflict(`This request is ${STATUS_LABEL[r.status]}; it no longer takes approvals`);
    // Read after the lock is held (a new statement, so a new snapshot): decisions committed by whoever held the lock
    // before us are visible, and none can be added until we commit.
    const approvals = await tx.$queryRaw<{ approverId: string; decision: string }[]>`
      SELECT "approverId", decision FROM "Approval" WHERE "requestId" = ${r.id}`;
    if (r.expiresAt && r.expiresAt <= now) throw conflict("The approval window for this request has passed");
    const policy = r.policySnapshot as unknown as PolicySnapshot;
    const eligibility = approverEligibility(user, policy, { requesterId: r.requesterId, owningTeamId: r.teamId });
    if (!eligibility.ok) throw forbidden(eligibility.reason);
    if (approvals.some((a) => a.approverId === user.id)) throw conflict("You already recorded a decision on this request");
    const comment = (input.comment ?? "").trim();
    if (input.decision === "reject" && comment.length === 0) throw badRequest("Say why you reject it: a comment is required", "comment");

    // Audit records are appended together as the transaction's last statement: the audit chain's global lock is
    // then held only for its final moments (see recordAudits).
    const audit = new DeferredAudit();
    const context: EventContext = {
      service: { id: r.serviceId, slug: r.serviceSlug, name: r.serviceName, tier: r.serviceTier, teamId: r.teamId, team: { slug: r.teamSlug } },
      environment: { id: r.environmentId, name: r.environmentName, isProduction: r.isProduction },
    };
    const approval = await tx.approval.create({ data: { requestId: r.id, approverId: user.id, decision: input.decision, comment }, select: { id: true } });
    const approvedCount = approvals.filter((a) => a.decision === "approve").length + (input.decision === "approve" ? 1 : 0);
    const progress = { approvals: approvedCount, required: r.approvalsRequired };
    audit.add({
      actor: actorOf(user),
      action: "approval.recorded",
      subjectType: "deployment_request",
      subjectId: r.id,
      after: { decision: input.decision, comment, ...progress },
    });
    await emitDeploymentEvent(tx, "approval.recorded", r.id, actorOf(user), { decision: input.decision, comment, approverId: user.id, ...progress }, { ...r, ...context });

    // The row is locked by this transaction since lockForDecision: the state machine reuses it instead of re-locking.
    const locked = { status: r.status, revision: r.revision };
    let status: DeploymentStatus = r.status;
    if (input.decision === "reject") {
      status = (
        await transition(tx, r.id, ["pending_approval"], "rejected", { actor: actorOf(user), data: { finishedAt: now }, eventData: { comment }, locked, context, audit })
      ).status;
    } else if (approvedCount >= r.approvalsRequired) {
      const approverIds = [...approvals.filter((a) => a.decision === "approve").map((a) => a.approverId), user.id];
      const queued = await markApproved(tx, r.id, actorOf(user), { approverIds }, now, { request: r, context, audit });
      status = queued === "queued" ? "queued" : "approved";
    }
    await audit.flush(tx);
    return { approvalId: approval.id, status, ...progress };
  }, TX_OPTIONS);
}
