// Approve / reject. The request row is locked first, so racing approvers are serialised: the first decision that
// completes the policy (or any rejection) moves the request, and everyone after gets a clear CONFLICT.
import type { DeploymentStatus } from "@/generated/prisma/enums";
import type { Db } from "../db";
import { newId, sql, sqlTransaction, STATEMENT, type SqlTx } from "../sql";
import { recordAudit } from "../audit/audit-log";
import { badRequest, conflict, forbidden, notFound } from "../errors";
import { emitDeploymentEvent, type EventContext } from "../deployments/deployment-events";
import { actorOf } from "../deployments/requests";
import { markApproved } from "../deployments/scheduling";
import { deferRequestUpdate, STATUS_LABEL, transition, TRANSITIONED_COLUMNS_OF_R, type TransitionedRequest } from "../deployments/state-machine";
import { freezeWindowFromJson } from "../deployments/freeze-windows";
import type { SessionUser } from "../identity/roles";
import { approverEligibility, type PolicySnapshot } from "../deployments/approval-policy";

export type Decision = "approve" | "reject";

type LockedRequest = TransitionedRequest & {
  approvalsRequired: number;
  approvedBy: string[];
  expiresAt: Date | null;
  serviceSlug: string;
  serviceName: string;
  serviceTier: number;
  teamId: string;
  teamSlug: string;
  environmentName: string;
  isProduction: boolean;
  freezeWindows: Parameters<typeof freezeWindowFromJson>[0][];
};

/**
 * Locks the request row (like the state machine's lockRequest) and loads, in the same statement, everything the
 * decision and its events need, so nothing is read twice. Only the request row is locked (FOR UPDATE OF r).
 * After waiting for the lock, Postgres re-reads the newest version of the locked row, so `approvedBy` includes
 * the approval of whoever held the lock before (a joined table would be read as of the statement's start).
 */
async function lockForDecision(tx: SqlTx, requestId: string) {
  const rows = await tx.rows<LockedRequest>(sql`
    SELECT ${TRANSITIONED_COLUMNS_OF_R}, r."approvalsRequired", r."approvedBy", r."expiresAt",
           s.slug AS "serviceSlug", s.name AS "serviceName", s.tier AS "serviceTier", s."teamId", t.slug AS "teamSlug",
           e.name AS "environmentName", e."isProduction",
           -- Configuration, not state: read here so an approval that completes the policy needs no other statement.
           (SELECT COALESCE(json_agg(row_to_json(fw)), '[]'::json) FROM "FreezeWindow" fw WHERE fw."environmentId" = r."environmentId") AS "freezeWindows"
      FROM "DeploymentRequest" r
      JOIN "Service" s ON s.id = r."serviceId"
      JOIN "Team" t ON t.id = s."teamId"
      JOIN "Environment" e ON e.id = r."environmentId"
     WHERE r.id = ${requestId}
     FOR UPDATE OF r`);
  if (rows.length === 0) throw notFound("Deployment request");
  return rows[0];
}

export async function decide(db: Db, user: SessionUser, input: { requestId: string; decision: Decision; comment?: string }, now = new Date()) {
  // Plain SQL on its own connection (server/sql.ts): this is the busiest write path approvers have.
  return sqlTransaction(db, async (tx) => {
    const r = await lockForDecision(tx, input.requestId);
    if (r.status !== "pending_approval") throw conflict(`This request is ${STATUS_LABEL[r.status]}; it no longer takes approvals`);
    if (r.expiresAt && r.expiresAt <= now) throw conflict("The approval window for this request has passed");
    const policy = r.policySnapshot as unknown as PolicySnapshot;
    const eligibility = approverEligibility(user, policy, { requesterId: r.requesterId, owningTeamId: r.teamId });
    if (!eligibility.ok) throw forbidden(eligibility.reason);
    // While a request is pending every decision on it is an approval (a rejection ends it).
    if (r.approvedBy.includes(user.id)) throw conflict("You already recorded a decision on this request");
    const comment = (input.comment ?? "").trim();
    if (input.decision === "reject" && comment.length === 0) throw badRequest("Say why you reject it: a comment is required", "comment");

    const context: EventContext = {
      service: { id: r.serviceId, slug: r.serviceSlug, name: r.serviceName, tier: r.serviceTier, teamId: r.teamId, team: { slug: r.teamSlug } },
      environment: { id: r.environmentId, name: r.environmentName, isProduction: r.isProduction },
    };
    // Deferred writes (the approval, outbox rows, audit records) all go in one statement before COMMIT.
    const approval = { id: newId() };
    await tx.defer(STATEMENT, sql`
      INSERT INTO "Approval" (id, "requestId", "approverId", decision, comment) VALUES (${approval.id}, ${r.id}, ${user.id}, ${input.decision}, ${comment})`);
    const approverIds = input.decision === "approve" ? [...r.approvedBy, user.id] : r.approvedBy;
    const approvedCount = approverIds.length;
    const progress = { approvals: approvedCount, required: r.approvalsRequired };
    await recordAudit(tx, {
      actor: actorOf(user),
      action: "approval.recorded",
      subjectType: "deployment_request",
      subjectId: r.id,
      after: { decision: input.decision, comment, ...progress },
    });
    await emitDeploymentEvent(tx, "approval.recorded", r.id, actorOf(user), { decision: input.decision, comment, approverId: user.id, ...progress }, { ...r, ...context });

    // The row is locked by this transaction since lockForDecision: the state machine works from it (no re-lock, no
    // re-read) and its updates, with the approver's, go as one UPDATE with COMMIT.
    let status: DeploymentStatus = r.status;
    if (input.decision === "reject") {
      status = (
        await transition(tx, r.id, ["pending_approval"], "rejected", { actor: actorOf(user), data: { finishedAt: now }, eventData: { comment }, row: r, context })
      ).status;
    } else if (approvedCount >= r.approvalsRequired) {
      const queued = await markApproved(tx, r.id, actorOf(user), { approverIds }, now, { request: r, context, freezeWindows: r.freezeWindows.map(freezeWindowFromJson) });
      status = queued === "queued" ? "queued" : "approved";
    }
    // Record the approver on the row; a decision that moved nothing still changed the request, so it bumps revision
    // (which readers like the inbox and optimistic writers compare). A transition has bumped it already.
    if (input.decision === "approve") {
      await deferRequestUpdate(tx, r.id, { approvedBy: sql`array_append("approvedBy", ${user.id}::text)` }, { bumpRevision: status === r.status });
    }
    return { approvalId: approval.id, status, ...progress };
  });
}
