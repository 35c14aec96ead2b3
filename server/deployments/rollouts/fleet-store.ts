// The one module that writes the fleet's own tables: DeploymentTarget, TargetHealthCheck, RolloutPlan,
// TargetDrainRequest (the rollouts themselves: rollout-store.ts).
import type { Insertable } from "kysely";
import { newId, sql, type DB, type Kysely, type Tx } from "../../db";
import type { RolloutPlanSpec } from "./plan";

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
