// The fleet rollout state machines (ARCHITECTURE rule 4). A rollout and its per-target steps change only here,
// always under the rollout's row lock (lockRollout: SELECT … FOR UPDATE), so two workers finishing steps of the
// same wave, the loop and a person pressing pause take turns and see each other's committed state. Every change
// writes its audit record in the same transaction; rollout-level changes also emit a Pier event (outbox).
//
//   rollout  running ⇄ paused;  running|paused → rolling_back → rolled_back|failed;  running → succeeded|failed;
//            running|paused → aborted
//   step     pending → queued → deploying → succeeded|failed;  pending → skipped|cancelled;  queued → cancelled;
//            succeeded|failed → rollback_queued → rolling_back → rolled_back|rollback_failed;
//            deploying → queued and rolling_back → rollback_queued (a worker died: the loop retries the attempt)
import { jsonBuildObject } from "kysely/helpers/postgres";
import { recordAudits, type Actor } from "../../audit/audit-log";
import { emitPierEvent, type RolloutEventType } from "../../bus/events";
import { writeOutbox } from "../../bus/outbox";
import { conflict, notFound } from "../../errors";
import { QUEUES } from "../../platform/queues";
import type { Tx } from "../../db";
import { requestUrl } from "../deployment-events";
import { changeRollout, changeSteps, type RolloutRow, type StepRow } from "./rollout-store";

export type RolloutStatus = "running" | "paused" | "rolling_back" | "succeeded" | "failed" | "rolled_back" | "aborted";
export type StepStatus =
  | "pending"
  | "queued"
  | "deploying"
  | "succeeded"
  | "failed"
  | "skipped"
  | "cancelled"
  | "rollback_queued"
  | "rolling_back"
  | "rolled_back"
  | "rollback_failed";

const ROLLOUT_TRANSITIONS: Record<RolloutStatus, readonly RolloutStatus[]> = {
  running: ["paused", "rolling_back", "succeeded", "failed", "aborted"],
  paused: ["running", "rolling_back", "aborted"],
  rolling_back: ["rolled_back", "failed"],
  succeeded: [],
  failed: [],
  rolled_back: [],
  aborted: [],
};

const STEP_TRANSITIONS: Record<StepStatus, readonly StepStatus[]> = {
  pending: ["queued", "skipped", "cancelled"],
  queued: ["deploying", "cancelled"],
  deploying: ["succeeded", "failed", "queued"],
  succeeded: ["rollback_queued"],
  failed: ["rollback_queued"],
  skipped: [],
  cancelled: [],
  rollback_queued: ["rolling_back"],
  rolling_back: ["rolled_back", "rollback_failed", "rollback_queued"],
  rolled_back: [],
  rollback_failed: [],
};

export const ACTIVE_ROLLOUT: readonly RolloutStatus[] = ["running", "paused", "rolling_back"];
/** Steps a worker holds or is about to (the wave waits for them). */
export const IN_FLIGHT: readonly StepStatus[] = ["queued", "deploying", "rollback_queued", "rolling_back"];

export const ROLLOUT_STEP_JOB = "rollout.step";

/**
 * A worker process's fast path: steps this process queued are run by it right after the commit, without waiting
 * for the outbox dispatcher's next poll. The outbox job stays the durable path: whichever run claims the step
 * first runs it; the other finds it claimed and does nothing. Only worker processes register one (web processes
 * that pause/resume a rollout leave the steps to the workers).
 */
type StepHandOff = (steps: { stepId: string; attempt: number }[]) => void;
let handOff: StepHandOff | null = null;
export function setStepHandOff(fn: StepHandOff | null) {
  handOff = fn;
}

/** The job that makes a worker run a step (outbox → deployments queue), keyed by the attempt it will start. */
function enqueueSteps(tx: Tx, steps: readonly { id: string; attempt: number }[]) {
  const jobs = steps.map((s) => ({ stepId: s.id, attempt: s.attempt + 1 }));
  for (const payload of jobs) writeOutbox(tx, { queue: QUEUES.deployments, type: ROLLOUT_STEP_JOB, payload });
  const fast = handOff;
  if (fast) tx.afterCommit(() => fast(jobs));
}

type RolloutChange = Parameters<typeof changeRollout>[2];

/** Moves a locked rollout to `to` (checked against the table), with the audit record and, when given, an event. */
export async function transitionRollout(
  tx: Tx,
  r: RolloutRow,
  to: RolloutStatus,
  opts: { actor: Actor; set?: RolloutChange; event?: RolloutEventType; eventData?: Record<string, unknown> },
): Promise<RolloutRow> {
  const from = r.status as RolloutStatus;
  if (!ROLLOUT_TRANSITIONS[from]?.includes(to)) throw conflict(`This rollout is ${from.replace("_", " ")} and cannot become ${to.replace("_", " ")}`);
  const updated = await changeRollout(tx, r.id, { ...opts.set, status: to });
  recordAudits(tx, [
    {
      actor: opts.actor,
      action: `rollout.${to}`,
      subjectType: "rollout",
      subjectId: r.id,
      before: { status: from, revision: r.revision, wave: r.currentWave },
      after: { status: to, revision: updated.revision, wave: updated.currentWave, message: updated.message, ...opts.eventData },
    },
  ]);
  if (opts.event) await emitRolloutEvent(tx, opts.event, updated, opts.actor, opts.eventData);
  return updated;
}

/** A change of the rollout that keeps its status (next wave, phase, due time), audited when `audit` names it. */
export async function updateRollout(tx: Tx, r: RolloutRow, set: RolloutChange, audit?: { actor: Actor; action: string; event?: RolloutEventType }) {
  const updated = await changeRollout(tx, r.id, set);
  if (audit) {
    recordAudits(tx, [
      {
        actor: audit.actor,
        action: audit.action,
        subjectType: "rollout",
        subjectId: r.id,
        before: { phase: r.phase, wave: r.currentWave, revision: r.revision },
        after: { phase: updated.phase, wave: updated.currentWave, revision: updated.revision, message: updated.message },
      },
    ]);
    if (audit.event) await emitRolloutEvent(tx, audit.event, updated, audit.actor);
  }
  return updated;
}

/**
 * Moves steps of a locked rollout to `to`, each checked against the table; a step another transaction moved
 * meanwhile (a worker claiming a queued step) is left alone. One audit record per step moved; steps moved to
 * queued/rollback_queued get their job written (the attempt they will start is the current one + 1).
 * Returns the steps moved.
 */
export async function moveSteps<S extends Pick<StepRow, "id" | "status" | "attempt" | "targetId" | "wave">>(
  tx: Tx,
  steps: readonly S[],
  to: StepStatus,
  opts: { actor: Actor; set?: Parameters<typeof changeSteps>[3]; inc?: Parameters<typeof changeSteps>[4]; message?: string },
): Promise<S[]> {
  if (!steps.length) return [];
  for (const s of steps) {
    if (!STEP_TRANSITIONS[s.status as StepStatus]?.includes(to)) throw conflict(`A ${s.status} step cannot become ${to}`);
  }
  const from = [...new Set(steps.map((s) => s.status))];
  const changed = new Set(
    await changeSteps(
      tx,
      steps.map((s) => s.id),
      from,
      { ...opts.set, status: to, ...(opts.message !== undefined ? { message: opts.message.slice(0, 1000) } : {}) },
      opts.inc,
    ),
  );
  const moved = steps.filter((s) => changed.has(s.id));
  auditSteps(tx, moved, to, opts.actor, opts.message);
  if (to === "queued" || to === "rollback_queued") enqueueSteps(tx, moved);
  return moved;
}

/** The audit records of steps moved to `to` (one per step). */
export function auditSteps(
  tx: Tx,
  steps: readonly Pick<StepRow, "id" | "status" | "attempt" | "targetId" | "wave">[],
  to: StepStatus,
  actor: Actor,
  message?: string,
) {
  if (!steps.length) return;
  recordAudits(
    tx,
    steps.map((s) => ({
      actor,
      action: `rollout.step.${to}`,
      subjectType: "rollout_step",
      subjectId: s.id,
      before: { status: s.status, attempt: s.attempt },
      after: { status: to, targetId: s.targetId, wave: s.wave, ...(message ? { message: message.slice(0, 300) } : {}) },
    })),
  );
}

/** Emits a rollout event about the rollout's request (subject: its service and environment). */
async function emitRolloutEvent(tx: Tx, type: RolloutEventType, r: RolloutRow, actor: Actor, extra: Record<string, unknown> = {}) {
  const s = await tx
    .selectFrom("DeploymentRequest as d")
    .innerJoin("Service as s", "s.id", "d.serviceId")
    .innerJoin("Team as t", "t.id", "s.teamId")
    .innerJoin("Environment as e", "e.id", "d.environmentId")
    .select((eb) => [
      "d.id",
      "d.version",
      "d.previousVersion",
      jsonBuildObject({
        id: eb.ref("s.id"),
        slug: eb.ref("s.slug"),
        name: eb.ref("s.name"),
        tier: eb.ref("s.tier"),
        teamId: eb.ref("s.teamId"),
        teamSlug: eb.ref("t.slug"),
      }).as("service"),
      jsonBuildObject({ id: eb.ref("e.id"), name: eb.ref("e.name"), isProduction: eb.ref("e.isProduction") }).as("environment"),
    ])
    .where("d.id", "=", r.requestId)
    .executeTakeFirst();
  if (!s) throw notFound("Deployment request");
  const severity = type === "rollout.analysis_failed" || type === "rollout.rolled_back" ? "high" : type === "rollout.aborted" ? "medium" : "info";
  emitPierEvent(tx, {
    type,
    severity,
    actor,
    subject: { service: s.service, environment: s.environment, deploymentRequestId: s.id },
    data: {
      rolloutId: r.id,
      requestId: s.id,
      wave: r.currentWave,
      message: r.message,
      version: s.version,
      previousVersion: s.previousVersion,
      url: requestUrl(s.id),
      ...extra,
    },
  });
}
