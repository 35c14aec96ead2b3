// The change-risk model on real Postgres: features see only history finished before the request (no leakage),
// too little history falls back to the hand-set score (and says so), a history with signal trains a model that
// beats chance on its newest 20 % and scores pending and new requests (the inbox shows the probability), the
// workers' loop retrains only a stale model, and only approvers/admins read it and only admins retrain it.
import { beforeAll, describe, expect, it } from "vitest";
import type { Insertable } from "kysely";
import { getDb, type DB } from "../../db";
import { rng } from "../../../prisma/seed/random";
import { callerWithRole, makeUser } from "../../../test/support/factories";
import { as, makeWorld, requestInput, type World } from "../../../test/support/deployment-world";
import { sigmoid } from "./logistic-regression";
import { requestFacts } from "./features";
import { retrainIfStale, trainRiskModel } from "./training";
import { latestRiskModel } from "./risk-model-store";

const HOUR = 3_600_000;
const start = new Date("2026-01-05T00:00:00Z"); // a Monday
let w: World;
let requesterId: string;

type Row = Insertable<DB["DeploymentRequest"]>;
let seq = 0;
const row = (o: Partial<Row> & { createdAt: Date; status: Row["status"] }, minutes = 10): Row => ({
  id: `rm-${(seq++).toString().padStart(5, "0")}`,
  serviceId: w.service.id,
  environmentId: w.envs.prod.id,
  version: "1.1.0",
  previousVersion: "1.0.0",
  requesterId,
  finishedAt: new Date(o.createdAt.getTime() + minutes * 60_000),
  updatedAt: o.createdAt,
  ...o,
});
const insert = (rows: Row[]) => getDb().kysely.insertInto("DeploymentRequest").values(rows).execute();

/**
 * n finished requests, one every 3 hours, whose failure odds rise in prod and outside working hours and fall for
 * canaries: σ(−2.8 + 1.6·prod + 1.4·off-hours − 1.2·canary).
 */
function historyWithSignal(n: number, from: Date) {
  const random = rng(7);
  const rows: Row[] = [];
  for (let i = 0; i < n; i++) {
    const createdAt = new Date(from.getTime() + i * 3 * HOUR);
    const prod = random() < 0.5;
    const canary = random() < 0.4;
    const hour = createdAt.getUTCHours();
    const weekday = createdAt.getUTCDay();
    const off = weekday !== 0 && weekday !== 6 && (hour < 9 || hour >= 17);
    const failed = random() < sigmoid(-2.8 + 1.6 * +prod + 1.4 * +off - 1.2 * +canary);
    rows.push(
      row({
        createdAt,
        environmentId: prod ? w.envs.prod.id : w.envs.dev.id,
        strategy: canary ? "canary" : "rolling",
        status: failed ? (random() < 0.5 ? "failed" : "rolled_back") : "succeeded",
      }),
    );
  }
  return rows;
}

beforeAll(async () => {
  w = await makeWorld({ tier: 2, policies: { prod: { allowSkipPromotion: true, requiredApprovals: 1 } } });
  requesterId = (await makeUser("developer", [w.team.id])).id;
});

describe("features", () => {
  it("count only the service's runs that finished before the request was made, never its own or later outcomes", async () => {
    const t = new Date("2025-06-02T10:00:00Z");
    await insert([
      row({ id: "leak-a", createdAt: t, status: "failed" }, 30), // finished 10:30
      row({ id: "leak-b", createdAt: new Date(t.getTime() + HOUR), status: "succeeded" }, 30), // made 11:00
      row({ id: "leak-c", createdAt: new Date(t.getTime() + 1.2 * HOUR), status: "rolled_back" }, 120), // finishes after b was made
      row({ id: "leak-d", createdAt: new Date(t.getTime() + 5 * HOUR), status: "succeeded" }),
    ]);
    const facts = async () => Object.fromEntries((await requestFacts(getDb().kysely, { ids: ["leak-a", "leak-b", "leak-c", "leak-d"] })).map((f) => [f.id, f]));
    let f = await facts();
    expect(f["leak-a"].recent).toEqual([0, 0]);
    expect(f["leak-b"].recent).toEqual([1, 1]); // a only: c finishes after b was made
    expect(f["leak-c"].recent).toEqual([1, 1]); // b is still running when c is made
    expect(f["leak-d"].recent).toEqual([3, 2]);
    expect(f["leak-d"].month).toEqual([3, 2]);
    expect(f["leak-b"]).toMatchObject({ environmentName: "prod", isProduction: true, tier: 2, weekday: 1, hour: 11, targets: 0 });
    // A request's own outcome changes nothing in its features.
    await getDb().deploymentRequest.update({ where: { id: "leak-b" }, data: { status: "failed" } });
    f = await facts();
    expect(f["leak-b"].recent).toEqual([1, 1]);
    expect(f["leak-c"].recent).toEqual([1, 1]); // b finished after c was made
    expect(f["leak-d"].recent).toEqual([3, 3]); // d was made after b finished: it may know b's outcome
  });
});

describe("training", () => {
  it("falls back to the hand-set score while the history is small, and says so", async () => {
    const pending = await (await as(w.developer)).deployments.create(requestInput(w, "prod", "1.2.0"));
    const model = await trainRiskModel(getDb());
    expect(model).toMatchObject({ kind: "fallback", finished: 4, failures: 3, auc: null });
    expect(model.reason).toContain("at least 200 and 20");
    const r = await getDb().deploymentRequest.findUniqueOrThrow({ where: { id: pending.id } });
    expect(r.failureProbability).toBeNull();
    expect(r.riskScore).toBeGreaterThan(0); // the hand-set score is there as before
    await getDb().deploymentRequest.update({ where: { id: pending.id }, data: { status: "cancelled" } });
  });

  it("learns the history's signal, backtests on the newest 20 % and beats chance and the hand-set score", async () => {
    await insert(historyWithSignal(1200, start));
    const model = await trainRiskModel(getDb(), { now: new Date("2026-06-01T00:00:00Z") });
    expect(model).toMatchObject({ kind: "logistic", finished: 1204, trainCount: 963, testCount: 241 });
    const weights = (model.coefficients as { weights: Record<string, number> }).weights;
    expect(weights.production).toBeGreaterThan(0.8);
    expect(weights.off_hours).toBeGreaterThan(0.7);
    expect(weights.canary).toBeLessThan(-0.5);
    expect(model.auc).toBeGreaterThan(0.65);
    // The hand-set score knows prod but not off-hours (it counts them the same) nor canaries.
    expect(model.auc!).toBeGreaterThan(model.baselineAuc!);
    expect(model.brier).toBeGreaterThan(0);
    expect(model.brier).toBeLessThan(0.25);
    const bins = model.calibration;
    expect(bins).toHaveLength(10);
    expect(bins.reduce((n, b) => n + b.count, 0)).toBe(241);
    expect(bins[9].predicted).toBeGreaterThan(bins[0].predicted);
  });

  it("scores a new request with its main reasons, and the approvers' inbox and request page show them", async () => {
    const at = new Date("2026-06-02T20:00:00Z"); // a Tuesday evening
    const { id } = await (await as(w.developer)).deployments.create(requestInput(w, "prod", "1.3.0", { strategy: "canary", canarySteps: [10, 100] }));
    await getDb().deploymentRequest.update({ where: { id }, data: { createdAt: at } });
    // Retraining rescores pending requests (the facts as of when each was made).
    await trainRiskModel(getDb());
    const r = await getDb().deploymentRequest.findUniqueOrThrow({ where: { id } });
    expect(r.failureProbability).toBeGreaterThan(0);
    expect(r.failureProbability).toBeLessThan(1);
    const reasons = r.failureReasons as { feature: string; detail: string; logOdds: number }[];
    expect(reasons.length).toBeGreaterThan(0);
    expect(reasons.length).toBeLessThanOrEqual(3);
    expect(reasons.map((x) => x.feature)).toEqual(expect.arrayContaining(["production", "off_hours", "canary"]));
    expect(reasons.find((x) => x.feature === "canary")!.detail).toBe("canary strategy lowers risk");
    expect(reasons.find((x) => x.feature === "off_hours")!.detail).toBe("outside business hours (09:00–17:00 UTC) raises risk");

    const approver = await as(w.approver2);
    const lists = await Promise.all([approver.approvals.inbox({ list: "mine" }), approver.approvals.inbox({ list: "others" })]);
    const item = lists.flatMap((l) => l.items).find((i) => i.id === id)!;
    expect(item.failure).toEqual({ probability: r.failureProbability, reasons });
    const page = await (await as(w.approver2)).deployments.get({ id });
    expect(page.failureProbability).toBe(r.failureProbability);
    expect(page.failureReasons).toEqual(reasons);
  });

  it("the workers' loop retrains only when the newest model is stale", async () => {
    const latest = (await latestRiskModel(getDb().kysely))!;
    expect(await retrainIfStale(getDb(), 6 * HOUR, new Date(latest.trainedAt.getTime() + HOUR))).toBeNull();
    const again = await retrainIfStale(getDb(), 6 * HOUR, new Date(latest.trainedAt.getTime() + 7 * HOUR));
    expect(again).toMatchObject({ kind: "logistic" });
  });
});

describe("access", () => {
  it("approvers and admins read the model; only admins retrain it (audited)", async () => {
    const developer = await callerWithRole("developer");
    const approver = await callerWithRole("approver");
    const admin = await callerWithRole("admin");
    await expect(developer.caller.riskModel.current()).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(developer.caller.riskModel.retrain()).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(approver.caller.riskModel.retrain()).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect((await as(null)).riskModel.current()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    const seen = await approver.caller.riskModel.current();
    expect(seen.model).toMatchObject({ kind: "logistic" });
    expect(seen.features).toContain("recent_failure_rate");
    const before = await getDb().riskModel.count();
    const trained = await admin.caller.riskModel.retrain();
    expect(trained.model).toMatchObject({ kind: "logistic", trainedById: admin.user.id });
    expect(await getDb().riskModel.count()).toBe(before + 1);
    expect(await getDb().auditEvent.count({ where: { action: "risk_model.trained", subjectId: trained.model!.id } })).toBe(1);
  });
});
