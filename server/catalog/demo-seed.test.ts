import { describe, expect, it } from "vitest";
import { getDb } from "../db";
import { seedCatalog } from "../../prisma/seed/catalog";
import { seedIdentity } from "../../prisma/seed/identity";
import { seedBackstageEntities } from "../../prisma/seed/backstage-entities";
import { unresolvedRelations } from "./entity-pages";
import { callerFor } from "../../test/support/factories";
import { impactOfSlug } from "./impact";
import { ownershipHealth } from "./ownership-health";

describe("demo catalog seed", () => {
  it("is idempotent and supports the e2e story: Dana edits a payments service, Lee is refused", async () => {
    const db = getDb();
    const { teamIds } = await seedIdentity(db);
    await seedCatalog(db, teamIds);
    await seedCatalog(db, teamIds);
    expect(await db.service.count()).toBe(25);
    expect(await db.serviceDependency.count()).toBe(33);
    expect((await db.environment.findMany({ orderBy: { rank: "asc" } })).map((e) => [e.name, e.rank, e.isProduction])).toEqual([
      ["dev", 10, false],
      ["staging", 20, false],
      ["prod", 30, true],
    ]);
    // The seeded cycle (api-gateway → identity-service → feature-flags → api-gateway) still terminates.
    const impact = await impactOfSlug(db, "kafka");
    expect(impact.items.map((i) => i.slug)).toEqual(expect.arrayContaining(["checkout-api", "web-storefront", "api-gateway"]));
    expect((await ownershipHealth(db)).map((r) => r.slug)).toContain("legacy-billing");

    const dana = await callerFor("demo-dana");
    await dana.catalog.update({ slug: "ledger", changes: { description: "Edited by Dana" } });
    const lee = await callerFor("demo-lee");
    await expect(lee.catalog.update({ slug: "ledger", changes: { description: "Lee was here" } })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect((await lee.catalog.service({ slug: "ledger" })).canEdit).toBe(false);
    expect((await db.service.findUniqueOrThrow({ where: { slug: "ledger" } })).description).toBe("Edited by Dana");
  });
});

describe("demo Backstage entities seed", () => {
  it("imports with no refusal and no unresolved relation, twice", async () => {
    const db = getDb();
    const { teamIds } = await seedIdentity(db);
    await seedCatalog(db, teamIds);
    expect(await seedBackstageEntities(db)).toMatchObject({ created: 9, error: 0 });
    expect(await seedBackstageEntities(db)).toMatchObject({ created: 0, updated: 0, skipped: 9, error: 0 });
    expect(await unresolvedRelations(db.kysely)).toEqual([]);
    const links = await db.service.findUniqueOrThrow({
      where: { slug: "payment-links" },
      include: { dependsOn: { include: { toService: true } }, team: true },
    });
    expect(links.team.slug).toBe("payments");
    expect(links.dependsOn.map((d) => d.toService.slug)).toEqual(["ledger"]);
    // Users mapped by e-mail: Dana (other case) and Sam join Engineering; Dana's Payments stays hand-made; Jordan unmapped.
    const members = await db.teamMember.findMany({ where: { team: { slug: { in: ["engineering", "payments"] } } }, include: { team: true } });
    const of = (userId: string) =>
      members
        .filter((m) => m.userId === userId)
        .map((m) => [m.team.slug, m.catalogRef])
        .sort();
    expect(of("demo-dana")).toEqual([
      ["engineering", "user:default/dana"],
      ["payments", null],
    ]);
    expect(of("demo-sam")).toEqual([["engineering", "user:default/sam"]]);
    expect((await db.catalogEntity.findUniqueOrThrow({ where: { ref: "user:default/jordan" } })).userId).toBeNull();
  });
});
