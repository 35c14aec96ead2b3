// What a rollout does next: advance() looks at the locked rollout and its steps and makes the moves the plan asks
// for: queue the wave's pending targets up to maxParallel (skipping drained ones, holding or skipping unhealthy
// ones), start verification or the soak when the wave is done, go to the next wave, roll back after a failure,
// finish the request at the end. Whatever changes a rollout (a step finishing, the loop, pause/resume/abort) calls
// it in the same transaction, under the rollout's row lock.
import { systemActor, type Actor } from "../../audit/audit-log";
import type { Tx } from "../../db";
import { appendLog } from "../deployment-log";
import { finishRunInTx } from "../execution";
import { transition } from "../state-machine";
import { initialDelaySeconds } from "./analysis";
import type { RolloutPlanSpec } from "./plan";
import { insertAnalysis, type RolloutRow } from "./rollout-store";
import { IN_FLIGHT, moveSteps, transitionRollout, updateRollout, type StepStatus } from "./state-machine";

export const rolloutActor = systemActor("rollout");
/** How often a holding rollout re-checks its unhealthy targets. */
const HOLD_RECHECK_MS = 10_000;

export type LoadedStep = {
  id: string;
  status: string;
  attempt: number;
  wave: number;
  targetId: string;
  targetName: string;
  drained: boolean;
  health: string;
};

export async function loadSteps(tx: Tx, rolloutId: string): Promise<LoadedStep[]> {
  return tx
    .selectFrom("RolloutStep as s")
    .innerJoin("DeploymentTarget as t", "t.id", "s.targetId")
    .select(["s.id", "s.status", "s.attempt", "s.wave", "s.targetId", "t.name as targetName", "t.drained", "t.health"])
    .where("s.rolloutId", "=", rolloutId)
    .orderBy("s.wave")
    .orderBy("t.name")
    .execute();
}

const planOf = (r: RolloutRow) => r.plan as unknown as RolloutPlanSpec;
const has = (s: LoadedStep, ...statuses: StepStatus[]) => statuses.includes(s.status as StepStatus);

/** The rollout's next moves (see the file comment). Returns the rollout as they leave it. */
export async function advance(tx: Tx, r: RolloutRow, actor: Actor = rolloutActor, now = new Date()): Promise<RolloutRow> {
  if (r.status === "rolling_back") return finishRollbackIfDone(tx, r, actor, now);
  if (r.status !== "running" || r.phase === "verifying" || r.phase === "soaking") return r;
  const plan = planOf(r);
  const steps = await loadSteps(tx, r.id);
  const wave = steps.filter((s) => s.wave === r.currentWave);
  const inFlight = wave.filter((s) => has(s, ...IN_FLIGHT)).length;
  const failed = wave.filter((s) => has(s, "failed"));
  if (failed.length) {
    // Nothing new starts in a failing wave; once its runs in progress end, the failure policy decides.
    if (inFlight) return r;
    return failWave(tx, r, steps, `${failed.map((s) => s.targetName).join(", ")} failed to deploy in wave ${r.currentWave + 1}`, "deploy", actor, now);
  }
  const pending = wave.filter((s) => has(s, "pending"));
  const drained = pending.filter((s) => s.drained);
  await moveSteps(tx, drained, "skipped", { actor, message: "target drained", set: { finishedAt: now } });
  const unhealthy = pending.filter((s) => !s.drained && s.health === "unhealthy");
  if (plan.onUnhealthy === "skip") await moveSteps(tx, unhealthy, "skipped", { actor, message: "target unhealthy", set: { finishedAt: now } });
  const startable = pending.filter((s) => !s.drained && s.health !== "unhealthy").slice(0, Math.max(0, plan.maxParallel - inFlight));
  await moveSteps(tx, startable, "queued", { actor, set: { queuedAt: now } });
  const waiting = pending.length - drained.length - (plan.onUnhealthy === "skip" ? unhealthy.length : 0);
  if (waiting > 0 || inFlight > 0) {
    const holding = plan.onUnhealthy === "hold" && unhealthy.length > 0 && inFlight + startable.length === 0;
    if (holding && r.phase !== "holding") {
      return updateRollout(
        tx,
        r,
        { phase: "holding", dueAt: new Date(now.getTime() + HOLD_RECHECK_MS), message: `Holding: ${unhealthy.map((s) => s.targetName).join(", ")} unhealthy` },
        { actor, action: "rollout.holding" },
      );
    }
    if (holding) return updateRollout(tx, r, { dueAt: new Date(now.getTime() + HOLD_RECHECK_MS) });
    return r.phase === "holding" ? updateRollout(tx, r, { phase: "deploying", dueAt: null, message: "" }) : r;
  }
  return waveDeployed(tx, r, wave, actor, now);
}

/** Every target of the wave succeeded or was skipped: verification, else soak, else the next wave. */
async function waveDeployed(tx: Tx, r: RolloutRow, wave: LoadedStep[], actor: Actor, now: Date) {
  const plan = planOf(r);
  if (plan.analysis && wave.some((s) => has(s, "succeeded"))) {
    await insertAnalysis(tx, r.id, r.currentWave);
    const dueAt = new Date(now.getTime() + initialDelaySeconds(plan.analysis) * 1000);
    return updateRollout(tx, r, { phase: "verifying", dueAt, message: `Verifying wave ${r.currentWave + 1}` }, { actor, action: "rollout.verifying" });
  }
  return afterVerification(tx, r, actor, now);
}

/** The wave passed (or had nothing to verify): soak before the next wave, or go on. */
export async function afterVerification(tx: Tx, r: RolloutRow, actor: Actor, now: Date) {
  const plan = planOf(r);
  const last = r.currentWave + 1 >= r.waveCount;
  if (!last && plan.soakSeconds > 0 && r.phase !== "soaking") {
    const dueAt = new Date(now.getTime() + plan.soakSeconds * 1000);
    return updateRollout(tx, r, { phase: "soaking", dueAt, message: `Soaking until ${dueAt.toISOString()}` }, { actor, action: "rollout.soaking" });
  }
  return nextWave(tx, r, actor, now);
}

/** Starts the next wave, or finishes the rollout (and its request) after the last. */
async function nextWave(tx: Tx, r: RolloutRow, actor: Actor, now: Date): Promise<RolloutRow> {
  if (r.currentWave + 1 >= r.waveCount) {
    const done = await transitionRollout(tx, r, "succeeded", { actor, set: { finishedAt: now, dueAt: null, phase: "done", message: "Every wave deployed" } });
    await finishRunInTx(tx, r.requestId, { outcome: "succeeded", message: `Rolled out to every target in ${r.waveCount} wave(s)` }, actor);
    return done;
  }
  const next = await updateRollout(
    tx,
    r,
    { currentWave: r.currentWave + 1, phase: "deploying", dueAt: null, message: "" },
    { actor, action: "rollout.wave_started", event: "rollout.wave_started" },
  );
  appendLog(tx, r.requestId, `Wave ${next.currentWave + 1} of ${r.waveCount} started`);
  return advance(tx, next, actor, now);
}

/**
 * A wave failed (a target's deployment, or its verification): the plan's failure policy. rollback_failed rolls
 * back the failing wave's targets (after a failed verification: all of them), rollback_all every target deployed
 * so far, stop none. Targets not yet started are cancelled; later waves never start.
 */
export async function failWave(tx: Tx, r: RolloutRow, steps: LoadedStep[], reason: string, cause: "deploy" | "analysis", actor: Actor, now: Date) {
  const plan = planOf(r);
  await moveSteps(
    tx,
    steps.filter((s) => has(s, "pending")),
    "cancelled",
    { actor, message: "cancelled: an earlier target failed", set: { finishedAt: now } },
  );
  const request = await tx.selectFrom("DeploymentRequest").select(["previousVersion"]).where("id", "=", r.requestId).executeTakeFirstOrThrow();
  const deployed = (s: LoadedStep) => has(s, "succeeded", "failed");
  const inWave = (s: LoadedStep) => s.wave === r.currentWave;
  const toRollBack =
    plan.onFailure === "stop" || !request.previousVersion
      ? []
      : plan.onFailure === "rollback_all"
        ? steps.filter(deployed)
        : steps.filter((s) => inWave(s) && (cause === "analysis" ? deployed(s) : has(s, "failed")));
  appendLog(tx, r.requestId, `Wave ${r.currentWave + 1} failed: ${reason}`, "error");
  if (!toRollBack.length) {
    const failed = await transitionRollout(tx, r, "failed", { actor, set: { finishedAt: now, dueAt: null, message: reason } });
    await finishRunInTx(tx, r.requestId, { outcome: "failed", message: reason }, actor, { autoRollback: false });
    return failed;
  }
  await moveSteps(tx, toRollBack, "rollback_queued", { actor, message: `rolling back to ${request.previousVersion}` });
  appendLog(tx, r.requestId, `Rolling back ${toRollBack.map((s) => s.targetName).join(", ")} to ${request.previousVersion}`, "warn");
  return transitionRollout(tx, r, "rolling_back", {
    actor,
    set: { dueAt: null, message: reason },
    event: cause === "analysis" ? "rollout.analysis_failed" : undefined,
    eventData: { reason, targets: toRollBack.map((s) => s.targetName) },
  });
}

/** Rolling back: when no rollback step is left, the rollout ends and its request is failed, then rolled back. */
async function finishRollbackIfDone(tx: Tx, r: RolloutRow, actor: Actor, now: Date) {
  const steps = await loadSteps(tx, r.id);
  if (steps.some((s) => has(s, ...IN_FLIGHT))) return r;
  const broken = steps.filter((s) => has(s, "rollback_failed"));
  const reason = r.message;
  await finishRunInTx(tx, r.requestId, { outcome: "failed", message: reason }, actor, { autoRollback: false });
  if (broken.length) {
    const message = `${reason}; rollback failed on ${broken.map((s) => s.targetName).join(", ")}`;
    return transitionRollout(tx, r, "failed", { actor, set: { finishedAt: now, message } });
  }
  const restored = steps.filter((s) => has(s, "rolled_back")).map((s) => s.targetName);
  await transition(tx, r.requestId, ["failed"], "rolled_back", {
    actor,
    data: { finishedAt: now },
    eventData: { reason, rolloutId: r.id, targets: restored },
  });
  return transitionRollout(tx, r, "rolled_back", {
    actor,
    set: { finishedAt: now, phase: "done" },
    event: "rollout.rolled_back",
    eventData: { reason, targets: restored },
  });
}
