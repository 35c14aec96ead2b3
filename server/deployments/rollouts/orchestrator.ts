// What a rollout does next: given the locked rollout and its steps as loaded, the moves the plan asks for: queue
// the wave's pending targets up to maxParallel (skipping drained ones, holding or skipping unhealthy ones), start
// verification or the soak when the wave is done, go to the next wave, roll back after a failure, finish the
// request at the end. Whatever changes a rollout (steps finishing, the loop, pause/resume/abort) calls it in the
// same transaction, under the rollouts' row locks. The decisions are made in memory from one load of every
// rollout's steps and recorded on drafts (state-machine.ts RolloutMoves), which write them with a few statements
// whatever the number of rollouts: a batch of step ends advancing 200 rollouts costs about what one does.
import type { Actor } from "../../audit/audit-log";
import type { Tx } from "../../db";
import { transition } from "../state-machine";
import { initialDelaySeconds } from "./analysis";
import type { RolloutPlanSpec } from "./plan";
import { loadRolloutSteps, type LoadedStep, type RolloutRow, type RolloutSnapshot } from "./rollout-store";
import { IN_FLIGHT, rolloutActor, RolloutMoves, type RolloutDraft, type StepStatus } from "./state-machine";

/** How often a holding rollout re-checks its unhealthy targets. */
const HOLD_RECHECK_MS = 10_000;

const planOf = (r: RolloutRow) => r.plan as unknown as RolloutPlanSpec;
const has = (s: LoadedStep, ...statuses: StepStatus[]) => statuses.includes(s.status as StepStatus);

/**
 * Decides for each locked rollout (from one load of all their steps), then writes every decision: `decide` makes a
 * rollout's moves on its draft. Returns the rollouts as they leave them, in the order given.
 */
async function decideAll(
  tx: Tx,
  rollouts: readonly RolloutRow[],
  decide: (d: RolloutDraft, snapshot: RolloutSnapshot) => void,
  loaded?: ReadonlyMap<string, RolloutSnapshot>,
) {
  if (!rollouts.length) return [];
  const snapshots =
    loaded ??
    (await loadRolloutSteps(
      tx,
      rollouts.map((r) => r.id),
    ));
  const moves = new RolloutMoves();
  const drafts = rollouts.map((r) => {
    const d = moves.draft(r);
    decide(d, snapshots.get(r.id) ?? { steps: [], previousVersion: null });
    return d;
  });
  await moves.apply(tx);
  return drafts.map((d) => d.row);
}

/**
 * The next moves of several locked rollouts (see the file comment); call in their lock order. `loaded`: their steps
 * as the caller already loaded them under the locks (step-commits.ts loads them with the steps' ends).
 */
export function advanceAll(
  tx: Tx,
  rollouts: readonly RolloutRow[],
  actor: Actor = rolloutActor,
  now = new Date(),
  loaded?: ReadonlyMap<string, RolloutSnapshot>,
) {
  return decideAll(tx, rollouts, (d, snapshot) => advanceDraft(d, snapshot, actor, now), loaded);
}

/** The next moves of one locked rollout. Returns the rollout as they leave it. */
export async function advance(tx: Tx, r: RolloutRow, actor: Actor = rolloutActor, now = new Date()): Promise<RolloutRow> {
  return (await advanceAll(tx, [r], actor, now))[0];
}

/** The wave passed its verification (or a person accepted it): soak before the next wave, or go on. */
export async function afterVerification(tx: Tx, r: RolloutRow, actor: Actor, now: Date) {
  return (await decideAll(tx, [r], (d, snapshot) => verified(d, snapshot, actor, now)))[0];
}

/** The wave's verification failed: the plan's failure policy (see failWave). */
export async function failVerification(tx: Tx, r: RolloutRow, reason: string, actor: Actor, now: Date) {
  return (await decideAll(tx, [r], (d, snapshot) => failWave(d, snapshot, reason, "analysis", actor, now)))[0];
}

function advanceDraft(d: RolloutDraft, snapshot: RolloutSnapshot, actor: Actor, now: Date): void {
  const r = d.row;
  if (r.status === "rolling_back") return finishRollbackIfDone(d, snapshot.steps, actor, now);
  if (r.status !== "running" || r.phase === "verifying" || r.phase === "soaking") return;
  const plan = planOf(r);
  const wave = snapshot.steps.filter((s) => s.wave === r.currentWave);
  const inFlight = wave.filter((s) => has(s, ...IN_FLIGHT)).length;
  const failed = wave.filter((s) => has(s, "failed"));
  if (failed.length) {
    // Nothing new starts in a failing wave; once its runs in progress end, the failure policy decides.
    if (inFlight) return;
    return failWave(d, snapshot, `${failed.map((s) => s.targetName).join(", ")} failed to deploy in wave ${r.currentWave + 1}`, "deploy", actor, now);
  }
  const pending = wave.filter((s) => has(s, "pending"));
  const drained = pending.filter((s) => s.drained);
  d.moveSteps(drained, "skipped", { actor, message: "target drained", set: { finishedAt: now } });
  const unhealthy = pending.filter((s) => !s.drained && s.health === "unhealthy");
  if (plan.onUnhealthy === "skip") d.moveSteps(unhealthy, "skipped", { actor, message: "target unhealthy", set: { finishedAt: now } });
  const startable = pending.filter((s) => !s.drained && s.health !== "unhealthy").slice(0, Math.max(0, plan.maxParallel - inFlight));
  d.moveSteps(startable, "queued", { actor, set: { queuedAt: now } });
  const waiting = pending.length - drained.length - (plan.onUnhealthy === "skip" ? unhealthy.length : 0);
  if (waiting > 0 || inFlight > 0) {
    const holding = plan.onUnhealthy === "hold" && unhealthy.length > 0 && inFlight + startable.length === 0;
    if (holding && r.phase !== "holding") {
      return d.update(
        { phase: "holding", dueAt: new Date(now.getTime() + HOLD_RECHECK_MS), message: `Holding: ${unhealthy.map((s) => s.targetName).join(", ")} unhealthy` },
        { actor, action: "rollout.holding" },
      );
    }
    if (holding) return d.update({ dueAt: new Date(now.getTime() + HOLD_RECHECK_MS) });
    if (r.phase === "holding") d.update({ phase: "deploying", dueAt: null, message: "" });
    return;
  }
  // Every target of the wave succeeded or was skipped: verification, else soak, else the next wave.
  if (plan.analysis && wave.some((s) => has(s, "succeeded"))) {
    d.analyse(r.currentWave);
    const dueAt = new Date(now.getTime() + initialDelaySeconds(plan.analysis) * 1000);
    return d.update({ phase: "verifying", dueAt, message: `Verifying wave ${r.currentWave + 1}` }, { actor, action: "rollout.verifying" });
  }
  verified(d, snapshot, actor, now);
}

/** The wave passed (or had nothing to verify): soak before the next wave, or go on. */
function verified(d: RolloutDraft, snapshot: RolloutSnapshot, actor: Actor, now: Date): void {
  const r = d.row;
  const plan = planOf(r);
  const last = r.currentWave + 1 >= r.waveCount;
  if (!last && plan.soakSeconds > 0 && r.phase !== "soaking") {
    const dueAt = new Date(now.getTime() + plan.soakSeconds * 1000);
    return d.update({ phase: "soaking", dueAt, message: `Soaking until ${dueAt.toISOString()}` }, { actor, action: "rollout.soaking" });
  }
  nextWave(d, snapshot, actor, now);
}

/** Starts the next wave, or finishes the rollout (and its request) after the last. */
function nextWave(d: RolloutDraft, snapshot: RolloutSnapshot, actor: Actor, now: Date): void {
  const r = d.row;
  if (r.currentWave + 1 >= r.waveCount) {
    d.transition("succeeded", { actor, set: { finishedAt: now, dueAt: null, phase: "done", message: "Every wave deployed" } });
    d.finishRun({ outcome: "succeeded", message: `Rolled out to every target in ${r.waveCount} wave(s)` }, actor);
    return;
  }
  d.update(
    { currentWave: r.currentWave + 1, phase: "deploying", dueAt: null, message: "" },
    { actor, action: "rollout.wave_started", event: "rollout.wave_started" },
  );
  d.log(`Wave ${d.row.currentWave + 1} of ${r.waveCount} started`);
  // The next wave's steps are as loaded: nothing decided so far touched them.
  advanceDraft(d, snapshot, actor, now);
}

/**
 * A wave failed (a target's deployment, or its verification): the plan's failure policy. rollback_failed rolls
 * back the failing wave's targets (after a failed verification: all of them), rollback_all every target deployed
 * so far, stop none. Targets not yet started are cancelled; later waves never start.
 */
function failWave(d: RolloutDraft, snapshot: RolloutSnapshot, reason: string, cause: "deploy" | "analysis", actor: Actor, now: Date): void {
  const r = d.row;
  const plan = planOf(r);
  const { steps, previousVersion } = snapshot;
  d.moveSteps(
    steps.filter((s) => has(s, "pending")),
    "cancelled",
    { actor, message: "cancelled: an earlier target failed", set: { finishedAt: now } },
  );
  const deployed = (s: LoadedStep) => has(s, "succeeded", "failed");
  const inWave = (s: LoadedStep) => s.wave === r.currentWave;
  const toRollBack =
    plan.onFailure === "stop" || !previousVersion
      ? []
      : plan.onFailure === "rollback_all"
        ? steps.filter(deployed)
        : steps.filter((s) => inWave(s) && (cause === "analysis" ? deployed(s) : has(s, "failed")));
  d.log(`Wave ${r.currentWave + 1} failed: ${reason}`, "error");
  if (!toRollBack.length) {
    d.transition("failed", { actor, set: { finishedAt: now, dueAt: null, message: reason } });
    d.finishRun({ outcome: "failed", message: reason }, actor, { autoRollback: false });
    return;
  }
  d.moveSteps(toRollBack, "rollback_queued", { actor, message: `rolling back to ${previousVersion}` });
  d.log(`Rolling back ${toRollBack.map((s) => s.targetName).join(", ")} to ${previousVersion}`, "warn");
  d.transition("rolling_back", {
    actor,
    set: { dueAt: null, message: reason },
    event: cause === "analysis" ? "rollout.analysis_failed" : undefined,
    eventData: { reason, targets: toRollBack.map((s) => s.targetName) },
  });
}

/** Rolling back: when no rollback step is left, the rollout ends and its request is failed, then rolled back. */
function finishRollbackIfDone(d: RolloutDraft, steps: readonly LoadedStep[], actor: Actor, now: Date): void {
  const r = d.row;
  if (steps.some((s) => has(s, ...IN_FLIGHT))) return;
  const broken = steps.filter((s) => has(s, "rollback_failed"));
  const reason = r.message;
  d.finishRun({ outcome: "failed", message: reason }, actor, { autoRollback: false });
  if (broken.length) {
    const message = `${reason}; rollback failed on ${broken.map((s) => s.targetName).join(", ")}`;
    return d.transition("failed", { actor, set: { finishedAt: now, message } });
  }
  const restored = steps.filter((s) => has(s, "rolled_back")).map((s) => s.targetName);
  d.then((tx) =>
    transition(tx, r.requestId, ["failed"], "rolled_back", {
      actor,
      data: { finishedAt: now },
      eventData: { reason, rolloutId: r.id, targets: restored },
    }),
  );
  d.transition("rolled_back", {
    actor,
    set: { finishedAt: now, phase: "done" },
    event: "rollout.rolled_back",
    eventData: { reason, targets: restored },
  });
}
