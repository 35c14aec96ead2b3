// The demo's delivery history: seeded once, spread over teams and strategies, and the analytics page has figures.
import { describe, expect, it } from "vitest";
import { getDb } from "../db";
import { seedIdentity } from "../../prisma/seed/identity";
import { seedCatalog } from "../../prisma/seed/catalog";
import { ANALYTICS_SEED_PREFIX, seedDeliveryAnalytics } from "../../prisma/seed/delivery-analytics";
import { seedAlertRules } from "../../prisma/seed/alert-rules";
import { callerFor } from "../../test/support/factories";

describe("delivery analytics demo seed", () => {
  it("seeds 90 days of runs once, with team profiles the analytics tell apart", async () => {
    const db = getDb();
    const { teamIds } = await seedIdentity(db);
    await seedCatalog(db, teamIds);
    const first = await seedDeliveryAnalytics(db);
    expect(first).toMatchObject({ runs: expect.any(Number) });
    expect(await seedDeliveryAnalytics(db)).toEqual({ skipped: "already seeded" });
    const count = await db.deploymentRequest.count({ where: { id: { startsWith: ANALYTICS_SEED_PREFIX } } });
    expect(count).toBe((first as { runs: number }).runs);
    expect(count).toBeGreaterThan(500);

    const dana = await callerFor("demo-dana");
    const to = new Date();
    const from = new Date(to.getTime() - 90 * 86_400_000);
    const byStrategy = await dana.analytics.delivery({ from, to, groupBy: "strategy" });
    expect(byStrategy.groups.map((g) => g.key).sort()).toEqual(["blue_green", "canary", "rolling"]);
    const byTeam = await dana.analytics.delivery({ from, to, groupBy: "team" });
    const rate = (slug: string) => byTeam.groups.find((g) => g.key === teamIds[slug])!.successRate!;
    expect(rate("payments")).toBeGreaterThan(rate("data"));
    // Canary runs take longer than rolling ones; weekdays carry most runs.
    const duration = (k: string) => byStrategy.groups.find((g) => g.key === k)!.durationP50!;
    expect(duration("canary")).toBeGreaterThan(duration("rolling"));
    const weekday = byStrategy.capacity.filter((c) => c.dayOfWeek <= 5).reduce((n, c) => n + c.runs, 0);
    expect(weekday / byStrategy.totals.runs).toBeGreaterThan(0.9);
    // The checkout-api history the e2e journeys read is untouched.
    const checkout = await db.service.findUniqueOrThrow({ where: { slug: "checkout-api" } });
    expect(await db.deploymentRequest.count({ where: { serviceId: checkout.id, id: { startsWith: ANALYTICS_SEED_PREFIX } } })).toBe(0);
  });
});

describe("alert rules demo seed", () => {
  it("seeds two rules once, one of them firing on the seeded history", async () => {
    const db = getDb();
    const { teamIds } = await seedIdentity(db);
    await seedCatalog(db, teamIds);
    await seedDeliveryAnalytics(db);
    await seedAlertRules(db);
    await seedAlertRules(db);
    const rules = await db.alertRule.findMany({ orderBy: { name: "asc" } });
    expect(rules.map((r) => [r.name, r.kind])).toEqual([
      ["Data: rollback rate above 5 % (30 days)", "threshold"],
      ["Payments: change failure rate anomaly (weekly)", "anomaly"],
    ]);
    expect(rules[0].state).toBe("firing");
    expect(rules[1].state).not.toBe("firing");
    expect(await db.outboxEvent.count({ where: { type: "alert.firing" } })).toBe(1);
  });
});
