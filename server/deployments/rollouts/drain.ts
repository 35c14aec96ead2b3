// Draining a target (failover) or putting it back, through approval. An admin asks; when the environment's
// approval policy (environment-wide, else the default: production needs one approver) requires approvals, someone
// that policy allows — never the asker — approves or rejects, as for a deployment request. Applying it drains the
// target (running rollouts skip it from their next move on) and, when the target is the active half of an
// active/passive pair, runs its executor's failover action towards the passive partner. Every step is audited.
import type { Environment } from "@/generated/prisma/client";
import { recordAudit } from "../../audit/audit-log";
import { emitPierEvent } from "../../bus/events";
import { transaction, type Db, type Tx } from "../../db";
import { badRequest, conflict, forbidden, notFound } from "../../errors";
import { actorOf } from "../../identity/access";
import type { SessionUser } from "../../identity/roles";
import { approverEligibility, defaultPolicy, resolvePolicy, type PolicySnapshot } from "../approval-policy";
import { guardedFetch } from "../executors/executor";
import { EXECUTORS } from "../executors/registry";
import { assertCanAdminister } from "./access";
import { decideDrainRow, insertDrainRequest, lockDrainRequest, setDrained, setFailoverMessage } from "./fleet-store";

/** The policy a drain in this environment follows: its environment-wide approval policy, else the default. */
async function drainPolicy(db: Db, env: Pick<Environment, "id" | "isProduction">): Promise<PolicySnapshot> {
  const envWide = await db.kysely
    .selectFrom("ApprovalPolicy")
    .select("id")
    .where("environmentId", "=", env.id)
    .where("serviceId", "is", null)
    .where("tier", "is", null)
    .executeTakeFirst();
  // resolvePolicy picks the environment-wide policy for a service that has no policy of its own.
  return envWide ? resolvePolicy(db, { id: "", tier: -1 }, env) : defaultPolicy(env.isProduction);
}

async function loadTarget(db: Db, targetId: string) {
  const t = await db.kysely
    .selectFrom("DeploymentTarget as t")
    .innerJoin("Environment as e", "e.id", "t.environmentId")
    .select(["t.id", "t.name", "t.drained", "t.environmentId", "e.name as environmentName", "e.isProduction"])
    .where("t.id", "=", targetId)
    .executeTakeFirst();
  if (!t) throw notFound("Deployment target");
  return t;
}

/**
 * An admin asks to drain (or undrain) a target. Applied at once when the policy needs no approval; otherwise it
 * waits for one. One open request per target.
 */
export async function requestDrain(db: Db, user: SessionUser, input: { targetId: string; drained: boolean; reason: string | null }) {
  assertCanAdminister(user);
  const t = await loadTarget(db, input.targetId);
  if (t.drained === input.drained) throw badRequest(`drained: ${t.name} is already ${t.drained ? "drained" : "in service"}`);
  const policy = await drainPolicy(db, { id: t.environmentId, isProduction: t.isProduction });
  const actor = actorOf(user);
  const created = await transaction(db, async (tx) => {
    const row = await insertDrainRequest(tx, { targetId: t.id, drain: input.drained, reason: input.reason ?? "", requestedById: user.id });
    if (!row) throw conflict(`${t.name} already has a drain request waiting for approval`);
    recordAudit(tx, {
      actor,
      action: "target.drain_requested",
      subjectType: "deployment_target",
      subjectId: t.id,
      after: { drainRequestId: row.id, drain: input.drained, reason: input.reason, approvalsRequired: policy.requiredApprovals, policy: policy.name },
    });
    if (policy.requiredApprovals === 0) await applyInTx(tx, row.id, actor, null);
    return row;
  });
  const failover = policy.requiredApprovals === 0 ? await runFailover(db, created.id, actor) : null;
  return {
    id: created.id,
    status: policy.requiredApprovals === 0 ? ("applied" as const) : ("pending" as const),
    drained: policy.requiredApprovals === 0 ? input.drained : t.drained,
    failover,
  };
}

/** Approve (applies it, then fails over) or reject a waiting drain request; by whom the policy allows, never the asker. */
export async function decideDrain(db: Db, user: SessionUser, input: { drainRequestId: string; decision: "approve" | "reject"; comment?: string }) {
  const pending = await db.kysely
    .selectFrom("TargetDrainRequest as r")
    .innerJoin("DeploymentTarget as t", "t.id", "r.targetId")
    .innerJoin("Environment as e", "e.id", "t.environmentId")
    .select(["r.id", "r.requestedById", "r.status", "e.id as environmentId", "e.isProduction"])
    .where("r.id", "=", input.drainRequestId)
    .executeTakeFirst();
  if (!pending) throw notFound("Drain request");
  const policy = await drainPolicy(db, { id: pending.environmentId, isProduction: pending.isProduction });
  const eligible = approverEligibility(user, policy, { requesterId: pending.requestedById, owningTeamId: "" });
  if (!eligible.ok) throw forbidden(eligible.reason);
  const actor = actorOf(user);
  await transaction(db, async (tx) => {
    const r = await lockDrainRequest(tx, input.drainRequestId);
    if (!r || r.status !== "pending") throw conflict(`This drain request is already ${r?.status ?? "gone"}`);
    if (input.decision === "reject") {
      await decideDrainRow(tx, r.id, "rejected", user.id);
      recordAudit(tx, {
        actor,
        action: "target.drain_rejected",
        subjectType: "deployment_target",
        subjectId: r.targetId,
        after: { drainRequestId: r.id, comment: input.comment ?? "" },
      });
      return;
    }
    await applyInTx(tx, r.id, actor, user.id);
  });
  const failover = input.decision === "approve" ? await runFailover(db, input.drainRequestId, actor) : null;
  return { status: input.decision === "approve" ? ("applied" as const) : ("rejected" as const), failover };
}

/** Drains (or undrains) the request's target, audited, with the `rollout.target_drained` event. */
async function applyInTx(tx: Tx, drainRequestId: string, actor: ReturnType<typeof actorOf>, deciderId: string | null) {
  const r = await decideDrainRow(tx, drainRequestId, "applied", deciderId);
  const before = await tx.selectFrom("DeploymentTarget").select(["drained"]).where("id", "=", r.targetId).forUpdate().executeTakeFirstOrThrow();
  const t = await setDrained(tx, r.targetId, r.drain, r.reason || null);
  if (!t) throw notFound("Deployment target");
  recordAudit(tx, {
    actor,
    action: r.drain ? "target.drained" : "target.undrained",
    subjectType: "deployment_target",
    subjectId: t.id,
    before: { drained: before.drained },
    after: { drained: r.drain, reason: r.reason, drainRequestId: r.id },
  });
  if (r.drain) {
    const env = await tx.selectFrom("Environment").select(["id", "name", "isProduction"]).where("id", "=", t.environmentId).executeTakeFirstOrThrow();
    emitPierEvent(tx, {
      type: "rollout.target_drained",
      severity: "medium",
      actor,
      subject: { environment: env },
      data: { rolloutId: null, requestId: null, wave: null, message: `${t.name} drained${r.reason ? `: ${r.reason}` : ""}`, target: t.name, url: "" },
    });
  }
}

/**
 * After a drain of the active half of a pair commits: its executor's failover action moves traffic to the passive
 * partner (outside any transaction: an outbound call), and the outcome is recorded and audited. Null when there is
 * nothing to fail over.
 */
async function runFailover(db: Db, drainRequestId: string, actor: ReturnType<typeof actorOf>) {
  const row = await db.kysely
    .selectFrom("TargetDrainRequest as r")
    .innerJoin("DeploymentTarget as t", "t.id", "r.targetId")
    .innerJoin("DeploymentTarget as p", "p.id", "t.failoverTargetId")
    .innerJoin("Environment as e", "e.id", "t.environmentId")
    .select([
      "r.reason",
      "r.drain",
      "t.id",
      "t.name",
      "t.labels",
      "t.executor",
      "t.executorConfig",
      "p.name as partnerName",
      "p.labels as partnerLabels",
      "e.name as environment",
    ])
    .where("r.id", "=", drainRequestId)
    .executeTakeFirst();
  if (!row || !row.drain) return null;
  const executor = EXECUTORS[row.executor];
  let outcome: { ok: boolean; message: string };
  try {
    outcome = executor?.failover
      ? await executor.failover({
          db,
          from: { name: row.name, labels: row.labels as Record<string, string> },
          to: { name: row.partnerName, labels: row.partnerLabels as Record<string, string> },
          environment: row.environment,
          reason: row.reason,
          config: row.executorConfig as Record<string, unknown>,
          fetch: (url, init) => guardedFetch(db, url, init, 15_000),
        })
      : { ok: false, message: `The ${row.executor} executor has no failover action: move traffic to ${row.partnerName} by hand` };
  } catch (err) {
    outcome = { ok: false, message: `Failover error: ${err instanceof Error ? err.message : String(err)}` };
  }
  await transaction(db, async (tx) => {
    await setFailoverMessage(tx, drainRequestId, outcome.message);
    recordAudit(tx, {
      actor,
      action: outcome.ok ? "target.failover_succeeded" : "target.failover_failed",
      subjectType: "deployment_target",
      subjectId: row.id,
      after: { to: row.partnerName, message: outcome.message, drainRequestId },
    });
  });
  return outcome;
}

/** The environment's drain requests (waiting first, then the newest decided), with who may decide each. */
export async function drainRequestsOf(db: Db, user: SessionUser, env: Pick<Environment, "id" | "isProduction">) {
  const rows = await db.kysely
    .selectFrom("TargetDrainRequest as r")
    .innerJoin("DeploymentTarget as t", "t.id", "r.targetId")
    .innerJoin("User as u", "u.id", "r.requestedById")
    .leftJoin("User as d", "d.id", "r.decidedById")
    .select([
      "r.id",
      "r.drain",
      "r.reason",
      "r.status",
      "r.createdAt",
      "r.decidedAt",
      "r.failoverMessage",
      "r.requestedById",
      "t.name as target",
      "u.name as requestedBy",
      "d.name as decidedBy",
    ])
    .where("t.environmentId", "=", env.id)
    .orderBy((eb) => eb.case().when("r.status", "=", "pending").then(0).else(1).end())
    .orderBy("r.createdAt", "desc")
    .limit(20)
    .execute();
  const policy = await drainPolicy(db, env);
  return rows.map(({ requestedById, ...r }) => ({
    ...r,
    can: { decide: r.status === "pending" && approverEligibility(user, policy, { requesterId: requestedById, owningTeamId: "" }).ok },
  }));
}
