// Approve / reject. The request row is locked first, so racing approvers are serialised: the first decision that
// completes the policy (or any rejection) moves the request, and everyone after gets a clear CONFLICT.
import type { Db } from "../db";
import { recordAudit } from "../audit/audit-log";
import { badRequest, conflict, forbidden, notFound } from "../errors";
import { emitPierEvent } from "../events/pier-events";
import { loadEventSubject, requestUrl } from "../deployments/deployment-events";
import { actorOf, TX_OPTIONS } from "../deployments/requests";
import { markApproved } from "../deployments/scheduling";
import { lockRequest, STATUS_LABEL, transition } from "../deployments/state-machine";
import type { SessionUser } from "../identity/roles";
import { approverEligibility, type PolicySnapshot } from "./policy";

export type Decision = "approve" | "reject";

export async function decide(db: Db, user: SessionUser, input: { requestId: string; decision: Decision; comment?: string }, now = new Date()) {
  return db.$transaction(async (tx) => {
    const locked = await lockRequest(tx, input.requestId);
    if (locked.status !== "pending_approval") throw conflict(`This request is ${STATUS_LABEL[locked.status]}; it no longer takes approvals`);
    const r = await tx.deploymentRequest.findUnique({
      where: { id: input.requestId },
      include: { service: { select: { teamId: true } }, approvals: { select: { approverId: true, decision: true } } },
    });
    if (!r) throw notFound("Deployment request");
    if (r.expiresAt && r.expiresAt <= now) throw conflict("The approval window for this request has passed");
    const policy = r.policySnapshot as unknown as PolicySnapshot;
    const eligibility = approverEligibility(user, policy, { requesterId: r.requesterId, owningTeamId: r.service.teamId });
    if (!eligibility.ok) throw forbidden(eligibility.reason);
    if (r.approvals.some((a) => a.approverId === user.id)) throw conflict("You already recorded a decision on this request");
    const comment = (input.comment ?? "").trim();
    if (input.decision === "reject" && comment.length === 0) throw badRequest("Say why you reject it: a comment is required", "comment");

    const approval = await tx.approval.create({ data: { requestId: r.id, approverId: user.id, decision: input.decision, comment } });
    const approvedCount = r.approvals.filter((a) => a.decision === "approve").length + (input.decision === "approve" ? 1 : 0);
    const progress = { approvals: approvedCount, required: r.approvalsRequired };
    await recordAudit(tx, {
      actor: actorOf(user),
      action: "approval.recorded",
      subjectType: "deployment_request",
      subjectId: r.id,
      after: { decision: input.decision, comment, ...progress },
    });
    const subject = await loadEventSubject(tx, r.id);
    await emitPierEvent(tx, {
      type: "approval.recorded",
      severity: "info",
      actor: actorOf(user),
      subject: {
        service: { id: subject.service.id, slug: subject.service.slug, name: subject.service.name, tier: subject.service.tier, teamId: subject.service.teamId, teamSlug: subject.service.team.slug },
        environment: subject.environment,
        deploymentRequestId: r.id,
      },
      data: {
        requestId: r.id,
        version: r.version,
        previousVersion: r.previousVersion,
        requesterId: r.requesterId,
        strategy: r.strategy,
        breakGlass: r.breakGlass,
        decision: input.decision,
        comment,
        approverId: user.id,
        url: requestUrl(r.id),
        ...progress,
      },
    });

    let status = r.status;
    if (input.decision === "reject") {
      status = (await transition(tx, r.id, ["pending_approval"], "rejected", { actor: actorOf(user), data: { finishedAt: now }, eventData: { comment } })).status;
    } else if (approvedCount >= r.approvalsRequired) {
      const queued = await markApproved(tx, r.id, actorOf(user), { approverIds: [...r.approvals.filter((a) => a.decision === "approve").map((a) => a.approverId), user.id] }, now);
      status = queued === "queued" ? "queued" : "approved";
    }
    return { approvalId: approval.id, status, ...progress };
  }, TX_OPTIONS);
}
