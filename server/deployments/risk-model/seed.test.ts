// The demo's risk model: the seeded delivery history carries signal (environment, time of day, version jump, the
// number of changes a run brings — unknown before the seeded change history starts —, the team's record), so the model trained on it beats the hand-set score on the newest 20 %, and the seeded pending
// requests show a probability. Prints the backtest the README quotes.
import { describe, expect, it } from "vitest";
import { getDb } from "../../db";
import { seedIdentity } from "../../../prisma/seed/identity";
import { seedCatalog } from "../../../prisma/seed/catalog";
import { seedDeliveryAnalytics } from "../../../prisma/seed/delivery-analytics";
import { seedRiskModel } from "../../../prisma/seed/risk-model";
import { latestRiskModel } from "./risk-model-store";
import { finishedRequestFacts } from "./features";

describe("risk model demo seed", () => {
  it("trains once on the seeded history, with a backtest better than the hand-set score", async () => {
    const db = getDb();
    const { teamIds } = await seedIdentity(db);
    await seedCatalog(db, teamIds);
    await seedDeliveryAnalytics(db, new Date("2026-12-02T12:00:00Z"));
    const t0 = Date.now();
    const facts = await finishedRequestFacts(db);
    const t1 = Date.now();
    const known = facts.filter((f) => f.changes !== null);
    expect(known.length).toBeGreaterThan(facts.length / 2);
    expect(known.length).toBeLessThan(facts.length); // the first month's runs: size unknown
    const first = await seedRiskModel(db);
    console.log(`features of ${facts.length} requests: ${t1 - t0} ms; training with them: ${Date.now() - t1} ms`);
    console.log("seeded risk model backtest:", JSON.stringify(first), JSON.stringify((await latestRiskModel(db.kysely))?.calibration));
    expect(first).toMatchObject({ kind: "logistic" });
    const m = (await latestRiskModel(db.kysely))!;
    expect(m.finished).toBeGreaterThan(2000);
    expect(m.auc!).toBeGreaterThan(0.65);
    expect(m.auc!).toBeGreaterThan(m.baselineAuc! + 0.03);
    expect(m.calibration).toHaveLength(10);
    const weights = (m.coefficients as { weights: Record<string, number> }).weights;
    expect(weights.production).toBeGreaterThan(0);
    expect(weights.major_jump).toBeGreaterThan(0);
    console.log("weights:", JSON.stringify(Object.fromEntries(Object.entries(weights).map(([k, v]) => [k, Math.round(v * 100) / 100]))));
    // Bigger changes fail more often: each doubling of 1 + changes raises the log-odds.
    expect(weights.changes).toBeGreaterThan(0.1);
    expect(await seedRiskModel(db)).toEqual({ skipped: "already trained" });
  }, 180_000);
});
