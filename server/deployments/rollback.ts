// Rollbacks: a new request that deploys the previous version again, auto-approved (restoring a known state is the
// safe move) and queued at once, even during a freeze. When it succeeds the original becomes rolled_back.
import { transaction, type Db, type Tx } from "../db";
import { recordAudit, type Actor } from "../audit/audit-log";
import { badRequest, conflict, forbidden, notFound } from "../errors";
import { actorOf, canRollback } from "../identity/access";
import type { SessionUser } from "../identity/roles";
import { insertRequest } from "./request-store";
import { markApproved } from "./scheduling";
import { ACTIVE_STATUSES, isFinishedRun } from "./state-machine";

export async function createRollbackRequest(tx: Tx, originalId: string, actor: Actor, reason: string) {
  const o = await tx.selectFrom("DeploymentRequest").selectAll().where("id", "=", originalId).executeTakeFirst();
  if (!o) throw notFound("Deployment request");
  if (!o.previousVersion) throw badRequest("There is no previous version to roll back to");
  if (!isFinishedRun(o.status)) throw conflict(`Only finished deployments can be rolled back (this one is ${o.status})`);
  const running = await tx
    .selectFrom("DeploymentRequest")
    .select("id")
    .where("rollbackOfId", "=", o.id)
    .where("status", "in", ACTIVE_STATUSES)
    .limit(1)
    .executeTakeFirst();
  if (running) throw conflict("A rollback of this deployment is already under way");
  const rollback = await insertRequest(tx, {
    serviceId: o.serviceId,
    environmentId: o.environmentId,
    version: o.previousVersion,
    previousVersion: o.version,
    strategy: "rolling",
    summary: `Rollback of ${o.version} to ${o.previousVersion}: ${reason}`,
    ticketKey: o.ticketKey,
    requesterId: actor.id ?? o.requesterId,
    approvalsRequired: 0,
    policySnapshot: o.policySnapshot,
    riskScore: o.riskScore,
    riskReasons: o.riskReasons,
    rollbackOfId: o.id,
    executor: o.executor,
  });
  recordAudit(tx, {
    actor,
    action: "deployment.rollback_requested",
    subjectType: "deployment_request",
    subjectId: o.id,
    after: { rollbackRequestId: rollback.id, reason },
  });
  await markApproved(tx, rollback.id, actor, { rollbackOf: o.id, reason });
  return rollback.id;
}

/** One-click rollback: the owning team, approvers and admins may roll back the version that is live now. */
export async function requestRollback(db: Db, user: SessionUser, requestId: string, reason: string) {
  return transaction(db, async (tx) => {
    const o = await tx
      .selectFrom("DeploymentRequest as r")
      .innerJoin("Service as s", "s.id", "r.serviceId")
      .leftJoin("ServiceEnvironment as se", (join) => join.onRef("se.serviceId", "=", "r.serviceId").onRef("se.environmentId", "=", "r.environmentId"))
      .select(["r.status", "r.version", "s.teamId", "se.currentVersion"])
      .where("r.id", "=", requestId)
      .executeTakeFirst();
    if (!o) throw notFound("Deployment request");
    if (!canRollback(user, o.teamId)) throw forbidden("Only the owning team, approvers and admins may roll back");
    if (o.status === "succeeded" && o.currentVersion !== o.version) {
      throw conflict(`${o.version} is no longer the live version here (now ${o.currentVersion ?? "none"})`);
    }
    return createRollbackRequest(tx, requestId, actorOf(user), reason.trim() || "manual rollback");
  });
}
