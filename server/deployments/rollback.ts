// Rollbacks: a new request that deploys the previous version again, auto-approved (restoring a known state is the
// safe move) and queued at once, even during a freeze. When it succeeds the original becomes rolled_back.
import type { Db, Prisma, Tx } from "../db";
import { recordAudit, type Actor } from "../audit/audit-log";
import { badRequest, conflict, forbidden, notFound } from "../errors";
import { hasRole, type SessionUser } from "../identity/roles";
import { actorOf, TX_OPTIONS } from "./requests";
import { markApproved } from "./scheduling";


const ACTIVE = ["draft", "pending_approval", "approved", "queued", "deploying"] as const;

export async function createRollbackRequest(tx: Tx, originalId: string, actor: Actor, reason: string) {
  const o = await tx.deploymentRequest.findUnique({ where: { id: originalId } });
  if (!o) throw notFound("Deployment request");
  if (!o.previousVersion) throw badRequest("There is no previous version to roll back to");
  if (o.status !== "succeeded" && o.status !== "failed") throw conflict(`Only finished deployments can be rolled back (this one is ${o.status})`);
  const running = await tx.deploymentRequest.findFirst({ where: { rollbackOfId: o.id, status: { in: [...ACTIVE] } }, select: { id: true } });
  if (running) throw conflict("A rollback of this deployment is already under way");
  const rollback = await tx.deploymentRequest.create({
    data: {
      serviceId: o.serviceId,
      environmentId: o.environmentId,
      version: o.previousVersion,
      previousVersion: o.version,
      strategy: "rolling",
      summary: `Rollback of ${o.version} to ${o.previousVersion}: ${reason}`,
      ticketKey: o.ticketKey,
      requesterId: actor.id ?? o.requesterId,
      approvalsRequired: 0,
      policySnapshot: o.policySnapshot as Prisma.InputJsonValue,
      riskScore: o.riskScore,
      riskReasons: o.riskReasons as Prisma.InputJsonValue,
      rollbackOfId: o.id,
      executor: o.executor,
    },
  });
  await recordAudit(tx, { actor, action: "deployment.rollback_requested", subjectType: "deployment_request", subjectId: o.id, after: { rollbackRequestId: rollback.id, reason } });
  await markApproved(tx, rollback.id, actor, { rollbackOf: o.id, reason });
  return rollback.id;
}

/** One-click rollback: the owning team, approvers and admins may roll back the version that is live now. */
export async function requestRollback(db: Db, user: SessionUser, requestId: string, reason: string) {
  return db.$transaction(async (tx) => {
    const o = await tx.deploymentRequest.findUnique({ where: { id: requestId }, include: { service: { select: { teamId: true } } } });
    if (!o) throw notFound("Deployment request");
    if (!hasRole(user, "approver") && !user.teamIds.includes(o.service.teamId)) {
      throw forbidden("Only the owning team, approvers and admins may roll back");
    }
    if (o.status === "succeeded") {
      const placement = await tx.serviceEnvironment.findUnique({ where: { serviceId_environmentId: { serviceId: o.serviceId, environmentId: o.environmentId } } });
      if (placement?.currentVersion !== o.version) throw conflict(`${o.version} is no longer the live version here (now ${placement?.currentVersion ?? "none"})`);
    }
    return createRollbackRequest(tx, requestId, actorOf(user), reason.trim() || "manual rollback");
  }, TX_OPTIONS);
}

