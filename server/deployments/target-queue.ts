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
import type { ExpressionBuilder, SelectQueryBuilder } from "kysely";
import { sql, transaction, type DB, type Db, type Kysely, type Tx } from "../db";
import { logger } from "../logger";
import { QUEUES } from "../platform/queues";
import { appendLogOnce } from "./deployment-log";
import { enqueueExecution, EXECUTE_JOB } from "./scheduling";

export type Target = { serviceId: string; environmentId: string };

const SLOT_CONSTRAINT = "DeploymentRequest_one_deploying_per_target";

/** Requests of the target, as a blocker is shown: what another request of the target waits for. */
function requestsOf(db: Kysely<DB>, target: Target) {
  return db
    .selectFrom("DeploymentRequest as d")
    .innerJoin("Environment as e", "e.id", "d.environmentId")
    .select((eb) => [
      "d.id",
      "d.version",
      "d.status",
      eb("d.rollbackOfId", "is not", null).$castTo<boolean>().as("rollback"),
      "d.attempt",
      "e.name as environment",
    ])
    .where("d.serviceId", "=", target.serviceId)
    .where("d.environmentId", "=", target.environmentId);
}

/** A request of the same target that another one waits for (deploying or queued). */
export type TargetBlocker = NonNullable<Awaited<ReturnType<ReturnType<typeof requestsOf>["executeTakeFirst"]>>>;

/** Locks the target for the rest of the transaction (a no-op when the service is no longer set up there). */
async function lockTarget(tx: Tx, target: Target) {
  await lockTargets(tx, [target]);
}

/** Locks several targets (in key order, as every multi-target lock must) for the rest of the transaction. */
export async function lockTargets(tx: Tx, targets: readonly Target[]) {
  if (!targets.length) return;
  await tx
    .selectFrom("ServiceEnvironment")
    .select(sql<number>`1`.as("locked"))
    .where((eb) =>
      eb(
        eb.refTuple("serviceId", "environmentId"),
        "in",
        targets.map((t) => eb.tuple(t.serviceId, t.environmentId)),
      ),
    )
    .orderBy("serviceId")
    .orderBy("environmentId")
    .forUpdate()
    .execute();
}

/** The target's run in progress, if any (other than `exceptId`). */
async function runningOn(db: Kysely<DB>, target: Target, exceptId = ""): Promise<TargetBlocker | undefined> {
  return requestsOf(db, target).where("d.status", "=", "deploying").where("d.id", "<>", exceptId).limit(1).executeTakeFirst();
}

/** A target's queue in order (see the file comment): appended to an ORDER BY of queued requests `d`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function inQueueOrder<Q extends SelectQueryBuilder<DB & { d: DB["DeploymentRequest"] }, any, any>>(q: Q): Q {
  return q
    .orderBy((eb) => eb("d.rollbackOfId", "is not", null), "desc")
    .orderBy((eb) => eb("d.attempt", ">", 0), "desc")
    .orderBy("d.queuedAt", (ob) => ob.asc().nullsLast())
    .orderBy("d.id", "asc") as Q;
}

/** The first request in the target's queue, if any. */
async function firstQueued(db: Kysely<DB>, target: Target): Promise<TargetBlocker | undefined> {
  return inQueueOrder(requestsOf(db, target).where("d.status", "=", "queued"))
    .limit(1)
    .executeTakeFirst();
}

/** What a queued request waits for: its target's run in progress, else the request ahead of it; null when it may start. */
export async function findBlocker(db: Kysely<DB>, requestId: string, target: Target): Promise<TargetBlocker | null> {
  const running = await runningOn(db, target, requestId);
  if (running) return running;
  const first = await firstQueued(db, target);
  return first && first.id !== requestId ? first : null;
}

function waitingMessage(b: TargetBlocker) {
  const what = `${b.rollback ? "the rollback to " : ""}${b.version} (request ${b.id})`;
  return b.status === "deploying"
    ? `Waiting for ${what} to finish deploying to ${b.environment}`
    : `Waiting for ${what}, ahead in the queue for ${b.environment}, to deploy first`;
}

/** An execution job for the request that no worker has finished yet (the outbox re-dispatches lost ones). */
async function hasPendingJob(db: Kysely<DB>, requestId: string) {
  const row = await db
    .selectFrom("OutboxEvent")
    .select(sql<number>`1`.as("pending"))
    .where("processedAt", "is", null)
    .where("queue", "=", QUEUES.deployments)
    .where("type", "=", EXECUTE_JOB)
    .where(sql<string>`payload->>'requestId'`, "=", requestId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * When nothing of the target is deploying, makes its first queued request's execution job due: writes the outbox
 * row, unless a pending job will do. Whatever frees the target (a run finishing, a queued request cancelled)
 * passes `evenIfPending`: a pending job may be one a worker holds right now, that found the target busy and is
 * about to end; a spare job only finds the request started or waiting.
 * Returns the request whose job it wrote. Reads only: takes no lock.
 */
export async function makeNextDue(tx: Tx, target: Target, opts: { evenIfPending?: boolean } = {}): Promise<string | null> {
  if (await runningOn(tx, target)) return null;
  const next = await firstQueued(tx, target);
  if (!next || (!opts.evenIfPending && (await hasPendingJob(tx, next.id)))) return null;
  enqueueExecution(tx, next.id, next.attempt);
  return next.id;
}

/**
 * For a request `d`: no request of its target is deploying (NOT EXISTS, correlated on the target). The one test of
 * "this target is free" for the queries that look at many targets at once (makeNextDueAll, sweepTargetQueues).
 */
function nothingDeployingOnTarget(eb: ExpressionBuilder<DB & { d: DB["DeploymentRequest"] }, "d">) {
  return eb.not(
    eb.exists(
      eb
        .selectFrom("DeploymentRequest as r")
        .select(sql<number>`1`.as("deploying"))
        .whereRef("r.serviceId", "=", "d.serviceId")
        .whereRef("r.environmentId", "=", "d.environmentId")
        .where("r.status", "=", "deploying"),
    ),
  );
}

/**
 * makeNextDue for several targets that runs just freed (a batch of rollouts finishing their requests), with
 * `evenIfPending`, in one query: each target with nothing deploying gets its first queued request's job. Returns
 * the requests whose jobs it wrote.
 */
export async function makeNextDueAll(tx: Tx, targets: readonly Target[]): Promise<string[]> {
  if (!targets.length) return [];
  if (targets.length === 1) {
    const one = await makeNextDue(tx, targets[0], { evenIfPending: true });
    return one ? [one] : [];
  }
  const next = await inQueueOrder(
    tx
      .selectFrom("DeploymentRequest as d")
      .select(["d.id", "d.attempt"])
      .distinctOn(["d.serviceId", "d.environmentId"])
      .where("d.status", "=", "queued")
      .where((eb) =>
        eb(
          eb.refTuple("d.serviceId", "d.environmentId"),
          "in",
          targets.map((t) => eb.tuple(t.serviceId, t.environmentId)),
        ),
      )
      .where(nothingDeployingOnTarget)
      .orderBy("d.serviceId")
      .orderBy("d.environmentId"),
  ).execute();
  for (const n of next) enqueueExecution(tx, n.id, n.attempt);
  return next.map((n) => n.id);
}

export type StartClaim =
  { kind: "start"; locked: { status: DeploymentStatus; revision: number } } | { kind: "not_queued" } | { kind: "waiting"; blocker: TargetBlocker };

/**
 * In the start transaction: locks the request, then its target, and decides whether it may become deploying now.
 * When it must wait, its page says for what, and a request queued ahead of it is made due.
 */
export async function claimTarget(tx: Tx, requestId: string): Promise<StartClaim> {
  const r = await tx
    .selectFrom("DeploymentRequest")
    .select(["status", "revision", "serviceId", "environmentId"])
    .where("id", "=", requestId)
    .forUpdate()
    .executeTakeFirst();
  if (!r || r.status !== "queued") return { kind: "not_queued" };
  await lockTarget(tx, r);
  const blocker = await findBlocker(tx, requestId, r);
  if (!blocker) return { kind: "start", locked: { status: r.status, revision: r.revision } };
  appendLogOnce(tx, requestId, "info", waitingMessage(blocker));
  if (blocker.status === "queued" && !(await hasPendingJob(tx, blocker.id))) {
    enqueueExecution(tx, blocker.id, blocker.attempt);
  }
  return { kind: "waiting", blocker };
}

/**
 * True for Postgres refusing a second deploying request of a target (the slot's unique index): pg reports it as
 * `constraint`; the pool wrapper turns it into a CONFLICT whose message names the constraint.
 */
export function isTargetSlotTaken(err: unknown): boolean {
  const e = err as { constraint?: string; message?: string } | null;
  return e?.constraint === SLOT_CONSTRAINT || (typeof e?.message === "string" && e.message.includes(SLOT_CONSTRAINT));
}

/**
 * Periodic safety net: every target with queued requests and nothing deploying gets its first request's job made
 * due (a job lost between a run finishing and the next start). Returns how many jobs it wrote.
 */
export async function sweepTargetQueues(db: Db): Promise<number> {
  const idle = await db.kysely
    .selectFrom("DeploymentRequest as d")
    .select(["d.serviceId", "d.environmentId"])
    .distinct()
    .where("d.status", "=", "queued")
    .where(nothingDeployingOnTarget)
    .limit(500)
    .execute();
  let due = 0;
  for (const target of idle) {
    try {
      if (await transaction(db, (tx) => makeNextDue(tx, target))) due++;
    } catch (err) {
      logger.warn({ err, ...target }, "target queue sweep skipped a target");
    }
  }
  return due;
}
