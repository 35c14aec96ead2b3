// Starting a request's rollout and running its per-target steps. runDeployment (execution.ts) hands a request
// whose environment has targets to startRollout instead of an executor; each step then runs the target's executor:
// claimed (queued → deploying, attempt + 1) — by the transaction that queued it when this process's runner has
// room (state-machine.ts startSteps), else by its job on the deployments queue —, run outside any transaction,
// finished under the rollout lock if it is still that attempt; job claims and ends are written in batches
// (step-commits.ts). A job delivered twice, or for an attempt already claimed or retried by the loop, finds nothing
// to do: a target is never deployed twice by one rollout.
import { transaction, type Db } from "../../db";
import { logger } from "../../logger";
import { writeLogs } from "../deployment-log";
import { EXECUTORS } from "../executors/registry";
import { guardedFetch, type ExecutionContext, type ExecutionResult } from "../executors/executor";
import { advance } from "./orchestrator";
import { assignWaves, DEFAULT_PLAN, type RolloutPlanSpec } from "./plan";
import { beatStep, insertRollout, lockRollout } from "./rollout-store";
import type { Claimed } from "./claimed";
import { rolloutActor, setStepRunner } from "./state-machine";
import { claimStep, endStep, type LogLine } from "./step-commits";

/** True when the environment runs on explicit targets (a fleet); otherwise it is one implicit target. */
export async function hasTargets(db: Db, environmentId: string) {
  const row = await db.kysely.selectFrom("DeploymentTarget").select("id").where("environmentId", "=", environmentId).limit(1).executeTakeFirst();
  return row !== undefined;
}

/** The environment's plan (its RolloutPlan row, else the default). */
export async function planFor(db: Db, environmentId: string): Promise<RolloutPlanSpec> {
  const p = await db.kysely.selectFrom("RolloutPlan").selectAll().where("environmentId", "=", environmentId).executeTakeFirst();
  if (!p) return DEFAULT_PLAN;
  return {
    waves: p.waves as RolloutPlanSpec["waves"],
    maxParallel: p.maxParallel,
    soakSeconds: p.soakSeconds,
    onUnhealthy: p.onUnhealthy as RolloutPlanSpec["onUnhealthy"],
    onFailure: p.onFailure as RolloutPlanSpec["onFailure"],
    analysis: (p.analysis ?? null) as RolloutPlanSpec["analysis"],
  };
}

/**
 * Creates the request's rollout (waves from the plan and the environment's targets, narrowed to the request's
 * `targetNames` when it names some) and makes its first moves; a rollout that exists already (the request was
 * retried after its worker died) is only advanced. Returns the executor-style result runDeployment records.
 */
export async function startRollout(db: Db, request: { id: string; environmentId: string; targetNames: string[] }): Promise<ExecutionResult> {
  const plan = await planFor(db, request.environmentId);
  let targets = await db.kysely.selectFrom("DeploymentTarget").select(["id", "name", "labels"]).where("environmentId", "=", request.environmentId).execute();
  if (request.targetNames.length) targets = targets.filter((t) => request.targetNames.includes(t.name));
  const waves = assignWaves(
    targets.map((t) => ({ ...t, labels: t.labels as Record<string, string> })),
    plan.waves,
  );
  return transaction(db, async (tx) => {
    const created = await insertRollout(
      tx,
      { requestId: request.id, environmentId: request.environmentId, plan, waveCount: waves.length },
      waves.flatMap((w, i) => w.targets.map((t) => ({ targetId: t.id, wave: i }))),
    );
    const r = await lockRollout(tx, { requestId: request.id });
    if (!r) throw new Error("rollout vanished");
    await advance(tx, r, rolloutActor);
    const summary = waves.map((w, i) => `${i + 1}. ${w.name}: ${w.targets.map((t) => t.name).join(", ")}`).join("; ");
    return {
      outcome: "pending" as const,
      externalRunId: r.id,
      message: created ? `Rollout to ${targets.length} target(s) in ${waves.length} wave(s): ${summary}` : "Rollout resumed",
    };
  });
}

export type StepRunOptions = { sleep?: (ms: number) => Promise<void> };

/** How often a running step writes its buffered log lines, and refreshes its heartbeat (the loop takes a step back after 60 s). */
const LOG_FLUSH_MS = 5_000;
const BEAT_EVERY_MS = 15_000;

async function execute(db: Db, stepId: string, c: Claimed, opts: StepRunOptions, lines: LogLine[]): Promise<ExecutionResult> {
  const executor = EXECUTORS[c.target.executor];
  if (!executor) return { outcome: "failed", message: `Unknown executor "${c.target.executor}"` };
  const prefix = `[${c.target.name}]${c.rollback ? " rollback:" : ""}`;
  // A fleet runs many steps at once: their log lines are written in batches (every 5 s, and the rest with the
  // step's end), their heartbeats every 15 s. A line or heartbeat that cannot be written (pool exhausted, database
  // busy) does not fail the deployment.
  let flushedAt = performance.now();
  let beatAt = performance.now();
  const flush = async () => {
    const batch = lines.splice(0, lines.length);
    flushedAt = performance.now();
    await writeLogs(db, c.request.id, batch).catch((err: unknown) => logger.warn({ err, stepId }, "rollout step log lines lost"));
  };
  const ctx: ExecutionContext = {
    db,
    request: c.request,
    config: c.target.executorConfig,
    log: async (message, level = "info") => {
      lines.push({ message: `${prefix} ${message}`, level });
      if (performance.now() - flushedAt >= LOG_FLUSH_MS) await flush();
    },
    heartbeat: async () => {
      if (performance.now() - beatAt < BEAT_EVERY_MS) return true;
      beatAt = performance.now();
      return beatStep(db.kysely, stepId, c.attempt).catch((err: unknown) => {
        logger.warn({ err, stepId }, "rollout step heartbeat failed");
        return true;
      });
    },
    fetch: (url, init) => guardedFetch(db, url, init),
    sleep: opts.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
  };
  try {
    const result = await executor.start(ctx);
    // A fleet step waits for its outcome: executors that report back later (webhook callbacks, GitHub
    // workflows) cannot drive one yet.
    if (result.outcome === "pending")
      return { outcome: "failed", message: `${executor.kind} reports back asynchronously; fleet targets need a synchronous executor` };
    return result;
  } catch (err) {
    logger.warn({ err, stepId }, "rollout step executor failed");
    return { outcome: "failed", message: `${executor.kind} executor error: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** The rollout-step job: runs one target's deployment (or rollback). Safe to deliver twice. */
export async function runRolloutStep(db: Db, stepId: string, attempt?: number, opts: StepRunOptions = {}) {
  const claimed = await claimStep(db, stepId, attempt);
  if (!claimed) return { outcome: "skipped" as const };
  return runClaimed(db, claimed, opts);
}

/** Runs a claimed step's executor (outside any transaction; `executed` is told when it returns) and ends its attempt. */
async function runClaimed(db: Db, claimed: Claimed, opts: StepRunOptions, executed?: () => void) {
  const { stepId } = claimed;
  const t0 = performance.now();
  const lines: LogLine[] = [];
  const result = await execute(db, stepId, claimed, opts, lines);
  const executorMs = Math.round(performance.now() - t0);
  executed?.();
  // Abandoned: the loop took the step over (its heartbeat went stale); the new attempt will report.
  if (result.outcome === "abandoned" || result.outcome === "pending") {
    await writeLogs(db, claimed.request.id, lines).catch((err: unknown) => logger.warn({ err, stepId }, "rollout step log lines lost"));
    return result;
  }
  await endStep(db, { stepId, claimed, result: { outcome: result.outcome, message: result.message }, executorMs, lines });
  return result;
}

/**
 * Registers this process's step runner (state-machine.ts StepRunner): steps it queues are claimed in the queueing
 * transaction and run here once it commits, up to `limit` executors at a time; beyond that they wait for their outbox job
 * like any other. Returns the unregister.
 */
export function runQueuedStepsInProcess(db: Db, limit = 32, opts: StepRunOptions = {}) {
  let taken = 0;
  setStepRunner({
    reserve: (n) => {
      const k = Math.max(0, Math.min(n, limit - taken));
      taken += k;
      return k;
    },
    release: (n) => {
      taken -= n;
    },
    run: (steps) => {
      for (const c of steps) {
        // The slot is free once the executor returns: the end's transaction may then start the next wave here.
        let held = true;
        const free = () => {
          if (held) taken--;
          held = false;
        };
        void runClaimed(db, c, opts, free)
          .catch((err: unknown) => logger.warn({ err, stepId: c.stepId }, "rollout step failed to end; the loop retries it once its heartbeat is stale"))
          .finally(free);
      }
    },
  });
  return () => setStepRunner(null);
}
