// What the pages read: an environment's fleet (targets, health history, default plan) and a request's rollout
// (waves, per-target steps, analyses) with the can.* flags the page shows.
import type { Db } from "../../db";
import { canAdminister } from "../../identity/access";
import type { SessionUser } from "../../identity/roles";
import { notFound } from "../../errors";
import { canControlRollout } from "./access";
import { drainRequestsOf } from "./drain";
import { planFor } from "./runner";

export async function listEnvironments(db: Db) {
  return db.kysely
    .selectFrom("Environment as e")
    .leftJoin("DeploymentTarget as t", "t.environmentId", "e.id")
    .select((eb) => [
      "e.id",
      "e.name",
      "e.isProduction",
      "e.rank",
      eb.fn.count<number>("t.id").as("targets"),
      eb.fn.count<number>("t.id").filterWhere("t.health", "=", "unhealthy").as("unhealthy"),
      eb.fn.count<number>("t.id").filterWhere("t.drained", "=", true).as("drained"),
    ])
    .groupBy(["e.id", "e.name", "e.isProduction", "e.rank"])
    .orderBy("e.rank")
    .execute();
}

export async function getEnvironmentFleet(db: Db, user: SessionUser, name: string) {
  const env = await db.kysely.selectFrom("Environment").selectAll().where("name", "=", name).executeTakeFirst();
  if (!env) throw notFound("Environment");
  const targets = await db.kysely
    .selectFrom("DeploymentTarget")
    .select(["id", "name", "labels", "executor", "health", "healthMessage", "healthCheckedAt", "drained", "drainedReason", "failoverTargetId"])
    .where("environmentId", "=", env.id)
    .orderBy("name")
    .execute();
  const history = targets.length
    ? await db.kysely
        .selectFrom("TargetHealthCheck")
        .select(["targetId", "status", "message", "checkedAt", "latencyMs"])
        .where(
          "targetId",
          "in",
          targets.map((t) => t.id),
        )
        .where("checkedAt", ">", new Date(Date.now() - 24 * 3600_000))
        .orderBy("checkedAt", "desc")
        .limit(50 * targets.length)
        .execute()
    : [];
  return {
    environment: env,
    implicit: targets.length === 0,
    targets: targets.map((t) => ({
      ...t,
      labels: t.labels as Record<string, string>,
      failoverTo: targets.find((p) => p.id === t.failoverTargetId)?.name ?? null,
      history: history.filter((h) => h.targetId === t.id).slice(0, 30),
    })),
    drainRequests: await drainRequestsOf(db, user, env),
    plan: await planFor(db, env.id),
    can: { administer: canAdminister(user) },
  };
}

export async function getRollout(db: Db, user: SessionUser, requestId: string) {
  const r = await db.kysely
    .selectFrom("Rollout as r")
    .innerJoin("DeploymentRequest as d", "d.id", "r.requestId")
    .innerJoin("Service as s", "s.id", "d.serviceId")
    .selectAll("r")
    .select(["d.requesterId", "s.teamId"])
    .where("r.requestId", "=", requestId)
    .executeTakeFirst();
  if (!r) return null;
  const steps = await db.kysely
    .selectFrom("RolloutStep as s")
    .innerJoin("DeploymentTarget as t", "t.id", "s.targetId")
    .select(["s.id", "s.wave", "s.status", "s.attempt", "s.message", "s.startedAt", "s.finishedAt", "t.name as target", "t.labels", "t.health", "t.drained"])
    .where("s.rolloutId", "=", r.id)
    .orderBy("s.wave")
    .orderBy("t.name")
    .execute();
  const analyses = await db.kysely.selectFrom("RolloutAnalysis").selectAll().where("rolloutId", "=", r.id).orderBy("wave").execute();
  const active = ["running", "paused"].includes(r.status);
  const control = canControlRollout(user, r);
  return {
    id: r.id,
    status: r.status,
    phase: r.phase,
    currentWave: r.currentWave,
    waveCount: r.waveCount,
    message: r.message,
    dueAt: r.dueAt,
    plan: r.plan,
    steps: steps.map((s) => ({ ...s, labels: s.labels as Record<string, string> })),
    analyses,
    can: { pause: control && r.status === "running", resume: control && r.status === "paused", abort: control && active },
  };
}
