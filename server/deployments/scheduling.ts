// From approval to the queue: wait timers, scheduled windows and freezes decide when an approved request is queued.
// Queueing writes an outbox row for the deployments queue in the same transaction, so a job is never lost.
import type { Db, Tx } from "../db";
import type { Actor } from "../audit/audit-log";
import { systemActor } from "../audit/audit-log";
import { activeFreeze, describeFreezeWindow } from "../approvals/freeze-windows";
import { writeOutbox } from "../outbox/outbox";
import { QUEUES } from "../platform/queues";
import { logger } from "../logger";
import { transition } from "./state-machine";
import type { PolicySnapshot } from "../approvals/policy";

export const EXECUTE_JOB = "deployment.execute";

/** The job that makes a worker run the request (delivered through the outbox to QUEUES.deployments). */
export async function enqueueExecution(tx: Tx, requestId: string, attempt: number) {
  return writeOutbox(tx, { queue: QUEUES.deployments, type: EXECUTE_JOB, payload: { requestId, attempt } });
}

/** pending_approval|draft → approved, with the earliest start from the wait timer and the scheduled window. */
export async function markApproved(tx: Tx, requestId: string, actor: Actor, eventData: Record<string, unknown> = {}, now = new Date()) {
  const r = await tx.deploymentRequest.findUniqueOrThrow({ where: { id: requestId }, select: { policySnapshot: true, scheduledFrom: true, breakGlass: true, rollbackOfId: true } });
  const policy = r.policySnapshot as unknown as PolicySnapshot;
  // Break-glass and rollbacks are urgent by definition: no wait timer.
  const waitMs = r.breakGlass || r.rollbackOfId ? 0 : (policy.waitTimerMinutes ?? 0) * 60_000;
  const notBefore = new Date(Math.max(now.getTime() + waitMs, r.scheduledFrom?.getTime() ?? 0));
  await transition(tx, requestId, ["draft", "pending_approval"], "approved", { actor, data: { notBefore }, eventData: { ...eventData, notBefore: notBefore.toISOString() } });
  return queueIfDue(tx, requestId, actor, now);
}

export type QueueDecision = "queued" | "waiting" | "frozen" | "not_approved";

/** approved → queued when its time has come and no freeze is on (break-glass and rollbacks ignore freezes). */
export async function queueIfDue(tx: Tx, requestId: string, actor: Actor, now = new Date()): Promise<QueueDecision> {
  const r = await tx.deploymentRequest.findUniqueOrThrow({
    where: { id: requestId },
    select: { status: true, notBefore: true, breakGlass: true, rollbackOfId: true, environmentId: true, attempt: true },
  });
  if (r.status !== "approved") return "not_approved";
  if (r.notBefore && r.notBefore > now) return "waiting";
  if (!r.breakGlass && !r.rollbackOfId) {
    const freeze = activeFreeze(await tx.freezeWindow.findMany({ where: { environmentId: r.environmentId } }), now);
    if (freeze) {
      const message = `Held by freeze window ${describeFreezeWindow(freeze)}`;
      // The sweep re-checks every few seconds: log the hold once, not on every pass.
      const last = await tx.deploymentLog.findFirst({ where: { requestId }, orderBy: { id: "desc" }, select: { message: true } });
      if (last?.message !== message) await tx.deploymentLog.create({ data: { requestId, level: "warn", message } });
      return "frozen";
    }
  }
  await transition(tx, requestId, ["approved"], "queued", { actor, data: { queuedAt: now } });
  await enqueueExecution(tx, requestId, r.attempt);
  return "queued";
}

const TX = { maxWait: 10_000, timeout: 20_000 };

/**
 * Periodic sweep: expire requests whose approval window or scheduled window passed, and queue approved requests
 * whose wait timer/schedule/freeze has cleared. Each request in its own transaction, so one failure stops nothing.
 */
export async function sweepSchedules(db: Db, now = new Date()) {
  const actor = systemActor("scheduler");
  const result = { expired: 0, queued: 0 };
  const stale = await db.deploymentRequest.findMany({
    where: {
      OR: [
        { status: "pending_approval", expiresAt: { lte: now } },
        { status: { in: ["pending_approval", "approved"] }, scheduledUntil: { lte: now } },
      ],
    },
    select: { id: true, status: true, expiresAt: true },
    take: 500,
  });
  for (const r of stale) {
    const reason = r.expiresAt && r.expiresAt <= now && r.status === "pending_approval" ? "approval window expired" : "scheduled window ended before it could run";
    try {
      await db.$transaction((tx) => transition(tx, r.id, ["pending_approval", "approved"], "expired", { actor, eventData: { reason } }), TX);
      result.expired++;
    } catch (err) {
      logger.warn({ err, requestId: r.id }, "expiry sweep skipped a request");
    }
  }
  const due = await db.deploymentRequest.findMany({
    where: { status: "approved", OR: [{ notBefore: null }, { notBefore: { lte: now } }] },
    select: { id: true },
    take: 500,
  });
  for (const r of due) {
    try {
      if ((await db.$transaction((tx) => queueIfDue(tx, r.id, actor, now), TX)) === "queued") result.queued++;
    } catch (err) {
      logger.warn({ err, requestId: r.id }, "schedule sweep skipped a request");
    }
  }
  return result;
}
