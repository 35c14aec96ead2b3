// The one module that writes the fleet tables: DeploymentTarget, TargetHealthCheck, RolloutPlan, Rollout,
// RolloutStep, RolloutAnalysis, TargetDrainRequest. State changes of rollouts and steps come through state-machine.ts, which holds the
// row locks and writes the audit records; this module only shapes the statements.
import type { Insertable, Updateable } from "kysely";
import { newId, sql, type DB, type Kysely, type Selectable, type Tx } from "../../db";
import type { Measurement } from "./analysis";
import type { RolloutPlanSpec } from "./plan";

export type RolloutRow = Selectable<DB["Rollout"]>;
export type StepRow = Selectable<DB["RolloutStep"]>;
type RolloutSet = Omit<Updateable<DB["Rollout"]>, "id" | "revision" | "updatedAt">;
type StepSet = Omit<Updateable<DB["RolloutStep"]>, "id" | "attempt" | "deployCount">;

/** Locks a rollout row (by its id, its request's, or one of its steps') for the rest of the transaction and returns it. */
export async function lockRollout(tx: Tx, where: { id: string } | { requestId: string } | { stepId: string }): Promise<RolloutRow | undefined> {
  const q = tx.selectFrom("Rollout").selectAll();
  const one =
    "id" in where
      ? q.where("id", "=", where.id)
      : "requestId" in where
        ? q.where("requestId", "=", where.requestId)
        : q.where("id", "=", (eb) => eb.selectFrom("RolloutStep").select("rolloutId").where("id", "=", where.stepId));
  return one.forUpdate().executeTakeFirst();
}

/** Locks several rollouts, in id order (so two transactions locking overlapping sets cannot deadlock). */
export async function lockRollouts(tx: Tx, ids: readonly string[]): Promise<RolloutRow[]> {
  if (!ids.length) return [];
  return tx.selectFrom("Rollout").selectAll().where("id", "in", ids).orderBy("id").forUpdate().execute();
}

export async function insertRollout(
  tx: Tx,
  values: { requestId: string; environmentId: string; plan: RolloutPlanSpec; waveCount: number },
  steps: { targetId: string; wave: number }[],
): Promise<RolloutRow | undefined> {
  const id = newId();
  const row = await tx
    .insertInto("Rollout")
    .values({ id, requestId: values.requestId, environmentId: values.environmentId, plan: JSON.stringify(values.plan), waveCount: values.waveCount })
    .onConflict((oc) => oc.column("requestId").doNothing())
    .returningAll()
    .executeTakeFirst();
  if (row && steps.length) {
    await tx
      .insertInto("RolloutStep")
      .values(steps.map((s) => ({ id: newId(), rolloutId: id, targetId: s.targetId, wave: s.wave })))
      .execute();
  }
  return row;
}

export async function changeRollout(tx: Tx, id: string, set: RolloutSet): Promise<RolloutRow> {
  return tx
    .updateTable("Rollout")
    .set((eb) => ({ ...set, revision: eb("revision", "+", 1), updatedAt: new Date() }))
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Changes those of the steps that are still in one of `from` (a step another transaction moved meanwhile is left
 * alone) and returns the ids it changed; `attempt`/`deployCount` add to the counters.
 */
export async function changeSteps(
  tx: Tx,
  ids: readonly string[],
  from: readonly string[],
  set: StepSet,
  inc: { attempt?: number; deployCount?: number } = {},
): Promise<string[]> {
  if (!ids.length) return [];
  const rows = await tx
    .updateTable("RolloutStep")
    .set((eb) => ({
      ...set,
      ...(inc.attempt ? { attempt: eb("attempt", "+", inc.attempt) } : {}),
      ...(inc.deployCount ? { deployCount: eb("deployCount", "+", inc.deployCount) } : {}),
    }))
    .where("id", "in", ids)
    .where("status", "in", from)
    .returning("id")
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Workers claim queued steps in one statement, without the rollouts' locks: queued → deploying (rollback_queued →
 * rolling_back), attempt + 1, each only while it is still queued at the attempt its job was written for (any
 * attempt when the ask names none) and its rollout still runs (a rollback step also while rolling back). The step
 * rows' locks order this against pause/abort, which move queued steps with the same status condition. Returns the
 * steps claimed.
 */
export async function claimStepRows(tx: Tx, asks: readonly { stepId: string; attempt: number | undefined }[], now: Date) {
  if (!asks.length) return [];
  return tx
    .updateTable("RolloutStep as st")
    .set((eb) => ({
      status: sql<string>`CASE WHEN st.status = 'queued' THEN 'deploying' ELSE 'rolling_back' END`,
      attempt: eb("st.attempt", "+", 1),
      startedAt: now,
      heartbeatAt: now,
    }))
    .where((eb) =>
      eb.or(
        asks.map((a) => (a.attempt === undefined ? eb("st.id", "=", a.stepId) : eb.and([eb("st.id", "=", a.stepId), eb("st.attempt", "=", a.attempt - 1)]))),
      ),
    )
    .where("st.status", "in", ["queued", "rollback_queued"])
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom("Rollout as r")
          .select(sql<number>`1`.as("ok"))
          .whereRef("r.id", "=", "st.rolloutId")
          .where(sql<boolean>`(r.status = 'running' OR (st.status = 'rollback_queued' AND r.status = 'rolling_back'))`),
      ),
    )
    .returning(["st.id", "st.rolloutId", "st.status", "st.attempt", "st.targetId", "st.wave"])
    .execute();
}

/** Ends a step's run if it is still that attempt's and still running (one conditional statement); the step, or undefined. */
export async function endStepRow(
  tx: Tx,
  stepId: string,
  run: { running: string; attempt: number },
  end: { status: string; message: string; executorMs: number; deployed: boolean },
) {
  return tx
    .updateTable("RolloutStep")
    .set((eb) => ({
      status: end.status,
      message: end.message.slice(0, 1000),
      finishedAt: new Date(),
      heartbeatAt: null,
      executorMs: end.executorMs,
      ...(end.deployed ? { deployCount: eb("deployCount", "+", 1) } : {}),
    }))
    .where("id", "=", stepId)
    .where("status", "=", run.running)
    .where("attempt", "=", run.attempt)
    .returning(["id", "targetId", "wave"])
    .executeTakeFirst();
}

/** A running step's heartbeat (false when the step is no longer this attempt's, or no longer running). */
export async function beatStep(db: Kysely<DB>, id: string, attempt: number): Promise<boolean> {
  const r = await db
    .updateTable("RolloutStep")
    .set({ heartbeatAt: new Date() })
    .where("id", "=", id)
    .where("attempt", "=", attempt)
    .where("status", "in", ["deploying", "rolling_back"])
    .executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

export async function insertAnalysis(tx: Tx, rolloutId: string, wave: number) {
  await tx
    .insertInto("RolloutAnalysis")
    .values({ id: newId(), rolloutId, wave })
    .onConflict((oc) => oc.columns(["rolloutId", "wave"]).doNothing())
    .execute();
}

export async function changeAnalysis(
  tx: Tx,
  rolloutId: string,
  wave: number,
  set: { status: string; measurements: Measurement[]; message: string; finishedAt?: Date },
) {
  await tx
    .updateTable("RolloutAnalysis")
    .set({ ...set, measurements: JSON.stringify(set.measurements) })
    .where("rolloutId", "=", rolloutId)
    .where("wave", "=", wave)
    .execute();
}

/**
 * Active requests' heartbeats, refreshed while their rollout runs (the request reconciler leaves them alone). Rows
 * another transaction holds (a batch of step ends finishing that request) are skipped, not waited for: waiting
 * while holding the rows already updated would deadlock with that batch.
 */
export async function beatRolloutRequests(db: Kysely<DB>, now = new Date()) {
  const r = await db
    .updateTable("DeploymentRequest")
    .set({ heartbeatAt: now })
    .where("id", "in", (eb) =>
      eb
        .selectFrom("DeploymentRequest as d")
        .innerJoin("Rollout as r", "r.requestId", "d.id")
        .select("d.id")
        .where("r.status", "in", ["running", "paused", "rolling_back"])
        .where("d.status", "=", "deploying")
        .forUpdate(["d"])
        .skipLocked(),
    )
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

// ── targets and plans ──

export type NewTarget = Omit<Insertable<DB["DeploymentTarget"]>, "id" | "labels" | "executorConfig" | "healthCheck"> & {
  labels: Record<string, string>;
  executorConfig?: Record<string, unknown>;
  healthCheck?: Record<string, unknown>;
};

export async function insertTarget(tx: Kysely<DB>, t: NewTarget) {
  return tx
    .insertInto("DeploymentTarget")
    .values({
      ...t,
      id: newId(),
      labels: JSON.stringify(t.labels),
      executorConfig: JSON.stringify(t.executorConfig ?? {}),
      healthCheck: JSON.stringify(t.healthCheck ?? { kind: "simulator" }),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function setDrained(tx: Tx, id: string, drained: boolean, reason: string | null) {
  return tx
    .updateTable("DeploymentTarget")
    .set({ drained, drainedReason: drained ? reason : null })
    .where("id", "=", id)
    .returning(["id", "name", "drained", "drainedReason", "environmentId"])
    .executeTakeFirst();
}

/** A new drain request; undefined when the target already has one waiting (checked under the target's row lock). */
export async function insertDrainRequest(tx: Tx, r: { targetId: string; drain: boolean; reason: string; requestedById: string }) {
  await tx.selectFrom("DeploymentTarget").select("id").where("id", "=", r.targetId).forUpdate().executeTakeFirst();
  const open = await tx.selectFrom("TargetDrainRequest").select("id").where("targetId", "=", r.targetId).where("status", "=", "pending").executeTakeFirst();
  if (open) return undefined;
  return tx
    .insertInto("TargetDrainRequest")
    .values({ id: newId(), ...r, reason: r.reason.slice(0, 500) })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function lockDrainRequest(tx: Tx, id: string) {
  return tx.selectFrom("TargetDrainRequest").selectAll().where("id", "=", id).forUpdate().executeTakeFirst();
}

export async function decideDrainRow(tx: Tx, id: string, status: "applied" | "rejected", deciderId: string | null) {
  return tx
    .updateTable("TargetDrainRequest")
    .set({ status, decidedById: deciderId, decidedAt: new Date() })
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function setFailoverMessage(tx: Tx, id: string, message: string) {
  await tx
    .updateTable("TargetDrainRequest")
    .set({ failoverMessage: message.slice(0, 1000) })
    .where("id", "=", id)
    .execute();
}

/** A health poll's result: the target's current health and one history row. */
export async function recordHealth(tx: Tx, targetId: string, check: { status: "healthy" | "unhealthy"; message: string; latencyMs: number; at: Date }) {
  await tx
    .updateTable("DeploymentTarget")
    .set({ health: check.status, healthMessage: check.message.slice(0, 500), healthCheckedAt: check.at })
    .where("id", "=", targetId)
    .execute();
  await tx
    .insertInto("TargetHealthCheck")
    .values({ targetId, status: check.status, message: check.message.slice(0, 500), latencyMs: check.latencyMs, checkedAt: check.at })
    .execute();
}

/** Keeps the health history short: the newest `keep` checks per target. */
export async function pruneHealthHistory(db: Kysely<DB>, keep = 200) {
  await sql`DELETE FROM "TargetHealthCheck" h USING (
      SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY "targetId" ORDER BY "checkedAt" DESC) AS n FROM "TargetHealthCheck") x WHERE n > ${keep}
    ) old WHERE h.id = old.id`.execute(db);
}

export async function upsertPlan(tx: Tx, environmentId: string, plan: RolloutPlanSpec) {
  const values = {
    waves: JSON.stringify(plan.waves),
    maxParallel: plan.maxParallel,
    soakSeconds: plan.soakSeconds,
    onUnhealthy: plan.onUnhealthy,
    onFailure: plan.onFailure,
    analysis: plan.analysis ? JSON.stringify(plan.analysis) : null,
    updatedAt: new Date(),
  };
  return tx
    .insertInto("RolloutPlan")
    .values({ environmentId, ...values })
    .onConflict((oc) => oc.column("environmentId").doUpdateSet((eb) => ({ ...values, revision: eb("RolloutPlan.revision", "+", 1) })))
    .returningAll()
    .executeTakeFirstOrThrow();
}
