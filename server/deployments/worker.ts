// The deployments queue's job handler and the maintenance loop (schedules, expiry, stalled-run reconciler, target
// queues), wired into workers/definitions.ts.
import type { Db } from "../db";
import { startPeriodic } from "../platform/periodic";
import { markOutboxProcessed, type OutboxJobData } from "../bus/outbox";
import { runDeployment } from "./execution";
import { reconcileStalledRuns } from "./reconciler";
import { EXECUTE_JOB, sweepSchedules } from "./scheduling";
import { sweepTargetQueues } from "./target-queue";
import { pollTargetHealth } from "./rollouts/health";
import { rolloutTick } from "./rollouts/loop";
import { runQueuedStepsInProcess, runRolloutStep } from "./rollouts/runner";
import { ROLLOUT_STEP_JOB } from "./rollouts/state-machine";
import { syncIngestedLiveVersions } from "./drift-sources";

export async function handleDeploymentJob(db: Db, job: OutboxJobData) {
  if (job.type === EXECUTE_JOB && typeof job.payload.requestId === "string") await runDeployment(db, job.payload.requestId);
  if (job.type === ROLLOUT_STEP_JOB && typeof job.payload.stepId === "string") {
    await runRolloutStep(db, job.payload.stepId, typeof job.payload.attempt === "number" ? job.payload.attempt : undefined);
  }
  await markOutboxProcessed(db.kysely, [job.outboxId]);
}

/** One pass of the periodic work; exported for tests and for a manual run. */
export async function deploymentMaintenanceTick(db: Db, now = new Date()) {
  const schedules = await sweepSchedules(db, now);
  const stalled = await reconcileStalledRuns(db, { now });
  // Last: a run the reconciler just failed frees its target for the next queued request.
  const resumed = await sweepTargetQueues(db);
  return { ...schedules, retried: stalled.retried.length, failed: stalled.failed.length, resumed };
}

export function startDeploymentMaintenance(db: Db, intervalMs = 5000) {
  const stops = [
    startPeriodic("deployment maintenance", intervalMs, () => deploymentMaintenanceTick(db), { lease: db }),
    // Fleet rollouts: soaks, analysis measurements, holding waves, steps whose worker died.
    startPeriodic("rollouts", 2000, () => rolloutTick(db), { lease: db }),
    startPeriodic("target health", 10_000, () => pollTargetHealth(db), { lease: db }),
    // Drift: ingested deployment events of other tools as live versions.
    startPeriodic("live versions", 60_000, () => syncIngestedLiveVersions(db), { lease: db }),
    // Steps this process queues run here at once; their outbox jobs are the fallback.
    runQueuedStepsInProcess(db),
  ];
  return async () => {
    await Promise.all(stops.map((stop) => stop()));
  };
}
