// The demo release (provider then consumer, run to the end) and the demo drift (one prod target on a hotfix).
import { describe, expect, it } from "vitest";
import { getDb } from "../../db";
import { seedIdentity } from "../../../prisma/seed/identity";
import { seedCatalog } from "../../../prisma/seed/catalog";
import { seedDeployments } from "../../../prisma/seed/deployments";
import { seedFleet } from "../../../prisma/seed/fleet";
import { seedReleases } from "../../../prisma/seed/releases";
import { callerFor } from "../../../test/support/factories";

describe("releases and drift demo seed", () => {
  it("seeds a release of ledger then invoicing that succeeded, and one drifted prod target, idempotently", async () => {
    const db = getDb();
    const { teamIds } = await seedIdentity(db);
    await seedCatalog(db, teamIds);
    await seedDeployments(db);
    const fleet = await seedFleet(db);
    // The failover demo: prod-eu-1 (active, prod-us-1 its passive partner) waits for an approver to drain it.
    expect(fleet.drain).toBe("drain of prod-eu-1 pending");
    expect((await seedFleet(db)).drain).toBe("already seeded");
    const prodFleet = await (await callerFor("demo-alex")).rollouts.environment({ name: "prod" });
    expect(prodFleet.targets.find((t) => t.name === "prod-eu-1")).toMatchObject({ drained: false, failoverTo: "prod-us-1" });
    expect(prodFleet.drainRequests).toMatchObject([{ target: "prod-eu-1", status: "pending", requestedBy: "Sam", can: { decide: true } }]);
    const first = await seedReleases(db);
    expect(first.release).toMatch(/succeeded$/);
    expect(first.drift).toContain("prod-us-1");
    expect(await seedReleases(db)).toEqual({ release: "already seeded", drift: "already seeded" });
    const dana = await callerFor("demo-dana");
    const [listed] = await dana.releases.list();
    const release = await dana.releases.get({ id: listed.id });
    expect(release.members.map((m) => [m.slug, m.status])).toEqual([
      ["ledger", "succeeded"],
      ["invoicing", "succeeded"],
    ]);
    expect(release.members[1].after).toEqual(["ledger"]);
    const cmp = await dana.drift.compare();
    const checkout = cmp.services.find((s) => s.slug === "checkout-api")!;
    const prod = cmp.environments.find((e) => e.name === "prod")!;
    expect(checkout.cells[prod.id].targets.filter((t) => t.status === "drifted").map((t) => t.target)).toEqual(["prod-us-1"]);
    expect(cmp.drifted).toBe(1);
  });
});
