// From approval to the queue: wait timers, scheduled windows and freezes decide when an approved request is queued.
// Queueing writes an outbox row for the deployments queue in the same transaction, so a job is never lost.
import { transaction, type DB, type Db, type Kysely, type Tx } from "../db";
import { notFound } from "../errors";
import type { Actor } from "../audit/audit-log";
import { systemActor } from "../audit/audit-log";
import { activeFreeze, describeFreezeWindow, type FreezeWindow } from "./freeze-windows";
import { writeOutbox } from "../bus/outbox";
import { QUEUES } from "../platform/queues";
import { logger } from "../logger";
import type { EventContext } from "./deployment-events";
import { appendLogOnce } from "./deployment-log";
import { TRANSITIONED, type TransitionedRequest } from "./request-store";
import { transition } from "./state-machine";
import type { PolicySnapshot } from "./approval-policy";

export const EXECUTE_JOB = "deployment.execute";

/** The job that makes a worker run the request (delivered through the outbox to QUEUES.deployments). */
export function enqueueExecution(tx: Tx, requestId: string, attempt: number) {
  return writeOutbox(tx, { queue: QUEUES.deployments, type: EXECUTE_JOB, payload: { requestId, attempt } });
}

/**
 * What a caller that already locked and loaded the request in this transaction passes to skip reloading it: the
 * whole row as locked (the transitions then go as one deferred UPDATE, see transition's `row`), the event context,
 * and optionally the environment's freeze windows, read in the same statement.
 */
export type Preloaded = { request: TransitionedRequest; context: EventContext; freezeWindows?: FreezeWindow[] };

/** The request as the scheduling steps need it, when the caller did not load it. */
async function loadRequest(db: Kysely<DB>, requestId: string) {
  const r = await db.selectFrom("DeploymentRequest").select(TRANSITIONED).where("id", "=", requestId).executeTakeFirst();
  if (!r) throw notFound("Deployment request");
  return r;
}

/** pending_approval|draft → approved, with the earliest start from the wait timer and the scheduled window. */
export async function markApproved(tx: Tx, requestId: string, actor: Actor, eventData: Record<string, unknown> = {}, now = new Date(), pre?: Preloaded) {
  const r = pre?.request ?? (await loadRequest(tx, requestId));
  const policy = r.policySnapshot as unknown as PolicySnapshot;
  // Break-glass and rollbacks are urgent by definition: no wait timer.
  const waitMs = r.breakGlass || r.rollbackOfId ? 0 : (policy.waitTimerMinutes ?? 0) * 60_000;
  const notBefore = new Date(Math.max(now.getTime() + waitMs, r.scheduledFrom?.getTime() ?? 0));
  const updated = await transition(tx, requestId, ["draft", "pending_approval"], "approved", {
    actor,
    data: { notBefore },
    eventData: { ...eventData, notBefore: notBefore.toISOString() },
    row: pre?.request,
    context: pre?.context,
  });
  // The row as changed is current: this transaction holds its lock.
  return queueIfDue(tx, requestId, actor, now, pre && { ...pre, request: updated });
}

export type QueueDecision = "queued" | "waiting" | "frozen" | "not_approved";

/** approved → queued when its time has come and no freeze is on (break-glass and rollbacks ignore freezes). */
async function queueIfDue(tx: Tx, requestId: string, actor: Actor, now = new Date(), pre?: Preloaded): Promise<QueueDecision> {
  const r = pre?.request ?? (await loadRequest(tx, requestId));
  if (r.status !== "approved") return "not_approved";
  if (r.notBefore && r.notBefore > now) return "waiting";
  if (!r.breakGlass && !r.rollbackOfId) {
    const windows = pre?.freezeWindows ?? (await tx.selectFrom("FreezeWindow").selectAll().where("environmentId", "=", r.environmentId).execute());
    const freeze = activeFreeze(windows, now);
    if (freeze) {
      appendLogOnce(tx, requestId, "warn", `Held by freeze window ${describeFreezeWindow(freeze)}`);
      return "frozen";
    }
  }
  await transition(tx, requestId, ["approved"], "queued", {
    actor,
    data: { queuedAt: now },
    row: pre?.request,
    context: pre?.context,
  });
  enqueueExecution(tx, requestId, r.attempt);
  return "queued";
}

/**
 * Periodic sweep: expire requests whose approval window or scheduled window passed, and queue approved requests
 * whose wait timer/schedule/freeze has cleared. Each request in its own transaction, so one failure stops nothing.
 */
export async function sweepSchedules(db: Db, now = new Date()) {
  const actor = systemActor("scheduler");
  const result = { expired: 0, queued: 0 };
  const stale = await db.kysely
    .selectFrom("DeploymentRequest")
    .select(["id", "status", "expiresAt"])
    .where((eb) =>
      eb.or([
        eb.and([eb("status", "=", "pending_approval"), eb("expiresAt", "<=", now)]),
        eb.and([eb("status", "in", ["pending_approval", "approved"]), eb("scheduledUntil", "<=", now)]),
      ]),
    )
    .limit(500)
    .execute();
  for (const r of stale) {
    const reason =
      r.expiresAt && r.expiresAt <= now && r.status === "pending_approval" ? "approval window expired" : "scheduled window ended before it could run";
    try {
      await transaction(db, (tx) => transition(tx, r.id, ["pending_approval", "approved"], "expired", { actor, eventData: { reason } }));
      result.expired++;
    } catch (err) {
      logger.warn({ err, requestId: r.id }, "expiry sweep skipped a request");
    }
  }
  const due = await db.kysely
    .selectFrom("DeploymentRequest")
    .select("id")
    .where("status", "=", "approved")
    .where((eb) => eb.or([eb("notBefore", "is", null), eb("notBefore", "<=", now)]))
    .limit(500)
    .execute();
  for (const r of due) {
    try {
      if ((await transaction(db, (tx) => queueIfDue(tx, r.id, actor, now))) === "queued") result.queued++;
    } catch (err) {
      logger.warn({ err, requestId: r.id }, "schedule sweep skipped a request");
    }
  }
  return result;
}
