// One deployment at a time per target (a service in an environment). A queued request starts only when nothing
// else of its target is deploying and it is first in the target's queue; otherwise it stays queued, with a log line
// on its page naming what it waits for. Whatever frees a target (a run finishing, a queued request cancelled) makes
// the next request's execution job due in the same transaction; sweepTargetQueues catches anything missed.
//
// Queue order: rollbacks first (restoring a known state goes before the next change), then runs the reconciler sent
// back after their worker died (attempt > 0: they were already under way), then oldest queued. Break-glass keeps
// its place: it skips approvals and freezes, not a run in progress. A cancelled queued request leaves the queue.
//
// Races: a start locks its request, then the target's ServiceEnvironment row, then (through transition()) the audit
// chain's head; finishRunInTx locks in the same order. Starts of one target thus take turns, and the second sees the
// first one's committed `deploying`. Behind that, transition() sets `deployingSlot`, unique per target: Postgres
// refuses a second deploying request of a target even on a path that skipped the lock.
import type { DeploymentStatus } from "@/generated/prisma/enums";
import type { Db } from "../db";
import { logger } from "../logger";
import { QUEUES } from "../platform/queues";
import { raw, sql, sqlOf, type AnyTx } from "../sql";
import { appendLogOnce } from "./deployment-log";
import { enqueueExecution, EXECUTE_JOB } from "./scheduling";

export type Target = { serviceId: string; environmentId: string };

/** A request of the same target that another one waits for. */
export type TargetBlocker = {
  id: string;
  version: string;
  status: "deploying" | "queued";
  rollback: boolean;
  attempt: number;
  environment: string;
};

export const SLOT_CONSTRAINT = "DeploymentRequest_one_deploying_per_target";

const QUEUE_ORDER = raw(`("rollbackOfId" IS NOT NULL) DESC, (attempt > 0) DESC, "queuedAt" ASC NULLS LAST, d.id ASC`);
const BLOCKER_COLUMNS = raw(`d.id, d.version, d.status::text AS status, d."rollbackOfId" IS NOT NULL AS rollback, d.attempt, e.name AS environment`);

/** Locks the target for the rest of the transaction (a no-op when the service is no longer set up there). */
export async function lockTarget(tx: AnyTx, target: Target) {
  await sqlOf(tx).rows(sql`
    SELECT 1 FROM "ServiceEnvironment" WHERE "serviceId" = ${target.serviceId} AND "environmentId" = ${target.environmentId} FOR UPDATE`);
}

/** The target's run in progress, if any (other than `exceptId`). */
async function runningOn(tx: AnyTx, target: Target, exceptId = ""): Promise<TargetBlocker | undefined> {
  const [row] = await sqlOf(tx).rows<TargetBlocker>(sql`
    SELECT ${BLOCKER_COLUMNS} FROM "DeploymentRequest" d JOIN "Environment" e ON e.id = d."environmentId"
     WHERE d."serviceId" = ${target.serviceId} AND d."environmentId" = ${target.environmentId} AND d.status = 'deploying' AND d.id <> ${exceptId}
     LIMIT 1`);
  return row;
}

/** The first request in the target's queue, if any. */
export async function firstQueued(tx: AnyTx, target: Target): Promise<TargetBlocker | undefined> {
  const [row] = await sqlOf(tx).rows<TargetBlocker>(sql`
    SELECT ${BLOCKER_COLUMNS} FROM "DeploymentRequest" d JOIN "Environment" e ON e.id = d."environmentId"
     WHERE d."serviceId" = ${target.serviceId} AND d."environmentId" = ${target.environmentId} AND d.status = 'queued'
     ORDER BY ${QUEUE_ORDER}
     LIMIT 1`);
  return row;
}

/** What a queued request waits for: its target's run in progress, else the request ahead of it; null when it may start. */
export async function findBlocker(tx: AnyTx, requestId: string, target: Target): Promise<TargetBlocker | null> {
  const running = await runningOn(tx, target, requestId);
  if (running) return running;
  const first = await firstQueued(tx, target);
  return first && first.id !== requestId ? first : null;
}

export function waitingMessage(b: TargetBlocker) {
  const what = `${b.rollback ? "the rollback to " : ""}${b.version} (request ${b.id})`;
  return b.status === "deploying"
    ? `Waiting for ${what} to finish deploying to ${b.environment}`
    : `Waiting for ${what}, ahead in the queue for ${b.environment}, to deploy first`;
}

/** An execution job for the request that no worker has finished yet (the outbox re-dispatches lost ones). */
async function hasPendingJob(tx: AnyTx, requestId: string) {
  const rows = await sqlOf(tx).rows(sql`
    SELECT 1 FROM "OutboxEvent"
     WHERE "processedAt" IS NULL AND queue = ${QUEUES.deployments} AND type = ${EXECUTE_JOB} AND payload->>'requestId' = ${requestId}
     LIMIT 1`);
  return rows.length > 0;
}

/**
 * When nothing of the target is deploying, makes its first queued request's execution job due: writes the outbox
 * row, unless a pending job will do. Whatever frees the target (a run finishing, a queued request cancelled)
 * passes `evenIfPending`: a pending job may be one a worker holds right now, that found the target busy and is
 * about to end; a spare job only finds the request started or waiting.
 * Returns the request whose job it wrote. Reads only: takes no lock.
 */
export async function makeNextDue(tx: AnyTx, target: Target, opts: { evenIfPending?: boolean } = {}): Promise<string | null> {
  if (await runningOn(tx, target)) return null;
  const next = await firstQueued(tx, target);
  if (!next || (!opts.evenIfPending && (await hasPendingJob(tx, next.id)))) return null;
  await enqueueExecution(tx, next.id, next.attempt);
  return next.id;
}

export type StartClaim =
  | { kind: "start"; locked: { status: DeploymentStatus; revision: number } }
  | { kind: "not_queued" }
  | { kind: "waiting"; blocker: TargetBlocker };

/**
 * In the start transaction: locks the request, then its target, and decides whether it may become deploying now.
 * When it must wait, its page says for what, and a request queued ahead of it is made due.
 */
export async function claimTarget(tx: AnyTx, requestId: string): Promise<StartClaim> {
  const [r] = await sqlOf(tx).rows<Target & { status: DeploymentStatus; revision: number }>(sql`
    SELECT status::text AS status, revision, "serviceId", "environmentId" FROM "DeploymentRequest" WHERE id = ${requestId} FOR UPDATE`);
  if (!r || r.status !== "queued") return { kind: "not_queued" };
  await lockTarget(tx, r);
  const blocker = await findBlocker(tx, requestId, r);
  if (!blocker) return { kind: "start", locked: { status: r.status, revision: r.revision } };
  await appendLogOnce(tx, requestId, "info", waitingMessage(blocker));
  if (blocker.status === "queued" && !(await hasPendingJob(tx, blocker.id))) {
    await enqueueExecution(tx, blocker.id, blocker.attempt);
  }
  return { kind: "waiting", blocker };
}

/**
 * True for Postgres refusing a second deploying request of a target (the slot's unique index): pg reports it as
 * `constraint`, Prisma's raw queries (P2010) in the message.
 */
export function isTargetSlotTaken(err: unknown): boolean {
  const e = err as { constraint?: string; message?: string } | null;
  return e?.constraint === SLOT_CONSTRAINT || (typeof e?.message === "string" && e.message.includes(`"${SLOT_CONSTRAINT}"`));
}

/**
 * Periodic safety net: every target with queued requests and nothing deploying gets its first request's job made
 * due (a job lost between a run finishing and the next start). Returns how many jobs it wrote.
 */
export async function sweepTargetQueues(db: Db): Promise<number> {
  const idle = await sqlOf(db).rows<Target>(sql`
    SELECT DISTINCT q."serviceId", q."environmentId" FROM "DeploymentRequest" q
     WHERE q.status = 'queued'
       AND NOT EXISTS (SELECT 1 FROM "DeploymentRequest" d
                        WHERE d."serviceId" = q."serviceId" AND d."environmentId" = q."environmentId" AND d.status = 'deploying')
     LIMIT 500`);
  let due = 0;
  for (const target of idle) {
    try {
      if (await makeNextDue(db, target)) due++;
    } catch (err) {
      logger.warn({ err, ...target }, "target queue sweep skipped a target");
    }
  }
  return due;
}
