// Drives one request's rollout to its end in this process, as the workers would: runs its pending step jobs
// (taking them out of the outbox first, as the dispatcher does) and wakes its soaks and analyses as they fall due.
// For the seed (a demo rollout with real history) and the benchmark; the worker process never calls it.
import { sql, type Db } from "../../db";
import { markOutboxProcessed } from "../../bus/outbox";
import { rolloutTick } from "./loop";
import { runRolloutStep, type StepRunOptions } from "./runner";
import { ACTIVE_ROLLOUT, ROLLOUT_STEP_JOB, type RolloutStatus } from "./state-machine";

export async function runUntilSettled(db: Db, requestId: string, opts: StepRunOptions & { maxRounds?: number } = {}) {
  for (let round = 0; round < (opts.maxRounds ?? 200); round++) {
    const r = await db.kysely.selectFrom("Rollout").select(["id", "status", "dueAt"]).where("requestId", "=", requestId).executeTakeFirst();
    if (!r || !ACTIVE_ROLLOUT.includes(r.status as RolloutStatus) || r.status === "paused") return r?.status ?? null;
    const jobs = await db.kysely
      .selectFrom("OutboxEvent as o")
      .innerJoin("RolloutStep as s", (j) => j.on(sql`s.id`, "=", sql`o.payload->>'stepId'`))
      .select(["o.id", "o.payload"])
      .where("o.type", "=", ROLLOUT_STEP_JOB)
      .where("o.processedAt", "is", null)
      .where("s.rolloutId", "=", r.id)
      .execute();
    if (jobs.length) {
      await markOutboxProcessed(
        db.kysely,
        jobs.map((j) => j.id),
      );
      await Promise.all(
        jobs.map((j) => {
          const p = j.payload as { stepId: string; attempt?: number };
          return runRolloutStep(db, p.stepId, p.attempt, opts);
        }),
      );
    } else {
      // Nothing to run: let soaks and analyses fall due now.
      await rolloutTick(db, { now: r.dueAt && r.dueAt > new Date() ? r.dueAt : new Date() });
    }
  }
  return "unsettled";
}
