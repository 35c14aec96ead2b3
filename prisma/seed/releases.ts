// The demo release and the demo drift. A release of two payments services to staging, Ledger (the provider) then
// Invoicing (which depends on it): Dana creates it, Alex approves it if its policy asks, and the workers' code runs
// it here in-process, so the release page shows the order and a real timeline. Drift: checkout-api's prod-us-1
// target reports a hotfix version nobody deployed through Pier (three hours ago). Idempotent: each is made once.
import type { Db } from "../../server/db";
import { reportLiveVersion } from "../../server/deployments/drift";
import { createRelease, decideRelease } from "../../server/deployments/releases/releases";
import { settleRelease } from "../../server/deployments/releases/settle";
import { loadSessionUser } from "../../server/identity/users";

const RELEASE_NAME = "Q4 ledger and invoicing";

export async function seedReleases(db: Db) {
  return { release: await seedRelease(db), drift: await seedDrift(db) };
}

async function seedRelease(db: Db) {
  if (await db.release.findFirst({ where: { name: RELEASE_NAME } })) return "already seeded";
  const placements = await db.serviceEnvironment.findMany({
    where: { service: { slug: { in: ["ledger", "invoicing"] } }, environment: { name: { in: ["dev", "staging"] } } },
    include: { environment: true, service: true },
  });
  const staging = await db.environment.findUnique({ where: { name: "staging" } });
  const [dana, alex] = await Promise.all(["demo-dana", "demo-alex"].map((id) => loadSessionUser(db, id)));
  if (!staging || !dana || !alex) return "no staging environment or demo users";
  const members = [];
  for (const slug of ["invoicing", "ledger"]) {
    const dev = placements.find((p) => p.service.slug === slug && p.environment.name === "dev");
    const stg = placements.find((p) => p.service.slug === slug && p.environment.name === "staging");
    if (!dev?.currentVersion || !stg) return `${slug} is not set up in dev and staging`;
    // Deterministic demo: the simulator's random failures off for these two.
    const config = (stg.executorConfig ?? {}) as Record<string, unknown>;
    if (config.failureRate === undefined) {
      await db.serviceEnvironment.update({
        where: { serviceId_environmentId: { serviceId: stg.serviceId, environmentId: stg.environmentId } },
        data: { executorConfig: { ...config, failureRate: 0 } },
      });
    }
    members.push({ serviceId: stg.serviceId, version: dev.currentVersion });
  }
  try {
    const id = await createRelease(db, dana, {
      name: RELEASE_NAME,
      environmentId: staging.id,
      onFailure: "rollback",
      summary: "Year-end ledger schema and invoices",
      members,
    });
    const r = await db.release.findUniqueOrThrow({ where: { id } });
    if (r.status === "pending_approval") await decideRelease(db, alex, id, "approve", "Ledger first, then invoicing: fine");
    return `${RELEASE_NAME}: ${await settleRelease(db, id, { sleep: async () => undefined })}`;
  } catch (err) {
    return `not seeded: ${err instanceof Error ? err.message : String(err)}`;
  }
}

async function seedDrift(db: Db) {
  const target = await db.deploymentTarget.findUnique({ where: { name: "prod-us-1" } });
  const service = await db.service.findUnique({ where: { slug: "checkout-api" } });
  if (!target || !service) return "no prod-us-1 target or checkout-api";
  if (await db.targetLiveVersion.findFirst({ where: { serviceId: service.id, environmentId: target.environmentId } })) return "already seeded";
  const placement = await db.serviceEnvironment.findUnique({
    where: { serviceId_environmentId: { serviceId: service.id, environmentId: target.environmentId } },
  });
  if (!placement?.currentVersion) return "checkout-api is not in prod";
  // What Pier deployed (desired): a succeeded request of the live version, if the history has none.
  const desired = await db.deploymentRequest.findFirst({
    where: { serviceId: service.id, environmentId: target.environmentId, status: "succeeded" },
    orderBy: { finishedAt: "desc" },
  });
  const version = desired?.version ?? placement.currentVersion;
  if (!desired) return "checkout-api has no succeeded prod request";
  const targets = await db.deploymentTarget.findMany({ where: { environmentId: target.environmentId } });
  const threeHoursAgo = new Date(Date.now() - 3 * 3600_000);
  for (const t of targets) {
    const drifted = t.name === target.name;
    await reportLiveVersion(db, {
      serviceId: service.id,
      environmentId: t.environmentId,
      target: t.name,
      version: drifted ? `${version}-hotfix.1` : version,
      observedAt: threeHoursAgo,
      source: "executor",
    });
  }
  return `checkout-api on ${target.name} runs ${version}-hotfix.1 (desired ${version})`;
}
