// The demo's DORA history: linked by deployed revision (merge-order fallback for the team that reports none),
// incidents linked by evidence, and every mode answers on it.
import { beforeAll, describe, expect, it } from "vitest";
import { getDb } from "../db";
import { seedDora } from "../../prisma/seed/dora";
import { doraSummary } from "./metrics";
import { ensureEnvironments } from "../../test/support/dora-fixtures";

beforeAll(async () => {
  await ensureEnvironments();
  const db = getDb();
  for (const slug of ["payments", "growth"]) {
    const team = await db.team.upsert({ where: { slug }, update: {}, create: { slug, name: slug } });
    await db.service.upsert({ where: { slug: `${slug}-seeded` }, update: {}, create: { slug: `${slug}-seeded`, name: `${slug}-seeded`, teamId: team.id } });
  }
});

describe("seedDora", () => {
  it("links the seeded changes by revision (growth: by merge order) and answers in every mode", async () => {
    const db = getDb();
    const now = new Date();
    const r = await seedDora(db, now);
    expect(r).toMatchObject({ deployments: expect.any(Number) });
    const byRule = await db.deploymentChange.groupBy({ by: ["linkedBy"], where: { change: { source: "seed" } }, _count: true });
    const count = Object.fromEntries(byRule.map((g) => [g.linkedBy, g._count]));
    expect(count.revision).toBeGreaterThan(0);
    expect(count.merge_order).toBeGreaterThan(0);
    const payments = await db.service.findUniqueOrThrow({ where: { slug: "payments-seeded" } });
    const from = new Date(now.getTime() - 90 * 86_400_000);
    for (const mode of ["pier", "fourkeys", "devlake"] as const) {
      const s = await doraSummary(db, { from, to: now, serviceId: payments.id, mode });
      expect(s.current.deployments).toBeGreaterThan(0);
      expect(s.current.leadTimeP50).toBeGreaterThan(0);
    }
    const s = await doraSummary(db, { from, to: now, serviceId: payments.id });
    expect(s.details?.linkage.mergeOrder).toBe(0);
    expect(s.details?.leadTimeStart.merge).toBe(0);
  });
});
