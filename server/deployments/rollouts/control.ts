// What people do to a rollout from its request's page: pause, resume, abort (audited, with an event each), and
// admins' plan edits (drain/undrain for failover: drain.ts). Access is checked here (identity/access.ts).
import { actorOf } from "../../identity/access";
import { assertCanAdminister, assertCanControlRollout } from "./access";
import type { SessionUser } from "../../identity/roles";
import { recordAudit } from "../../audit/audit-log";
import { transaction, type Db } from "../../db";
import { notFound } from "../../errors";
import { appendLog } from "../deployment-log";
import { finishRunInTx } from "../execution";
import { advance, afterVerification } from "./orchestrator";
import { planSchema, type RolloutPlanSpec } from "./plan";
import { lockRollout } from "./rollout-store";
import { upsertPlan } from "./fleet-store";
import { moveSteps, transitionRollout } from "./state-machine";

async function owningTeamOf(db: Db, rolloutId: string) {
  const row = await db.kysely
    .selectFrom("Rollout as r")
    .innerJoin("DeploymentRequest as d", "d.id", "r.requestId")
    .innerJoin("Service as s", "s.id", "d.serviceId")
    .select(["s.teamId", "d.requesterId"])
    .where("r.id", "=", rolloutId)
    .executeTakeFirst();
  if (!row) throw notFound("Rollout");
  return row;
}

export type RolloutAction = "pause" | "resume" | "abort";

/** Pause (no new target starts; runs in progress finish), resume, or abort (pending targets cancelled, request failed). */
export async function controlRollout(db: Db, user: SessionUser, rolloutId: string, action: RolloutAction, reason = "") {
  assertCanControlRollout(user, await owningTeamOf(db, rolloutId));
  const actor = actorOf(user);
  return transaction(db, async (tx) => {
    const r = await lockRollout(tx, { id: rolloutId });
    if (!r) throw notFound("Rollout");
    const why = reason ? `: ${reason}` : "";
    if (action === "pause") {
      const paused = await transitionRollout(tx, r, "paused", { actor, set: { message: `Paused by ${actor.label}${why}` }, event: "rollout.paused" });
      appendLog(tx, r.requestId, `Rollout paused by ${actor.label}${why}`, "warn");
      return paused;
    }
    if (action === "resume") {
      const running = await transitionRollout(tx, r, "running", { actor, set: { message: "" }, event: "rollout.resumed" });
      appendLog(tx, r.requestId, `Rollout resumed by ${actor.label}`);
      // Paused on an inconclusive analysis: resuming accepts the wave.
      return running.phase === "verifying" ? afterVerification(tx, running, actor, new Date()) : advance(tx, running, actor);
    }
    const now = new Date();
    const pending = await tx.selectFrom("RolloutStep").selectAll().where("rolloutId", "=", r.id).where("status", "in", ["pending", "queued"]).execute();
    await moveSteps(tx, pending, "cancelled", { actor, message: "rollout aborted", set: { finishedAt: now } });
    const aborted = await transitionRollout(tx, r, "aborted", {
      actor,
      set: { finishedAt: now, dueAt: null, message: `Aborted by ${actor.label}${why}` },
      event: "rollout.aborted",
    });
    await finishRunInTx(tx, r.requestId, { outcome: "failed", message: `Rollout aborted by ${actor.label}${why}` }, actor, { autoRollback: false });
    return aborted;
  });
}

/** Replaces the environment's default plan (validated: a clear 400 naming the field); admins only. */
export async function savePlan(db: Db, user: SessionUser, environmentId: string, input: unknown) {
  assertCanAdminister(user);
  const plan = planSchema.parse(input) as RolloutPlanSpec;
  const env = await db.kysely.selectFrom("Environment").select("id").where("id", "=", environmentId).executeTakeFirst();
  if (!env) throw notFound("Environment");
  return transaction(db, async (tx) => {
    const before = await tx.selectFrom("RolloutPlan").selectAll().where("environmentId", "=", environmentId).executeTakeFirst();
    const saved = await upsertPlan(tx, environmentId, plan);
    recordAudit(tx, {
      actor: actorOf(user),
      action: "rollout_plan.saved",
      subjectType: "environment",
      subjectId: environmentId,
      before: before ? { revision: before.revision } : null,
      after: { revision: saved.revision, ...plan },
    });
    return saved;
  });
}
