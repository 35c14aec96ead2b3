// The fleet demo seed (prisma/seed/fleet.ts): payment-gateway's canary fails by its verification, every time — the
// seeded rollout, and a new request of the same version (what e2e/fleet.spec.ts does through the browser), also
// after the seed ran again (the deployments seed resets the service's executor settings on every run).
import { describe, expect, it } from "vitest";
import { getDb, type Db } from "../../db";
import { decide } from "../../approvals/decisions";
import { loadSessionUser } from "../../identity/users";
import { seedIdentity } from "../../../prisma/seed/identity";
import { seedCatalog } from "../../../prisma/seed/catalog";
import { seedDeployments } from "../../../prisma/seed/deployments";
import { seedFleet } from "../../../prisma/seed/fleet";
import { runDeployment } from "../execution";
import { createRequest } from "../requests";
import { runUntilSettled } from "./settle";
import { callerFor } from "../../../test/support/factories";

const noSleep = { sleep: async () => undefined };

async function gatewayInProd(db: Db) {
  return db.serviceEnvironment.findFirstOrThrow({
    where: { service: { slug: "payment-gateway" }, environment: { name: "prod" } },
    select: { serviceId: true, environmentId: true, currentVersion: true, executorConfig: true },
  });
}

/** What Dana sees of a request's rollout: its status, each target's step, each wave's verification. */
async function rolloutSeenBy(requestId: string) {
  const r = await (await callerFor("demo-dana")).rollouts.forRequest({ requestId });
  return {
    status: r?.status,
    steps: r?.steps.map((s) => [s.target, s.wave, s.status]),
    analyses: r?.analyses.map((a) => [a.wave, a.status]),
  };
}

const CANARY_FAILED = {
  status: "rolled_back",
  // The EU canary deployed, failed verification and was rolled back; the later waves never started.
  steps: [
    ["prod-eu-1", 0, "rolled_back"],
    ["prod-ap-1", 1, "cancelled"],
    ["prod-us-1", 2, "cancelled"],
  ],
  analyses: [[0, "failed"]],
};

describe("fleet demo seed", () => {
  it("fails payment-gateway's canary by verification, again for a new request of that version after a re-seed", async () => {
    const db = getDb();
    const { teamIds } = await seedIdentity(db);
    await seedCatalog(db, teamIds);
    await seedDeployments(db);
    const before = await gatewayInProd(db);
    const first = await seedFleet(db);
    expect(first.demo).toMatch(/^payment-gateway (\S+): rolled_back$/);
    const version = first.demo.split(" ")[1].replace(/:$/, "");

    const seeded = await db.deploymentRequest.findFirstOrThrow({ where: { serviceId: before.serviceId, environmentId: before.environmentId, version } });
    expect(seeded.status).toBe("rolled_back");
    expect(await rolloutSeenBy(seeded.id)).toEqual(CANARY_FAILED);
    // The rollback restored what prod ran before.
    expect((await gatewayInProd(db)).currentVersion).toBe(before.currentVersion);

    // Seeding again: the deployments seed resets the executor settings, the fleet seed writes the demo's back.
    await seedDeployments(db);
    expect((await seedFleet(db)).demo).toBe("already seeded");
    expect((await gatewayInProd(db)).executorConfig).toMatchObject({ failureRate: 0, fakeMetrics: { [version]: { error_rate: 0.12 } } });

    // A new request of the same version, as the e2e journey makes it: the same outcome.
    const [dana, alex, priya] = await Promise.all(["demo-dana", "demo-alex", "demo-priya"].map((id) => loadSessionUser(db, id)));
    const id = await createRequest(db, dana!, {
      serviceId: before.serviceId,
      environmentId: before.environmentId,
      version,
      strategy: "rolling",
      summary: "Card-network tokenisation, second try",
    });
    await decide(db, alex!, { requestId: id, decision: "approve" });
    await decide(db, priya!, { requestId: id, decision: "approve" });
    await runDeployment(db, id, noSleep);
    expect(await runUntilSettled(db, id, noSleep)).toBe("rolled_back");
    expect(await rolloutSeenBy(id)).toEqual(CANARY_FAILED);
    expect((await db.deploymentRequest.findUniqueOrThrow({ where: { id } })).status).toBe("rolled_back");
  }, 180_000);
});
