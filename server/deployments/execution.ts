// Running a queued request: queued → deploying (when its target is free: target-queue.ts), hand it to its executor,
// then record the outcome. Outcomes that arrive later (webhook callbacks, GitHub webhooks) and the reconciler end
// runs through finishRun() too.
import { recordDeployedVersion } from "../catalog/service-environments";
import { jsonBuildObject } from "kysely/helpers/postgres";
import { transaction, type Db, type Tx } from "../db";
import { systemActor, type Actor } from "../audit/audit-log";
import { DomainError, notFound } from "../errors";
import { logger } from "../logger";
import { EXECUTORS } from "./executors/registry";
import { guardedFetch, type ExecutionContext, type ExecutionResult } from "./executors/executor";
import { appendLog, writeLog } from "./deployment-log";
import { recordRunReport, TRANSITIONED } from "./request-store";
import { createRollbackRequest } from "./rollback";
import { FINISHED_RUN_STATUSES, isFinishedRun, lockRequest, transition } from "./state-machine";
import { hasTargets, startRollout } from "./rollouts/runner";
import { claimTarget, isTargetSlotTaken, lockTarget, makeNextDue, type TargetBlocker } from "./target-queue";

const workerActor = systemActor("deployment-worker");

/**
 * Ends a deploying run (idempotent: a run already finished, or a different attempt, is left alone) and makes the
 * next queued request of its target due. Locks the request, then the target, before any audit record: the order
 * the start transaction takes them in (target-queue.ts).
 */
export async function finishRunInTx(
  tx: Tx,
  requestId: string,
  result: { outcome: "succeeded" | "failed"; message: string; attempt?: number },
  actor: Actor = workerActor,
  opts: { autoRollback?: boolean } = {},
) {
  // Locked and loaded in one statement.
  const r = await tx.selectFrom("DeploymentRequest").select(TRANSITIONED).where("id", "=", requestId).forUpdate().executeTakeFirst();
  if (!r) throw notFound("Deployment request");
  if (r.status !== "deploying") return null;
  if (result.attempt !== undefined && result.attempt !== r.attempt) return null;
  await lockTarget(tx, r);
  const now = new Date();
  appendLog(tx, requestId, result.message, result.outcome === "failed" ? "error" : "info");
  // Updated at once (not deferred): makeNextDue below must see this run no longer deploying.
  const updated = await transition(tx, requestId, ["deploying"], result.outcome, {
    actor,
    data: { finishedAt: now, heartbeatAt: now, ...(result.outcome === "succeeded" ? { progress: 100 } : {}) },
    eventData: { message: result.message, attempt: r.attempt },
    locked: r,
  });
  if (result.outcome === "succeeded") {
    // The live version of the target (its row is locked above); nothing in this transaction reads it back.
    recordDeployedVersion(tx, r, { version: r.version, at: now, byUserId: r.requesterId });
    if (r.rollbackOfId) {
      const original = await lockRequest(tx, r.rollbackOfId);
      if (isFinishedRun(original.status)) {
        await transition(tx, r.rollbackOfId, FINISHED_RUN_STATUSES, "rolled_back", {
          actor,
          data: { finishedAt: now },
          eventData: { rollbackRequestId: r.id, restoredVersion: r.version },
          locked: original,
        });
      }
    }
  } else if (r.autoRollback && opts.autoRollback !== false && r.previousVersion && !r.rollbackOfId) {
    const rollbackId = await createRollbackRequest(tx, r.id, systemActor("auto-rollback"), `Automatic rollback: ${result.message}`);
    appendLog(tx, requestId, `Automatic rollback to ${r.previousVersion} started (request ${rollbackId})`, "warn");
    // Queueing the rollback wrote its job, and rollbacks go first: nothing else to make due.
    return updated;
  }
  await makeNextDue(tx, r, { evenIfPending: true });
  return updated;
}

export async function finishRun(db: Db, requestId: string, result: { outcome: "succeeded" | "failed"; message: string; attempt?: number }, actor?: Actor) {
  return transaction(db, (tx) => finishRunInTx(tx, requestId, result, actor));
}

export type RunOptions = { sleep?: (ms: number) => Promise<void> };

type StartedRun = Extract<Awaited<ReturnType<typeof startRun>>, { kind: "started" }>["run"];

function contextFor(db: Db, r: StartedRun, config: Record<string, unknown>, opts: RunOptions): ExecutionContext {
  return {
    db,
    request: {
      id: r.id,
      version: r.version,
      previousVersion: r.previousVersion,
      strategy: r.strategy,
      canarySteps: r.canarySteps,
      attempt: r.attempt,
      service: r.service,
      environment: r.environment,
    },
    config,
    log: (message, level) => writeLog(db, r.id, message, level),
    heartbeat: (progress) => recordRunReport(db, r.id, { attempt: r.attempt, whileDeploying: true, progress }),
    fetch: (url, init) => guardedFetch(db, url, init),
    sleep: opts.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
  };
}

/**
 * queued → deploying (attempt + 1) when its target is free and it is first in the target's queue; "waiting" when
 * not (it stays queued, and starts when the target frees up); null when it is no longer queued (cancelled,
 * already running).
 */
async function startRun(db: Db, requestId: string) {
  try {
    return await transaction(db, async (tx) => {
      const claim = await claimTarget(tx, requestId);
      if (claim.kind === "not_queued") return null;
      if (claim.kind === "waiting") return claim;
      const now = new Date();
      await transition(tx, requestId, ["queued"], "deploying", {
        actor: workerActor,
        data: { startedAt: now, heartbeatAt: now, progress: 0, incrementAttempt: true },
        locked: claim.locked,
      });
      const run = await tx
        .selectFrom("DeploymentRequest as r")
        .innerJoin("Service as s", "s.id", "r.serviceId")
        .innerJoin("Environment as e", "e.id", "r.environmentId")
        .select((eb) => [
          "r.id",
          "r.version",
          "r.previousVersion",
          "r.strategy",
          "r.canarySteps",
          "r.attempt",
          "r.serviceId",
          "r.environmentId",
          "r.executor",
          "r.targetNames",
          jsonBuildObject({ slug: eb.ref("s.slug"), name: eb.ref("s.name") }).as("service"),
          jsonBuildObject({ name: eb.ref("e.name") }).as("environment"),
        ])
        .where("r.id", "=", requestId)
        .executeTakeFirstOrThrow();
      return { kind: "started" as const, run };
    });
  } catch (err) {
    if (err instanceof DomainError && (err.code === "CONFLICT" || err.code === "NOT_FOUND")) return null;
    // Another run of the target got the slot without the lock: stay queued, the target's release will bring us back.
    if (isTargetSlotTaken(err)) return null;
    throw err;
  }
}

export type RunOutcome = ExecutionResult | { outcome: "skipped" } | { outcome: "waiting"; blocker: TargetBlocker };

/** The deployments-queue job: runs one request through its executor. Safe to call twice for the same request. */
export async function runDeployment(db: Db, requestId: string, opts: RunOptions = {}): Promise<RunOutcome> {
  const started = await startRun(db, requestId);
  if (!started) return { outcome: "skipped" };
  if (started.kind === "waiting") return { outcome: "waiting", blocker: started.blocker };
  const { run } = started;
  // A fleet environment: the request's rollout runs the targets' executors, wave by wave (rollouts/runner.ts).
  if (await hasTargets(db, run.environmentId)) {
    const result = await startRollout(db, run);
    await recordRunReport(db, requestId, {
      attempt: run.attempt,
      whileDeploying: false,
      externalRunId: result.outcome === "pending" ? result.externalRunId : null,
    });
    await writeLog(db, requestId, result.message);
    return result;
  }
  const placement = await db.kysely
    .selectFrom("ServiceEnvironment")
    .select("executorConfig")
    .where("serviceId", "=", run.serviceId)
    .where("environmentId", "=", run.environmentId)
    .executeTakeFirst();
  const config = (placement?.executorConfig ?? {}) as Record<string, unknown>;
  const executor = EXECUTORS[run.executor];
  let result: ExecutionResult;
  if (!executor) {
    result = { outcome: "failed", message: `Unknown executor "${run.executor}"` };
  } else {
    try {
      result = await executor.start(contextFor(db, run, config, opts));
    } catch (err) {
      logger.warn({ err, requestId }, "executor failed");
      result = { outcome: "failed", message: `${executor.kind} executor error: ${err instanceof Error ? err.message : String(err)}` };
    }
  }
  if (result.outcome === "pending") {
    await recordRunReport(db, requestId, { attempt: run.attempt, whileDeploying: false, externalRunId: result.externalRunId });
    await writeLog(db, requestId, result.message);
  } else if (result.outcome === "succeeded" || result.outcome === "failed") {
    await finishRun(db, requestId, { outcome: result.outcome, message: result.message, attempt: run.attempt });
  }
  return result;
}
