// The rollout loop (a periodic worker loop under a lease: one run at a time across worker processes). Each pass:
// keeps active rollouts' requests heart-beating, retries steps whose worker died (stale heartbeat: the attempt is
// taken back and queued again, never run twice at once), ends soaks, re-checks holding waves and takes the due
// analysis measurements. Each rollout is changed in its own transaction under its row lock.
import { transaction, type Db } from "../../db";
import { logger } from "../../logger";
import { guardedFetch } from "../executors/executor";
import { analysisStatus, measure, nextMeasurements, type AnalysisTemplate, type Measurement } from "./analysis";
import { advance, afterVerification, failVerification } from "./orchestrator";
import type { RolloutPlanSpec } from "./plan";
import { beatRolloutRequests, changeAnalysis, lockRollout } from "./rollout-store";
import { simulatedMetrics } from "./simulated-metrics";
import { moveSteps, rolloutActor, transitionRollout, updateRollout } from "./state-machine";

export type RolloutTickOptions = { now?: Date; staleAfterMs?: number };

/** Steps whose worker stopped heart-beating go back to their queue (a new attempt; the old one's report is ignored). */
async function retryStaleSteps(db: Db, now: Date, staleAfterMs: number) {
  const staleBefore = new Date(now.getTime() - staleAfterMs);
  const stale = await db.kysely
    .selectFrom("RolloutStep")
    .select(["id", "rolloutId"])
    .where("status", "in", ["deploying", "rolling_back"])
    .where((eb) => eb.or([eb("heartbeatAt", "is", null), eb("heartbeatAt", "<", staleBefore)]))
    .limit(500)
    .execute();
  let retried = 0;
  for (const { id, rolloutId } of stale) {
    await transaction(db, async (tx) => {
      await lockRollout(tx, { id: rolloutId });
      const s = await tx.selectFrom("RolloutStep").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
      if (!["deploying", "rolling_back"].includes(s.status) || (s.heartbeatAt && s.heartbeatAt >= staleBefore)) return;
      await moveSteps(tx, [s], s.status === "deploying" ? "queued" : "rollback_queued", {
        actor: rolloutActor,
        message: `worker stopped responding during attempt ${s.attempt}; retrying`,
        set: { heartbeatAt: null, queuedAt: now },
      });
      retried++;
    });
  }
  return retried;
}

/** One analysis pass of a verifying rollout: measure (outside any transaction), then record and decide under the lock. */
async function verify(db: Db, rolloutId: string, now: Date) {
  const r0 = await db.kysely.selectFrom("Rollout").selectAll().where("id", "=", rolloutId).executeTakeFirstOrThrow();
  const template = (r0.plan as unknown as RolloutPlanSpec).analysis as AnalysisTemplate;
  const run = await db.kysely
    .selectFrom("RolloutAnalysis")
    .selectAll()
    .where("rolloutId", "=", rolloutId)
    .where("wave", "=", r0.currentWave)
    .executeTakeFirstOrThrow();
  const taken = run.measurements as Measurement[];
  const steps = await db.kysely
    .selectFrom("RolloutStep as s")
    .innerJoin("DeploymentTarget as t", "t.id", "s.targetId")
    .select(["t.name", "t.executorConfig"])
    .where("s.rolloutId", "=", rolloutId)
    .where("s.wave", "=", r0.currentWave)
    .where("s.status", "=", "succeeded")
    .execute();
  const request = await db.kysely
    .selectFrom("DeploymentRequest as d")
    .innerJoin("Service as s", "s.id", "d.serviceId")
    .innerJoin("Environment as e", "e.id", "d.environmentId")
    .leftJoin("ServiceEnvironment as se", (j) => j.onRef("se.serviceId", "=", "d.serviceId").onRef("se.environmentId", "=", "d.environmentId"))
    .select(["d.version", "s.slug", "e.name", "se.executorConfig"])
    .where("d.id", "=", r0.requestId)
    .executeTakeFirstOrThrow();
  const configs = steps.map((s) => ({ ...((request.executorConfig ?? {}) as Record<string, unknown>), ...(s.executorConfig as Record<string, unknown>) }));
  const ctx = {
    fetch: (url: string, init?: RequestInit) => guardedFetch(db, url, init, 10_000),
    simulated: (metric: string) => simulatedMetrics(configs, request.version, metric),
    vars: { targets: steps.map((s) => s.name).join("|"), service: request.slug, version: request.version, environment: request.name },
  };
  const { due } = nextMeasurements(template, taken);
  const fresh = await Promise.all(due.map((m) => measure(m, ctx, now)));
  await transaction(db, async (tx) => {
    const r = await lockRollout(tx, { id: rolloutId });
    if (!r || r.status !== "running" || r.phase !== "verifying" || r.currentWave !== r0.currentWave || r.revision !== r0.revision) return;
    const all = [...taken, ...fresh];
    const status = analysisStatus(template, all);
    const last = fresh.map((m) => `${m.metric}: ${m.phase}${m.value ? ` (${m.value.join(", ")})` : ""} ${m.message}`).join("; ");
    await changeAnalysis(tx, rolloutId, r.currentWave, { status, measurements: all, message: last, ...(status !== "running" ? { finishedAt: now } : {}) });
    if (status === "running") {
      await updateRollout(tx, r, { dueAt: new Date(now.getTime() + nextMeasurements(template, all).intervalSeconds * 1000) });
    } else if (status === "successful") {
      await afterVerification(tx, r, rolloutActor, now);
    } else if (status === "inconclusive") {
      // As Argo Rollouts does: neither pass nor fail, a person decides (resume, or abort).
      await transitionRollout(tx, r, "paused", {
        actor: rolloutActor,
        set: { dueAt: null, message: `Analysis inconclusive: ${last}` },
        event: "rollout.paused",
      });
    } else {
      const reason = `Analysis ${status === "error" ? "errored" : "failed"} after wave ${r.currentWave + 1}: ${last}`;
      await failVerification(tx, r, reason, rolloutActor, now);
    }
  });
}

/** A due soak or holding wave: go on (advance re-checks health; a soak leads to the next wave). */
async function wake(db: Db, rolloutId: string, now: Date) {
  await transaction(db, async (tx) => {
    const r = await lockRollout(tx, { id: rolloutId });
    if (!r || r.status !== "running" || !r.dueAt || r.dueAt > now) return;
    if (r.phase === "soaking") await afterVerification(tx, r, rolloutActor, now);
    else if (r.phase === "holding") await advance(tx, r, rolloutActor, now);
  });
}

export async function rolloutTick(db: Db, opts: RolloutTickOptions = {}) {
  const now = opts.now ?? new Date();
  const beating = await beatRolloutRequests(db.kysely, now);
  const retried = await retryStaleSteps(db, now, opts.staleAfterMs ?? 60_000);
  const due = await db.kysely
    .selectFrom("Rollout")
    .select(["id", "phase"])
    .where("status", "=", "running")
    .where("dueAt", "<=", now)
    .orderBy("dueAt")
    .limit(200)
    .execute();
  let woken = 0;
  for (const r of due) {
    try {
      await (r.phase === "verifying" ? verify(db, r.id, now) : wake(db, r.id, now));
      woken++;
    } catch (err) {
      logger.warn({ err, rolloutId: r.id }, "rollout loop skipped a rollout");
    }
  }
  return { beating, retried, woken };
}
