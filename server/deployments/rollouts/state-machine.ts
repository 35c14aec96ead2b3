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
import { recordAudits, systemActor, type Actor, type AuditEntry } from "../../audit/audit-log";
import { emitPierEvent, type RolloutEventType } from "../../bus/events";
import { writeOutbox } from "../../bus/outbox";
import { conflict, notFound } from "../../errors";
import { QUEUES } from "../../platform/queues";
import type { Tx } from "../../db";
import { requestUrl } from "../deployment-events";
import { finishRunsInTx, type RunEnd } from "../execution";
import { appendRequestLogs, type LogLevel } from "../deployment-log";
import { claimedOf, type Claimed } from "./claimed";
import { claimStepRows, insertAnalyses, moveStepRows, writeRollouts, type RolloutRow, type StepRow, type WrittenRollout } from "./rollout-store";

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
export const rolloutActor = systemActor("rollout");

/**
 * A worker process's step runner: steps this process queues are claimed (queued → deploying) in the transaction
 * that queues them, as many as the runner has room for, and run by it right after the commit — no claim
 * transaction, no outbox job, no wait for the dispatcher's next poll or the loop. If the process dies, their
 * heartbeats go stale and the loop queues them again. Steps beyond its room get an outbox job like any other.
 * Only worker processes register one (web processes that pause/resume a rollout leave the steps to the workers);
 * it runs steps on the database it was registered with, the only one a worker process uses.
 */
export type StepRunner = {
  /** Takes up to `n` slots; returns how many it took. */
  reserve(n: number): number;
  /** Gives back slots taken but not used (fewer steps claimed, or the transaction rolled back). */
  release(n: number): void;
  /** Runs steps claimed for it (one reserved slot each), after the commit; returns at once. */
  run(steps: Claimed[]): void;
};
let runner: StepRunner | null = null;
export function setStepRunner(r: StepRunner | null) {
  runner = r;
}

const startsRollback = (s: { status: string }) => s.status === "rolling_back";

/**
 * Claims queued steps in one statement, without the rollouts' locks (claimStepRows says when a claim takes a step),
 * with one audit record each; returns what the claimed steps' runs need (from the same statement), by step id.
 */
export async function claimSteps(tx: Tx, asks: readonly { stepId: string; attempt: number | undefined }[]): Promise<Map<string, Claimed>> {
  const rows = await claimStepRows(tx, asks, new Date());
  if (!rows.length) return new Map();
  const back = (s: (typeof rows)[number]) => ({ ...s, status: startsRollback(s) ? "rollback_queued" : "queued", attempt: s.attempt - 1 });
  auditSteps(tx, rows.filter((s) => !startsRollback(s)).map(back), "deploying", rolloutActor);
  auditSteps(tx, rows.filter(startsRollback).map(back), "rolling_back", rolloutActor);
  return new Map(rows.map((row) => [row.id, claimedOf(row)]));
}

/**
 * Steps just moved to queued/rollback_queued: claimed here for this process's runner while it has room (run once
 * committed), the others get their job (outbox → deployments queue), keyed by the attempt it will start.
 */
async function startSteps(tx: Tx, steps: readonly { id: string; attempt: number }[]) {
  if (!steps.length) return;
  const r = runner;
  const room = r ? r.reserve(steps.length) : 0;
  let claimed = new Map<string, Claimed>();
  if (r && room > 0) {
    tx.afterRollback(() => r.release(room));
    claimed = await claimSteps(
      tx,
      steps.slice(0, room).map((s) => ({ stepId: s.id, attempt: s.attempt + 1 })),
    );
    const run = [...claimed.values()];
    tx.afterCommit(() => {
      r.release(room - run.length);
      r.run(run);
    });
  }
  for (const s of steps) {
    if (!claimed.has(s.id)) writeOutbox(tx, { queue: QUEUES.deployments, type: ROLLOUT_STEP_JOB, payload: { stepId: s.id, attempt: s.attempt + 1 } });
  }
}

/** What a rollout change may set besides its status. */
type RolloutChange = Partial<Pick<RolloutRow, "phase" | "currentWave" | "dueAt" | "message" | "finishedAt">>;
type StepSet = Parameters<typeof moveStepRows>[2];
type MoveOptions = { actor: Actor; set?: StepSet; inc?: Parameters<typeof moveStepRows>[3]; message?: string };
type MovableStep = Pick<StepRow, "id" | "status" | "attempt" | "targetId" | "wave">;
type PendingEvent = { type: RolloutEventType; row: RolloutRow; actor: Actor; extra?: Record<string, unknown> };

/**
 * One locked rollout's changes as they are decided: its row as they leave it (checked against the transition
 * table at each change, with one audit record per change) and the step moves, log lines, events and request work
 * they ask for. Nothing is written until its RolloutMoves is applied.
 */
export class RolloutDraft {
  readonly baseRevision: number;
  constructor(
    private readonly moves: RolloutMoves,
    public row: RolloutRow,
  ) {
    this.baseRevision = row.revision;
  }

  private change(set: RolloutChange & { status?: string }) {
    const before = this.row;
    this.row = { ...before, ...set, revision: before.revision + 1, updatedAt: new Date() };
    return before;
  }

  /** Moves the rollout to `to` (checked against the table), with the audit record and, when given, an event. */
  transition(to: RolloutStatus, opts: { actor: Actor; set?: RolloutChange; event?: RolloutEventType; eventData?: Record<string, unknown> }) {
    const from = this.row.status as RolloutStatus;
    if (!ROLLOUT_TRANSITIONS[from]?.includes(to)) throw conflict(`This rollout is ${from.replace("_", " ")} and cannot become ${to.replace("_", " ")}`);
    const before = this.change({ ...opts.set, status: to });
    const r = this.row;
    this.moves.audits.push({
      actor: opts.actor,
      action: `rollout.${to}`,
      subjectType: "rollout",
      subjectId: r.id,
      before: { status: from, revision: before.revision, wave: before.currentWave },
      after: { status: to, revision: r.revision, wave: r.currentWave, message: r.message, ...opts.eventData },
    });
    if (opts.event) this.moves.events.push({ type: opts.event, row: r, actor: opts.actor, extra: opts.eventData });
  }

  /** A change that keeps the status (next wave, phase, due time), audited when `audit` names it. */
  update(set: RolloutChange, audit?: { actor: Actor; action: string; event?: RolloutEventType }) {
    const before = this.change(set);
    if (!audit) return;
    const r = this.row;
    this.moves.audits.push({
      actor: audit.actor,
      action: audit.action,
      subjectType: "rollout",
      subjectId: r.id,
      before: { phase: before.phase, wave: before.currentWave, revision: before.revision },
      after: { phase: r.phase, wave: r.currentWave, revision: r.revision, message: r.message },
    });
    if (audit.event) this.moves.events.push({ type: audit.event, row: r, actor: audit.actor });
  }

  /** Moves steps of this rollout to `to` (each checked against the table now, moved when applied). */
  moveSteps(steps: readonly MovableStep[], to: StepStatus, opts: MoveOptions) {
    if (!steps.length) return;
    checkStepMoves(steps, to);
    this.moves.stepMoves.push({ steps, to, opts });
  }

  log(message: string, level: LogLevel = "info") {
    this.moves.logs.push({ requestId: this.row.requestId, message, level });
  }

  /** A wave's analysis run starts. */
  analyse(wave: number) {
    this.moves.analyses.push({ rolloutId: this.row.id, wave });
  }

  /** Ends the rollout's request's run (execution.ts finishRunsInTx, one call for every draft), once the rollouts are written. */
  finishRun(result: RunEnd["result"], actor: Actor, opts?: RunEnd["opts"]) {
    this.moves.runEnds.push({ requestId: this.row.requestId, result, actor, opts });
  }

  /** Other work on the rollout's request, done after the runs end, in the order asked. */
  then(work: (tx: Tx) => Promise<unknown>) {
    this.moves.requestWork.push(work);
  }
}

/**
 * The changes of several locked rollouts decided together (a batch of step ends advancing each of their rollouts)
 * and written with a few statements whatever their number: step moves grouped by kind, the rollout rows in one
 * UPDATE (each at the revision its draft started from), log lines in one INSERT, the events' subjects in one
 * query; then the requests' runs ended together (finishRunsInTx) and any other request work, in the order asked.
 * Audit records and outbox rows go with the commit.
 */
export class RolloutMoves {
  readonly drafts: RolloutDraft[] = [];
  readonly audits: AuditEntry[] = [];
  readonly events: PendingEvent[] = [];
  readonly stepMoves: { steps: readonly MovableStep[]; to: StepStatus; opts: MoveOptions }[] = [];
  readonly logs: { requestId: string; message: string; level: LogLevel }[] = [];
  readonly analyses: { rolloutId: string; wave: number }[] = [];
  readonly runEnds: RunEnd[] = [];
  readonly requestWork: ((tx: Tx) => Promise<unknown>)[] = [];

  draft(r: RolloutRow) {
    const d = new RolloutDraft(this, r);
    this.drafts.push(d);
    return d;
  }

  async apply(tx: Tx) {
    // Moves of the same kind (target status, message, fields set) become one statement across rollouts.
    const groups = new Map<string, { steps: MovableStep[]; to: StepStatus; opts: MoveOptions }>();
    for (const m of this.stepMoves) {
      const key = JSON.stringify([m.to, m.opts.actor, m.opts.message, m.opts.set, m.opts.inc]);
      const g = groups.get(key);
      if (g) g.steps.push(...m.steps);
      else groups.set(key, { steps: [...m.steps], to: m.to, opts: m.opts });
    }
    // Steps queued start once everything else is written (see the end): their claims see the rollouts as this
    // transaction leaves them.
    const queued: MovableStep[] = [];
    for (const g of groups.values()) {
      const moved = await moveStepRowsAudited(tx, g.steps, g.to, g.opts);
      if (isQueued(g.to)) queued.push(...moved);
    }
    await insertAnalyses(tx, this.analyses);
    const changed = this.drafts.filter((d) => d.row.revision !== d.baseRevision);
    const written = await writeRollouts(
      tx,
      changed.map((d) => ({ row: d.row, baseRevision: d.baseRevision })),
    );
    if (written.length !== changed.length) throw conflict("A rollout changed while it was being advanced; try again");
    recordAudits(tx, this.audits);
    appendRequestLogs(tx, this.logs);
    await finishRunsInTx(tx, this.runEnds);
    for (const work of this.requestWork) await work(tx);
    emitRolloutEvents(tx, this.events, written);
    // Claimed last: a step is recorded as started (startedAt) by the statement before the COMMIT that lets it run.
    await startSteps(tx, queued);
  }
}

/** Moves a locked rollout to `to` (checked against the table), with the audit record and, when given, an event. */
export async function transitionRollout(tx: Tx, r: RolloutRow, to: RolloutStatus, opts: Parameters<RolloutDraft["transition"]>[1]): Promise<RolloutRow> {
  const moves = new RolloutMoves();
  const d = moves.draft(r);
  d.transition(to, opts);
  await moves.apply(tx);
  return d.row;
}

/** A change of the rollout that keeps its status (next wave, phase, due time), audited when `audit` names it. */
export async function updateRollout(tx: Tx, r: RolloutRow, set: RolloutChange, audit?: Parameters<RolloutDraft["update"]>[1]): Promise<RolloutRow> {
  const moves = new RolloutMoves();
  const d = moves.draft(r);
  d.update(set, audit);
  await moves.apply(tx);
  return d.row;
}

function checkStepMoves(steps: readonly MovableStep[], to: StepStatus) {
  for (const s of steps) {
    if (!STEP_TRANSITIONS[s.status as StepStatus]?.includes(to)) throw conflict(`A ${s.status} step cannot become ${to}`);
  }
}

const isQueued = (to: StepStatus) => to === "queued" || to === "rollback_queued";

/** The step moves (one statement, see moveSteps) and their audit records; returns the steps moved. */
async function moveStepRowsAudited<S extends MovableStep>(tx: Tx, steps: readonly S[], to: StepStatus, opts: MoveOptions): Promise<S[]> {
  if (!steps.length) return [];
  checkStepMoves(steps, to);
  const changed = new Set(
    await moveStepRows(tx, steps, { ...opts.set, status: to, ...(opts.message !== undefined ? { message: opts.message.slice(0, 1000) } : {}) }, opts.inc),
  );
  const moved = steps.filter((s) => changed.has(s.id));
  auditSteps(tx, moved, to, opts.actor, opts.message);
  return moved;
}

/**
 * Moves steps of locked rollouts to `to` (one statement), each checked against the table; a step another
 * transaction moved meanwhile (a worker claiming a queued step) is left alone. One audit record per step moved;
 * steps moved to queued/rollback_queued start (startSteps: claimed for this process's runner, else their job).
 * Returns the steps moved.
 */
export async function moveSteps<S extends MovableStep>(tx: Tx, steps: readonly S[], to: StepStatus, opts: MoveOptions): Promise<S[]> {
  const moved = await moveStepRowsAudited(tx, steps, to, opts);
  if (isQueued(to)) await startSteps(tx, moved);
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

/** Emits rollout events about the rollouts' requests (subject: service and environment, as writeRollouts returned them). */
function emitRolloutEvents(tx: Tx, events: readonly PendingEvent[], written: readonly WrittenRollout[]) {
  if (!events.length) return;
  // Every rollout with an event changed, so was written.
  const byRequest = new Map(written.map((w) => [w.requestId, { ...w, id: w.requestId }]));
  for (const { type, row: r, actor, extra } of events) {
    const s = byRequest.get(r.requestId);
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
}
