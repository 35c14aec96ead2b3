// Running a queued request: queued → deploying (when its target is free: target-queue.ts), hand it to its executor,
// then record the outcome. Outcomes that arrive later (webhook callbacks, GitHub webhooks) and the reconciler end
// runs through finishRun() too.
import { recordDeployedVersion } from "../catalog/service-environments";
import { jsonBuildObject } from "kysely/helpers/postgres";
import { anyOf, transaction, type Db, type Tx } from "../db";
import { systemActor, type Actor } from "../audit/audit-log";
import { DomainError, notFound } from "../errors";
import { logger } from "../logger";
import { EXECUTORS } from "./executors/registry";
import { guardedFetch, type ExecutionContext, type ExecutionResult } from "./executors/executor";
import { appendLog, writeLog } from "./deployment-log";
import { environmentContextJson, serviceContextJson } from "./deployment-events";
import { recordRunReport, transitionedOf, type TransitionedRequest } from "./request-store";
import { createRollbackRequest } from "./rollback";
import { FINISHED_RUN_STATUSES, isFinishedRun, lockRequest, transition, transitionLocked } from "./state-machine";
import { hasTargets, startRollout } from "./rollouts/runner";
import { claimTarget, isTargetSlotTaken, lockTargets, makeNextDueAll, type TargetBlocker } from "./target-queue";

const workerActor = systemActor("deployment-worker");

/** A run to end: its request, the outcome (only for that attempt, when given), who ends it. */
export type RunEnd = {
  requestId: string;
  result: { outcome: "succeeded" | "failed"; message: string; attempt?: number };
  actor?: Actor;
  opts?: { autoRollback?: boolean };
};

/**
 * Ends a deploying run (idempotent: a run already finished, or a different attempt, is left alone) and makes the
 * next queued request of its target due. Locks the request, then the target, before any audit record: the order
 * the start transaction takes them in (target-queue.ts).
 */
export async function finishRunInTx(tx: Tx, requestId: string, result: RunEnd["result"], actor: Actor = workerActor, opts: { autoRollback?: boolean } = {}) {
  return (await finishRunsInTx(tx, [{ requestId, result, actor, opts }]))[0];
}

/**
 * finishRunInTx for several runs (a batch of rollout steps finishing their rollouts' requests) in a few statements
 * whatever their number: the requests locked and loaded with their event context in one (by id), then their
 * targets in one (by key), the runs that end one way changed by one UPDATE, their targets' next requests made due
 * by one query. Returns each run's request as it leaves it (null when left alone), in the order given; a request
 * named twice is ended once.
 */
export async function finishRunsInTx(tx: Tx, ends: readonly RunEnd[]) {
  if (!ends.length) return [];
  const ids = [...new Set(ends.map((e) => e.requestId))];
  const locked = await tx
    .selectFrom("DeploymentRequest as r")
    .innerJoin("Service as s", "s.id", "r.serviceId")
    .innerJoin("Team as t", "t.id", "s.teamId")
    .innerJoin("Environment as e", "e.id", "r.environmentId")
    .select([...transitionedOf("r"), serviceContextJson().as("service"), environmentContextJson().as("environment")])
    .where("r.id", "=", anyOf(ids))
    .orderBy("r.id")
    .forUpdate(["r"])
    .execute();
  if (locked.length !== ids.length) throw notFound("Deployment request");
  const byId = new Map(locked.map((r) => [r.id, r]));
  const ending = new Set<string>();
  const live = ends.filter((e) => {
    const r = byId.get(e.requestId)!;
    if (r.status !== "deploying" || ending.has(r.id)) return false;
    if (e.result.attempt !== undefined && e.result.attempt !== r.attempt) return false;
    ending.add(r.id);
    return true;
  });
  if (!live.length) return ends.map(() => null);
  const targets = (rs: readonly { serviceId: string; environmentId: string }[]) => [
    ...new Map(rs.map((r) => [`${r.serviceId}\u0000${r.environmentId}`, { serviceId: r.serviceId, environmentId: r.environmentId }])).values(),
  ];
  await lockTargets(tx, targets(live.map((e) => byId.get(e.requestId)!)));
  const now = new Date();
  for (const e of live) appendLog(tx, e.requestId, e.result.message, e.result.outcome === "failed" ? "error" : "info");
  // Updated at once (not deferred): makeNextDueAll below must see these runs no longer deploying.
  const updated = await transitionLocked(
    tx,
    live.map((e) => {
      const { service, environment, ...r } = byId.get(e.requestId)!;
      return {
        requestId: e.requestId,
        from: ["deploying"],
        to: e.result.outcome,
        opts: {
          actor: e.actor ?? workerActor,
          data: { finishedAt: now, heartbeatAt: now, ...(e.result.outcome === "succeeded" ? { progress: 100 } : {}) },
          eventData: { message: e.result.message, attempt: r.attempt },
          locked: r,
          context: { service, environment },
        },
      };
    }),
  );
  const freed: TransitionedRequest[] = [];
  for (const [i, e] of live.entries()) {
    const r = byId.get(e.requestId)!;
    const actor = e.actor ?? workerActor;
    if (e.result.outcome === "succeeded") {
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
    } else if (r.autoRollback && e.opts?.autoRollback !== false && r.previousVersion && !r.rollbackOfId) {
      const rollbackId = await createRollbackRequest(tx, r.id, systemActor("auto-rollback"), `Automatic rollback: ${e.result.message}`);
      appendLog(tx, e.requestId, `Automatic rollback to ${r.previousVersion} started (request ${rollbackId})`, "warn");
      // Queueing the rollback wrote its job, and rollbacks go first: nothing else to make due.
      continue;
    }
    freed.push(updated[i]);
  }
  await makeNextDueAll(tx, targets(freed));
  const after = new Map(updated.map((u) => [u.id, u]));
  return ends.map((e) => (live.includes(e) ? after.get(e.requestId)! : null));
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
