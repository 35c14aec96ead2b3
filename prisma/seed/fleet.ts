// The demo fleet: prod runs in three regions (prod-eu-1, prod-us-1, prod-ap-1, simulator targets), with a default
// rollout plan (the EU canary, then half the fleet, then the rest; one target at a time; a 30 s soak; the simulator's
// error rate verified after each wave), and one real rollout whose canary failed verification and rolled back:
// payment-gateway's staging version, whose fake error rate in prod is 12 % (with runs that never fail at random, so
// a new request of that version fails the same way). Dana requests it, Alex and Priya approve, the workers' code
// runs it here in-process. Idempotent: targets upsert by name, the plan by environment,
// the demo rollout is made once.
import { transaction, type Db } from "../../server/db";
import { decide } from "../../server/approvals/decisions";
import { runDeployment } from "../../server/deployments/execution";
import { createRequest } from "../../server/deployments/requests";
import { requestDrain } from "../../server/deployments/rollouts/drain";
import { insertTarget, upsertPlan } from "../../server/deployments/rollouts/fleet-store";
import { runUntilSettled } from "../../server/deployments/rollouts/settle";
import type { RolloutPlanSpec } from "../../server/deployments/rollouts/plan";
import { loadSessionUser } from "../../server/identity/users";

const TARGETS = [
  { name: "prod-eu-1", labels: { region: "eu", provider: "aws", cluster: "eks-eu-west-1" } },
  { name: "prod-us-1", labels: { region: "us", provider: "gcp", cluster: "gke-us-east1" } },
  { name: "prod-ap-1", labels: { region: "ap", provider: "aws", cluster: "eks-ap-southeast-1" } },
];

const DEMO_PLAN: RolloutPlanSpec = {
  waves: [{ name: "EU canary", match: { region: "eu" } }, { name: "half the fleet", percent: 50 }, { name: "the rest" }],
  maxParallel: 1,
  soakSeconds: 30,
  onUnhealthy: "hold",
  onFailure: "rollback_failed",
  analysis: {
    metrics: [
      {
        name: "error-rate",
        interval: "10s",
        count: 3,
        failureLimit: 0,
        inconclusiveLimit: 1,
        consecutiveErrorLimit: 2,
        successCondition: "$max(result) < 0.05",
        failureCondition: "$max(result) >= 0.1",
        provider: { simulator: { metric: "error_rate" } },
      },
    ],
  },
};

const DEMO_SERVICE = "payment-gateway";

export async function seedFleet(db: Db) {
  const prod = await db.environment.findUnique({ where: { name: "prod" } });
  if (!prod) return { targets: 0, demo: "no prod environment" };
  for (const t of TARGETS) {
    if (!(await db.deploymentTarget.findUnique({ where: { name: t.name } }))) {
      await insertTarget(db.kysely, { environmentId: prod.id, name: t.name, labels: t.labels, healthCheck: { kind: "simulator" } });
    }
  }
  if (!(await db.rolloutPlan.findUnique({ where: { environmentId: prod.id } }))) await transaction(db, (tx) => upsertPlan(tx, prod.id, DEMO_PLAN));
  const demo = await seedFailedCanary(db, prod.id);
  return { targets: TARGETS.length, demo, drain: await seedDrainRequest(db) };
}

/**
 * Failover demo: prod-eu-1 and prod-us-1 are an active/passive pair, and Sam (admin) has asked to drain prod-eu-1
 * for a maintenance window; Alex or Priya approves it on /environments/prod, which runs the simulator's failover.
 * After the failed canary, so that rollout still ran on every region.
 */
async function seedDrainRequest(db: Db) {
  const [eu, us] = await Promise.all(["prod-eu-1", "prod-us-1"].map((name) => db.deploymentTarget.findUnique({ where: { name } })));
  if (!eu || !us) return "targets missing";
  if (!eu.failoverTargetId) await db.deploymentTarget.update({ where: { id: eu.id }, data: { failoverTargetId: us.id } });
  if (await db.targetDrainRequest.findFirst({ where: { targetId: eu.id } })) return "already seeded";
  const sam = await loadSessionUser(db, "demo-sam");
  if (!sam) return "demo users missing";
  const r = await requestDrain(db, sam, { targetId: eu.id, drained: true, reason: "eks-eu-west-1 node pool upgrade" });
  return `drain of prod-eu-1 ${r.status}`;
}

/**
 * payment-gateway's prod settings for the canary demo: the simulator's fake error rate for `version` is 12 % (the
 * plan fails at 10 %), and its runs take 3 s and never fail at random, so the canary fails by its verification and
 * nothing else, every time: the seeded rollout here, and any new request of that version to prod (the e2e journey,
 * e2e/fleet.spec.ts, or a newcomer trying it). Written on every seed run: the deployments seed resets the settings.
 */
const canaryDemoConfig = (config: Record<string, unknown>, version: string) => ({
  ...config,
  durationMs: 3000,
  failureRate: 0,
  fakeMetrics: { [version]: { error_rate: 0.12 } },
});

async function seedFailedCanary(db: Db, prodId: string) {
  const placements = await db.serviceEnvironment.findMany({
    where: { service: { slug: DEMO_SERVICE }, environment: { name: { in: ["staging", "prod"] } } },
    include: { environment: true },
  });
  const staging = placements.find((p) => p.environment.name === "staging");
  const prod = placements.find((p) => p.environment.name === "prod");
  if (!prod) return "no prod placement";
  const seeded = await db.rollout.findFirst({
    where: { environmentId: prodId, request: { serviceId: prod.serviceId } },
    orderBy: { createdAt: "asc" },
    select: { request: { select: { version: true } } },
  });
  // The version the demo fails: the one the seeded rollout took (once seeded), else staging's.
  const version = seeded?.request.version ?? staging?.currentVersion;
  if (!version || (!seeded && version === prod.currentVersion)) return "no version to promote";
  await db.serviceEnvironment.update({
    where: { serviceId_environmentId: { serviceId: prod.serviceId, environmentId: prodId } },
    data: { executorConfig: canaryDemoConfig((prod.executorConfig ?? {}) as Record<string, unknown>, version) },
  });
  if (seeded) return "already seeded";
  const [dana, alex, priya] = await Promise.all(["demo-dana", "demo-alex", "demo-priya"].map((id) => loadSessionUser(db, id)));
  if (!dana || !alex || !priya) return "demo users missing";
  try {
    const id = await createRequest(db, dana, {
      serviceId: prod.serviceId,
      environmentId: prodId,
      version,
      strategy: "rolling",
      summary: "Card-network tokenisation across all regions",
      ticketKey: "PAY-150",
    });
    await decide(db, alex, { requestId: id, decision: "approve" });
    await decide(db, priya, { requestId: id, decision: "approve" });
    const noSleep = { sleep: async () => undefined };
    await runDeployment(db, id, noSleep);
    return `${DEMO_SERVICE} ${version}: ${await runUntilSettled(db, id, noSleep)}`;
  } catch (err) {
    return `not seeded: ${err instanceof Error ? err.message : String(err)}`;
  }
}
