// Fleet rollouts for the rollouts tests: an environment of targets of its own with a plan, a request rolled out
// there, its step jobs run as workers would, and its steps as the tests compare them.
import { expect } from "vitest";
import type { Prisma } from "@/generated/prisma/client";
import { getDb, transaction } from "../../server/db";
import { runDeployment } from "../../server/deployments/execution";
import type { RolloutPlanSpec } from "../../server/deployments/rollouts/plan";
import { insertTarget, upsertPlan } from "../../server/deployments/rollouts/fleet-store";
import { runRolloutStep } from "../../server/deployments/rollouts/runner";
import { ROLLOUT_STEP_JOB } from "../../server/deployments/rollouts/state-machine";
import { as, type World } from "./deployment-world";
import { uid } from "./factories";

const db = () => getDb();
export const noSleep = { sleep: async () => undefined };

export type TargetSpec = { name: string; labels: Record<string, string>; executorConfig?: Record<string, unknown>; health?: string; drained?: boolean };

export const threeRegions: TargetSpec[] = [
  { name: "prod-eu-1", labels: { region: "eu" } },
  { name: "prod-us-1", labels: { region: "us" } },
  { name: "prod-us-2", labels: { region: "us" } },
  { name: "prod-ap-1", labels: { region: "ap" } },
];

/** A fleet environment of its own (so tests never share targets), with the world's service placed there. */
export async function fleet(w: World, targets: TargetSpec[], plan: Partial<RolloutPlanSpec>) {
  const env = await db().environment.create({ data: { name: `fleet-${uid()}`, rank: -1 - Math.floor(Math.random() * 1e6) } });
  await db().serviceEnvironment.create({
    data: { serviceId: w.service.id, environmentId: env.id, currentVersion: "1.0.0", executorConfig: { durationMs: 0, failureRate: 0 } },
  });
  await db().approvalPolicy.create({ data: { name: `fleet ${uid()}`, environmentId: env.id, serviceId: w.service.id, requiredApprovals: 0 } });
  const ids: Record<string, string> = {};
  const names: Record<string, string> = {};
  for (const t of targets) {
    const row = await insertTarget(db().kysely, {
      environmentId: env.id,
      name: `${t.name}-${uid()}`,
      labels: t.labels,
      executorConfig: t.executorConfig ?? {},
    });
    ids[t.name] = row.id;
    names[t.name] = row.name;
    if (t.health || t.drained)
      await db().deploymentTarget.update({ where: { id: row.id }, data: { health: t.health ?? "unknown", drained: t.drained ?? false } });
  }
  await transaction(db(), (tx) =>
    upsertPlan(tx, env.id, { waves: [], maxParallel: 5, soakSeconds: 0, onUnhealthy: "hold", onFailure: "rollback_failed", analysis: null, ...plan }),
  );
  return { env, ids, names };
}

/** Another service of the world's team placed in the fleet environment (a second rollout there). */
export async function otherService(w: World, environmentId: string, executorConfig: Prisma.InputJsonObject = { durationMs: 0, failureRate: 0 }) {
  const service = await db().service.create({ data: { slug: `svc-${uid()}`, name: `Fleet ${uid()}`, teamId: w.team.id, tier: 2 } });
  await db().serviceEnvironment.create({ data: { serviceId: service.id, environmentId, currentVersion: "1.0.0", executorConfig } });
  await db().approvalPolicy.create({ data: { name: `fleet ${uid()}`, environmentId, serviceId: service.id, requiredApprovals: 0 } });
  return { ...w, service };
}

/** A request for the world's service to the fleet, started: its rollout made its first moves. */
export async function start(w: World, environmentId: string, version = "1.1.0") {
  const { id } = await (await as(w.developer)).deployments.create({ serviceId: w.service.id, environmentId, version, strategy: "rolling", summary: "Ship it" });
  const result = await runDeployment(db(), id, noSleep);
  expect(result).toMatchObject({ outcome: "pending" });
  const rollout = await db().rollout.findUniqueOrThrow({ where: { requestId: id } });
  return { requestId: id, rolloutId: rollout.id };
}

/** Pending step jobs of the rollout (outbox rows not yet processed). */
export async function pendingJobs(rolloutId: string) {
  const rows = await db().outboxEvent.findMany({ where: { type: ROLLOUT_STEP_JOB, processedAt: null }, orderBy: { createdAt: "asc" } });
  const stepIds = new Set((await db().rolloutStep.findMany({ where: { rolloutId }, select: { id: true } })).map((s) => s.id));
  return rows.filter((r) => stepIds.has((r.payload as { stepId: string }).stepId));
}

/** Runs the rollout's step jobs like workers would, until none is left; returns how many ran at most at once. */
export async function drain(rolloutId: string) {
  let peak = 0;
  for (;;) {
    const jobs = await pendingJobs(rolloutId);
    if (!jobs.length) return peak;
    peak = Math.max(peak, jobs.length);
    await db().outboxEvent.updateMany({ where: { id: { in: jobs.map((j) => j.id) } }, data: { processedAt: new Date() } });
    await Promise.all(
      jobs.map((j) => {
        const p = j.payload as { stepId: string; attempt: number };
        return runRolloutStep(db(), p.stepId, p.attempt, noSleep);
      }),
    );
  }
}

/** The rollout's steps by wave and target name (without the name's unique suffix). */
export const steps = async (rolloutId: string) =>
  (await db().rolloutStep.findMany({ where: { rolloutId }, include: { target: true }, orderBy: [{ wave: "asc" }, { target: { name: "asc" } }] })).map((s) => ({
    id: s.id,
    name: s.target.name.replace(/-[0-9a-f]{8}$/, ""),
    wave: s.wave,
    status: s.status,
    deployCount: s.deployCount,
    attempt: s.attempt,
  }));

export const later = (s: number) => new Date(Date.now() + s * 1000);
