// What a claimed rollout step's run needs (its target's executor settings, its request and service), returned by
// the claim's statement itself (rollout-store.ts claimStepRows) for a whole batch of claims, whether a worker
// claimed them (step-commits.ts) or the transaction that queued them did (state-machine.ts startSteps).
import type { ExecutionContext } from "../executors/executor";
import type { ClaimedRow } from "./rollout-store";

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

/** What a claimed step's executor needs, from its claim's row (rollout-store.ts claimStepRows). */
export function claimedOf(row: ClaimedRow): Claimed {
  const rollback = row.status === "rolling_back";
  return {
    stepId: row.id,
    rolloutId: row.rolloutId,
    rollback,
    attempt: row.attempt,
    target: {
      name: row.targetName,
      executor: row.executor,
      executorConfig: configFor({ ...((row.serviceConfig ?? {}) as Record<string, unknown>), ...(row.executorConfig as Record<string, unknown>) }, rollback),
    },
    request: {
      id: row.requestId,
      // A rollback step deploys the version the target had before.
      version: rollback ? (row.previousVersion ?? row.version) : row.version,
      previousVersion: rollback ? row.version : row.previousVersion,
      strategy: row.strategy,
      canarySteps: row.canarySteps,
      attempt: row.attempt,
      service: { slug: row.slug, name: row.name },
      environment: { name: `${row.environmentName}/${row.targetName}` },
      serviceId: row.serviceId,
      environmentId: row.environmentId,
    },
  };
}
