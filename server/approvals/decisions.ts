// Approve / reject. The request row is locked first, so racing approvers are serialised: the first decision that
// completes the policy (or any rejection) moves the request, and everyone after gets a clear CONFLICT.
// Approvals decides; deployments records: this module writes the Approval table (its only writer) and hands the
// request's changes to the deployments domain (the state machine, scheduling, request-store).
import type { DeploymentStatus } from "@/generated/prisma/enums";
import { newId, prepared, transaction, type Db, type Tx } from "../db";
import { recordAudit } from "../audit/audit-log";
import { badRequest, conflict, forbidden, notFound } from "../errors";
import { actorOf } from "../identity/access";
import type { SessionUser } from "../identity/roles";
import { approverEligibility, type PolicySnapshot } from "../deployments/approval-policy";
import { emitDeploymentEvent, type EventContext } from "../deployments/deployment-events";
import { environmentFreezeWindows, freezeWindowFromJson } from "../deployments/freeze-windows";
import { recordApproval, transitionedOf } from "../deployments/request-store";
import { markApproved } from "../deployments/scheduling";
import { STATUS_LABEL, transition } from "../deployments/state-machine";

export type Decision = "approve" | "reject";

/**
 * Locks the request row (like the state machine's lockRequest) and loads, in the same statement, everything the
 * decision and its events need, so nothing is read twice. Only the request row is locked (FOR UPDATE OF r).
 * After waiting for the lock, Postgres re-reads the newest version of the locked row, so `approvedBy` includes
 * the approval of whoever held the lock before (a joined table would be read as of the statement's start).
 */
const LOCK_FOR_DECISION = prepared((db, p: { requestId: string }) =>
  db
    .selectFrom("DeploymentRequest as r")
    .innerJoin("Service as s", "s.id", "r.serviceId")
    .innerJoin("Team as t", "t.id", "s.teamId")
    .innerJoin("Environment as e", "e.id", "r.environmentId")
    .select(transitionedOf("r"))
    .select((eb) => [
      "r.approvalsRequired",
      "r.approvedBy",
      "r.expiresAt",
      "s.slug as serviceSlug",
      "s.name as serviceName",
      "s.tier as serviceTier",
      "s.teamId",
      "t.slug as teamSlug",
      "e.name as environmentName",
      "e.isProduction",
      // Configuration, not state: read here so an approval that completes the policy needs no other statement.
      environmentFreezeWindows(eb).as("freezeWindows"),
    ])
    .where("r.id", "=", p.requestId)
    .forUpdate("r"),
);

async function lockForDecision(tx: Tx, requestId: string) {
  const r = await LOCK_FOR_DECISION.executeTakeFirst(tx, { requestId });
  if (!r) throw notFound("Deployment request");
  return r;
}

export async function decide(db: Db, user: SessionUser, input: { requestId: string; decision: Decision; comment?: string }, now = new Date()) {
  // The busiest write path approvers have: BEGIN, one lock-and-load statement, then every write deferred and sent
  // with COMMIT in one message.
  return transaction(db, async (tx) => {
    const {
      approvalsRequired,
      approvedBy,
      expiresAt,
      serviceSlug,
      serviceName,
      serviceTier,
      teamId,
      teamSlug,
      environmentName,
      isProduction,
      freezeWindows,
      ...r
    } = await lockForDecision(tx, input.requestId);
    if (r.status !== "pending_approval") throw conflict(`This request is ${STATUS_LABEL[r.status]}; it no longer takes approvals`);
    if (expiresAt && expiresAt <= now) throw conflict("The approval window for this request has passed");
    const policy = r.policySnapshot as PolicySnapshot;
    const eligibility = approverEligibility(user, policy, { requesterId: r.requesterId, owningTeamId: teamId });
    if (!eligibility.ok) throw forbidden(eligibility.reason);
    // While a request is pending every decision on it is an approval (a rejection ends it).
    if (approvedBy.includes(user.id)) throw conflict("You already recorded a decision on this request");
    const comment = (input.comment ?? "").trim();
    if (input.decision === "reject" && comment.length === 0) throw badRequest("Say why you reject it: a comment is required", "comment");

    const context: EventContext = {
      service: { id: r.serviceId, slug: serviceSlug, name: serviceName, tier: serviceTier, teamId, team: { slug: teamSlug } },
      environment: { id: r.environmentId, name: environmentName, isProduction },
    };
    // Deferred writes (the approval, outbox rows, audit records) all go with COMMIT.
    const approval = { id: newId() };
    tx.deferred.write(tx.insertInto("Approval").values({ id: approval.id, requestId: r.id, approverId: user.id, decision: input.decision, comment }));
    const approverIds = input.decision === "approve" ? [...approvedBy, user.id] : approvedBy;
    const approvedCount = approverIds.length;
    const progress = { approvals: approvedCount, required: approvalsRequired };
    recordAudit(tx, {
      actor: actorOf(user),
      action: "approval.recorded",
      subjectType: "deployment_request",
      subjectId: r.id,
      after: { decision: input.decision, comment, ...progress },
    });
    await emitDeploymentEvent(
      tx,
      "approval.recorded",
      r.id,
      actorOf(user),
      { decision: input.decision, comment, approverId: user.id, ...progress },
      { ...r, ...context },
    );

    // The row is locked by this transaction since lockForDecision: the state machine works from it (no re-lock, no
    // re-read) and its updates, with the approver's, go as one UPDATE with COMMIT.
    let status: DeploymentStatus = r.status;
    // Why an approved request is not queued yet, so the approver is told what happens next.
    let heldBy: "wait_timer" | "freeze_window" | null = null;
    if (input.decision === "reject") {
      status = (
        await transition(tx, r.id, ["pending_approval"], "rejected", {
          actor: actorOf(user),
          data: { finishedAt: now },
          eventData: { comment },
          row: r,
          context,
        })
      ).status;
    } else if (approvedCount >= approvalsRequired) {
      const queued = await markApproved(tx, r.id, actorOf(user), { approverIds }, now, {
        request: r,
        context,
        freezeWindows: freezeWindows.map(freezeWindowFromJson),
      });
      status = queued === "queued" ? "queued" : "approved";
      heldBy = queued === "waiting" ? "wait_timer" : queued === "frozen" ? "freeze_window" : null;
    }
    // Record the approver on the row; a decision that moved nothing still bumps revision (a transition has already).
    if (input.decision === "approve") recordApproval(tx, r, user.id, { bumpRevision: status === r.status });
    return { approvalId: approval.id, status, heldBy, ...progress };
  });
}
