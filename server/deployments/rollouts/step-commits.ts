// The two transactions of a rollout step run from its job — claiming it (queued → deploying) and ending it
// (→ succeeded/failed, then advancing its rollout) — written by group commit (server/platform/group-commit.ts): the
// claims and the ends that arrive while a batch is being written go together in the next transaction, with one
// audit append for all of them. (Steps a worker's runner takes are claimed by the transaction that queues them,
// state-machine.ts startSteps, and only their ends come here.) The rules per step are unchanged: a claim only takes
// a step still queued at the attempt its job was written for, an end only records the attempt that still owns the
// step.
import type { Db } from "../../db";
import { transaction } from "../../db";
import { appendRequestLogs, type LogLevel } from "../deployment-log";
import { groupCommitPerDb } from "../../platform/group-commit";
import { advanceAll } from "./orchestrator";
import type { Claimed } from "./claimed";
import { endStepsAndLoad, lockRollouts } from "./rollout-store";
import { auditSteps, claimSteps, rolloutActor, type StepStatus } from "./state-machine";

type ClaimAsk = { stepId: string; attempt: number | undefined };
export type LogLine = { message: string; level: LogLevel };
type EndAsk = {
  stepId: string;
  claimed: Claimed;
  result: { outcome: "succeeded" | "failed"; message: string };
  executorMs: number;
  lines: LogLine[];
};

/** At most this many batches of each kind at once (connections taken from the pool), and items per batch. */
const CLAIM_LANES = 2;
const END_LANES = 4;
const MAX_BATCH = 200;

const claimsFor = groupCommitPerDb<Db, ClaimAsk, Claimed | null>({
  name: "rollout step claims",
  lanes: CLAIM_LANES,
  maxBatch: MAX_BATCH,
  laneKey: (a) => a.stepId,
  write: claimBatch,
});
// By rollout: a rollout's ends always share a lane, so two lanes never wait for each other's rollout locks.
const endsFor = groupCommitPerDb<Db, EndAsk, boolean>({
  name: "rollout step ends",
  lanes: END_LANES,
  maxBatch: MAX_BATCH,
  laneKey: (a) => a.claimed.rolloutId,
  write: endBatch,
});

/** queued → deploying (rollback_queued → rolling_back); null when the step is not this job's to run. */
export const claimStep = (db: Db, stepId: string, attempt: number | undefined) => claimsFor(db).submit({ stepId, attempt });

/** Ends the step's attempt (if it still owns the step) and advances its rollout; false when the attempt no longer did. */
export const endStep = (db: Db, ask: EndAsk) => endsFor(db).submit(ask);

async function claimBatch(db: Db, asks: ClaimAsk[]): Promise<(Claimed | null)[]> {
  // The same step asked twice in one batch (its fast path and its outbox job): the newest attempt asks for it.
  const byStep = new Map<string, ClaimAsk>();
  for (const a of asks) {
    const seen = byStep.get(a.stepId);
    if (!seen || (seen.attempt !== undefined && (a.attempt === undefined || a.attempt > seen.attempt))) byStep.set(a.stepId, a);
  }
  const claimed = await transaction(db, (tx) => claimSteps(tx, [...byStep.values()]));
  return asks.map((a) => (byStep.get(a.stepId) === a ? (claimed.get(a.stepId) ?? null) : null));
}

/**
 * Ends the batch's steps and advances each of their rollouts once, in one transaction and a few statements
 * whatever the batch's size: the rollouts are locked in id order (as every multi-rollout lock must be), the ends
 * are one conditional UPDATE (each only for the attempt that still owns its step: a step another delivery or the
 * loop already took is left alone, and its rollout is not advanced on its account), which also loads the rollouts'
 * steps as they leave it (rollout-store.ts endStepsAndLoad), and their next moves are decided from that (orchestrator.ts advanceAll); every log line and audit record
 * goes out with the commit. Exported for tests (one batch, as the group commit writes it).
 */
export async function endBatch(db: Db, asks: EndAsk[]): Promise<boolean[]> {
  return transaction(db, async (tx) => {
    const rollouts = await lockRollouts(tx, [...new Set(asks.map((a) => a.claimed.rolloutId))]);
    // The steps' last log lines go with their end (whether or not their attempt still owns the step).
    appendRequestLogs(
      tx,
      asks.flatMap((a) => a.lines.map((l) => ({ ...l, requestId: a.claimed.request.id }))),
    );
    const locked = new Set(rollouts.map((r) => r.id));
    const ends = asks.map((a) => {
      const c = a.claimed;
      const running = c.rollback ? "rolling_back" : "deploying";
      const to: StepStatus = c.rollback ? (a.result.outcome === "succeeded" ? "rolled_back" : "rollback_failed") : a.result.outcome;
      return {
        stepId: a.stepId,
        running,
        attempt: c.attempt,
        status: to,
        message: a.result.message,
        executorMs: a.executorMs,
        deployed: !c.rollback && a.result.outcome === "succeeded",
      };
    });
    const owned = ends.filter((e, i) => locked.has(asks[i].claimed.rolloutId));
    const done = await endStepsAndLoad(tx, owned, [...locked], new Date());
    const ended = new Map(done.ended.map((row) => [row.id, row]));
    // The same step asked twice (two deliveries of one attempt's end): the first ask ended it.
    const results = ends.map((e) => {
      const row = ended.get(e.stepId);
      if (!row) return false;
      ended.delete(e.stepId);
      auditSteps(tx, [{ ...row, status: e.running, attempt: e.attempt }], e.status as StepStatus, rolloutActor, e.message);
      return true;
    });
    const advancing = new Set(asks.filter((_, i) => results[i]).map((a) => a.claimed.rolloutId));
    // In the order locked (by id): the requests they finish are then locked in the same order by every batch.
    await advanceAll(
      tx,
      rollouts.filter((r) => advancing.has(r.id)),
      rolloutActor,
      // What the advance queues is queued from now (the steps' queuedAt), after the ends, as before.
      new Date(),
      done.snapshots,
    );
    return results;
  });
}
