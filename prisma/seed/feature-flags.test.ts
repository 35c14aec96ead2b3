// The demo's flag changes land where a newcomer looks: on their services' timelines (through the real ingest worker),
// and the payment gateway's incident lists the 3DS flag turned on just before it as a suspect; seeding again adds nothing.
import { describe, expect, it } from "vitest";
import { getDb } from "../../server/db";
import { flagSuspectsByIncident } from "../../server/dora/flag-suspects";
import { seedCatalog } from "./catalog";
import { seedFeatureFlags } from "./feature-flags";
import { seedIdentity } from "./identity";

describe("seedFeatureFlags", () => {
  it("seeds one flag change per tool on the mapped services and a suspect for the gateway's incident, once", async () => {
    const db = getDb();
    const { teamIds } = await seedIdentity(db);
    await seedCatalog(db, teamIds);
    expect(await seedFeatureFlags(db)).toEqual({ events: 3 });
    const changes = await db.environmentChange.findMany({ where: { kind: "feature_flag" }, orderBy: { source: "asc" } });
    expect(changes.map((c) => [c.source, c.revision, c.status, c.serviceName])).toEqual([
      ["flagsmith", "ml_scoring_v3", "off", "fraud-scoring"],
      ["launchdarkly", "three-ds-v2", "on", "payment-gateway"],
      ["unleash", "one-click-checkout", "updated", "checkout-api"],
    ]);
    expect(changes.every((c) => c.serviceId !== null)).toBe(true);
    const incident = await db.incident.findFirstOrThrow({ where: { source: "seed", externalId: "seed-flag-incident-1" } });
    const suspects = await flagSuspectsByIncident(db, [incident.id]);
    expect(suspects.get(incident.id)?.map((s) => s.flagKey)).toEqual(["three-ds-v2"]);
    expect(await seedFeatureFlags(db)).toEqual({ skipped: "already seeded" });
  });
});
