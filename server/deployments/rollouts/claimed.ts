// What a claimed rollout step's run needs (its target's executor settings, its request and service), loaded in one
// query for a whole batch of claims, whether a worker claimed them (step-commits.ts) or the transaction that queued
// them did (state-machine.ts startSteps).
import type { Tx } from "../../db";
import type { ExecutionContext } from "../executors/executor";

export type Claimed = {
  stepId: string;
  rolloutId: string;
  rollback: boolean;
  attempt: number;
  target: { name: string; executor: string; executorConfig: Record<string, unknown> };
  request: ExecutionContext["request"] & { serviceId: string; environmentId: string };
};

/**
 * The executor settings of a step. The simulator's failure injection (failAtStep, failureRate) is about deploying
 * the new version; a rollback step uses rollbackFailAtStep / rollbackFailureRate instead (default: it works).
 */
function configFor(config: Record<string, unknown>, rollback: boolean): Record<string, unknown> {
  if (!rollback) return config;
  const { rollbackFailAtStep, rollbackFailureRate, ...rest } = config;
  return { ...rest, failAtStep: rollbackFailAtStep, failureRate: rollbackFailureRate ?? 0 };
}

/** What the claimed steps' executors need: target, service, request (one query). */
export async function loadClaimed(tx: Tx, steps: readonly { id: string; rolloutId: string; status: string; attempt: number }[]) {
  const out = new Map<string, Claimed>();
  if (!steps.length) return out;
  const byId = new Map(steps.map((s) => [s.id, s]));
  const rows = await tx
    .selectFrom("RolloutStep as st")
    .innerJoin("Rollout as r", "r.id", "st.rolloutId")
    .innerJoin("DeploymentTarget as t", "t.id", "st.targetId")
    .innerJoin("DeploymentRequest as d", "d.id", "r.requestId")
    .innerJoin("Service as s", "s.id", "d.serviceId")
    .innerJoin("Environment as e", "e.id", "d.environmentId")
    .leftJoin("ServiceEnvironment as se", (j) => j.onRef("se.serviceId", "=", "d.serviceId").onRef("se.environmentId", "=", "d.environmentId"))
    .select([
      "st.id as stepId",
      "d.id",
      "d.version",
      "d.previousVersion",
      "d.strategy",
      "d.canarySteps",
      "d.serviceId",
      "d.environmentId",
      "s.slug",
      "s.name",
      "e.name as environmentName",
      "t.name as targetName",
      "t.executor",
      "t.executorConfig",
      "se.executorConfig as serviceConfig",
    ])
    .where("st.id", "in", [...byId.keys()])
    .execute();
  for (const row of rows) {
    const step = byId.get(row.stepId)!;
    const rollback = step.status === "rolling_back";
    out.set(row.stepId, {
      stepId: row.stepId,
      rolloutId: step.rolloutId,
      rollback,
      attempt: step.attempt,
      target: {
        name: row.targetName,
        executor: row.executor,
        executorConfig: configFor({ ...((row.serviceConfig ?? {}) as Record<string, unknown>), ...(row.executorConfig as Record<string, unknown>) }, rollback),
      },
      request: {
        id: row.id,
        // A rollback step deploys the version the target had before.
        version: rollback ? (row.previousVersion ?? row.version) : row.version,
        previousVersion: rollback ? row.version : row.previousVersion,
        strategy: row.strategy,
        canarySteps: row.canarySteps,
        attempt: step.attempt,
        service: { slug: row.slug, name: row.name },
        environment: { name: `${row.environmentName}/${row.targetName}` },
        serviceId: row.serviceId,
        environmentId: row.environmentId,
      },
    });
  }
  return out;
}
