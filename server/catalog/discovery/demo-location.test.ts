// The demo location (prisma/seed/catalog-locations.ts): an example listing the demo Backstage entities, seeded once,
// shown to admins, never read by the workers.
import { describe, expect, it } from "vitest";
import { seedCatalog } from "../../../prisma/seed/catalog";
import { seedIdentity } from "../../../prisma/seed/identity";
import { seedBackstageEntities } from "../../../prisma/seed/backstage-entities";
import { DEMO_LOCATION, seedCatalogLocations } from "../../../prisma/seed/catalog-locations";
import { callerFor } from "../../../test/support/factories";
import { getDb } from "../../db";
import { refreshLocation } from "./refresh";

describe("demo catalog location", () => {
  it("is seeded once as an example listing the demo entities, and never read", async () => {
    const db = getDb();
    const { teamIds } = await seedIdentity(db);
    await seedCatalog(db, teamIds);
    await seedBackstageEntities(db);
    const entities = await db.catalogEntity.count();
    expect(await seedCatalogLocations(db)).toEqual({ location: "created", entities });
    expect(await seedCatalogLocations(db)).toEqual({ location: "kept" });
    const sam = await callerFor("demo-sam");
    const demo = (await sam.catalog.locations.list()).find((l) => l.target === DEMO_LOCATION)!;
    expect(demo).toMatchObject({ example: true, status: "ok", entityCount: entities, orphans: 0 });
    expect(await sam.catalog.locations.origin({ ref: "component:default/payment-links" })).toMatchObject({
      orphan: false,
      locations: [{ target: DEMO_LOCATION }],
    });
    expect(await refreshLocation(db, demo.id)).toMatchObject({ status: "skipped" });
  });
});
