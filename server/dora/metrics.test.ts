// The four keys on a small hand-computed history (numbers worked out in the comments).
import { beforeAll, describe, expect, it } from "vitest";
import { getDb, transaction } from "../db";
import { makeTeam } from "../../test/support/factories";
import { recordChange, recordDeployment, recordIncident, markPreviousRolledBack } from "./canonical";
import { changesBehind, deploymentsBehind, incidentsBehind } from "./drilldown";
import { doraSummary, keyFigures, resolveFilter, weeklyTrend } from "./metrics";
import { at, ensureEnvironments, makeService } from "../../test/support/dora-fixtures";

const H = 3600;
let teamA: string;
let teamB: string;
let svcA: { id: string; slug: string };
const range = { from: at("2026-01-05T00:00:00Z"), to: at("2026-01-12T00:00:00Z") };

beforeAll(async () => {
  const db = getDb();
  await ensureEnvironments();
  teamA = (await makeTeam("Alpha")).id;
  teamB = (await makeTeam("Beta")).id;
  svcA = await makeService(teamA, "orders");
  await makeService(teamB, "search");
  await transaction(db, async (tx) => {
    const dep = (id: string, iso: string, status: "succeeded" | "failed" = "succeeded", env = "prod") =>
      recordDeployment(tx, { source: "test", externalId: id, serviceName: "orders", environmentName: env, version: id, status, deployedAt: at(iso) });
    // c1: authored 08:00, merged 09:00, shipped by d1 at 12:00 → lead 4 h.
    await recordChange(tx, {
      source: "test",
      externalId: "c1",
      serviceName: "orders",
      authoredAt: at("2026-01-05T08:00:00Z"),
      firstCommitAt: at("2026-01-05T08:00:00Z"),
      mergedAt: at("2026-01-05T09:00:00Z"),
    });
    await dep("d1", "2026-01-05T12:00:00Z");
    // c2: merged after d1; d2 fails (ships nothing), d3 ships it the next day → lead 24 h (13:00 → 13:00).
    await recordChange(tx, {
      source: "test",
      externalId: "c2",
      serviceName: "orders",
      authoredAt: at("2026-01-05T13:00:00Z"),
      firstCommitAt: at("2026-01-05T13:00:00Z"),
      mergedAt: at("2026-01-05T14:00:00Z"),
    });
    await dep("d2", "2026-01-05T15:00:00Z", "failed");
    const d3 = await dep("d3", "2026-01-06T13:00:00Z");
    // d4 rolls d3 back: d3 counts as a failure, d4 (a rollback) is not a deployment for frequency.
    const d4 = await recordDeployment(tx, {
      source: "test",
      externalId: "d4",
      serviceName: "orders",
      environmentName: "prod",
      version: "d1",
      status: "succeeded",
      isRollback: true,
      deployedAt: at("2026-01-06T14:00:00Z"),
    });
    await markPreviousRolledBack(tx, d4, d3.version);
    // c3 → d5: lead 10 h; incident i1 an hour later is linked to d5 (failure), restored in 2 h.
    await recordChange(tx, {
      source: "test",
      externalId: "c3",
      serviceName: "orders",
      authoredAt: at("2026-01-07T00:00:00Z"),
      firstCommitAt: at("2026-01-07T00:00:00Z"),
      mergedAt: at("2026-01-07T01:00:00Z"),
    });
    await dep("d5", "2026-01-07T10:00:00Z");
    await recordIncident(tx, {
      source: "test",
      externalId: "i1",
      serviceName: "orders",
      title: "Checkout errors",
      detectedAt: at("2026-01-07T11:00:00Z"),
      resolvedAt: at("2026-01-07T13:00:00Z"),
    });
    // i2: search has no deployments at all → no link, restore 6 h.
    await recordIncident(tx, {
      source: "test",
      externalId: "i2",
      serviceName: "search",
      title: "Slow search",
      detectedAt: at("2026-01-08T00:00:00Z"),
      resolvedAt: at("2026-01-08T06:00:00Z"),
    });
    // Staging activity must not leak into prod numbers.
    await dep("s1", "2026-01-06T09:00:00Z", "succeeded", "staging");
    // Sunday 23:30 UTC = Monday 00:30 in Berlin: week boundary depends on the time zone.
    await dep("d6", "2026-01-11T23:30:00Z");
  });
});

describe("key figures", () => {
  it("computes the four keys for the whole org (prod by default)", async () => {
    const s = await doraSummary(getDb(), range);
    expect(s.filter.environment).toBe("prod");
    // d1, d3 (rolled back), d5, d6 count; d2 failed and d4 is the rollback itself.
    expect(s.current.deployments).toBe(4);
    expect(s.current.failures).toBe(2); // d3 rolled back, d5 has an incident
    expect(s.current.changeFailureRate).toBeCloseTo(0.5);
    expect(s.current.deploymentsPerWeek).toBeCloseTo(4);
    // Lead times 4 h, 10 h, 24 h: median 10 h; p90 = 10 + 0.8 × 14 = 21.2 h.
    expect(s.current.changes).toBe(3);
    expect(s.current.leadTimeP50).toBeCloseTo(10 * H);
    expect(s.current.leadTimeP90).toBeCloseTo(21.2 * H);
    // Restores 2 h and 6 h: median 4 h, p90 = 2 + 0.9 × 4 = 5.6 h.
    expect(s.current.incidents).toBe(2);
    expect(s.current.restoreP50).toBeCloseTo(4 * H);
    expect(s.current.restoreP90).toBeCloseTo(5.6 * H);
    // 4/7 per day → high; 10 h → elite; 50 % → low; 4 h → high.
    expect(s.levels).toMatchObject({ deploymentFrequency: "high", leadTime: "elite", changeFailureRate: "low", timeToRestore: "high" });
    expect(s.previous.deployments).toBe(0);
  });

  it("returns zeros and no levels for an empty range", async () => {
    const s = await doraSummary(getDb(), { from: at("2025-06-01T00:00:00Z"), to: at("2025-06-08T00:00:00Z") });
    expect(s.current).toMatchObject({ deployments: 0, failures: 0, changeFailureRate: null, leadTimeP50: null, restoreP50: null, incidents: 0 });
    expect(s.levels).toEqual({ deploymentFrequency: null, leadTime: null, changeFailureRate: null, timeToRestore: null, recovery: null });
  });

  it("filters by team and service; an incident with no deployment still counts for restore", async () => {
    const beta = await doraSummary(getDb(), { ...range, teamId: teamB });
    expect(beta.current).toMatchObject({ deployments: 0, incidents: 1, changeFailureRate: null });
    expect(beta.current.restoreP50).toBeCloseTo(6 * H);
    const orders = await doraSummary(getDb(), { ...range, serviceId: svcA.id });
    expect(orders.current).toMatchObject({ deployments: 4, failures: 2, incidents: 1 });
  });

  it("filters by environment", async () => {
    const staging = await doraSummary(getDb(), { ...range, environment: "staging" });
    expect(staging.current.deployments).toBe(1);
    // c1 reached staging only with s1 (Jan 6 09:00): 25 h after authoring; c2 was merged before s1 too.
    expect(staging.current.changes).toBe(2);
    expect(staging.current.incidents).toBe(0);
  });

  it("compares with the previous period of the same length", async () => {
    const s = await doraSummary(getDb(), { from: at("2026-01-12T00:00:00Z"), to: at("2026-01-19T00:00:00Z") });
    expect(s.current.deployments).toBe(0);
    expect(s.previous.deployments).toBe(4);
    expect(s.previousRange.from.toISOString()).toBe("2026-01-05T00:00:00.000Z");
  });

  it("treats the range end as exclusive, to the millisecond", async () => {
    const f = await resolveFilter(getDb(), range);
    const upToD6 = await keyFigures(getDb(), f, range.from, at("2026-01-11T23:30:00Z"));
    expect(upToD6.deployments).toBe(3);
  });

  it("refuses a bad filter naming the field", async () => {
    await expect(doraSummary(getDb(), { from: range.to, to: range.from })).rejects.toMatchObject({ field: "to" });
    await expect(doraSummary(getDb(), { ...range, environment: "moon" })).rejects.toMatchObject({ field: "environment" });
    await expect(doraSummary(getDb(), { ...range, timeZone: "Mars/Olympus" })).rejects.toMatchObject({ field: "timeZone" });
  });
});

describe("weekly trend and time zones", () => {
  it("puts Sunday 23:30 UTC in the next week in Berlin", async () => {
    const wide = { from: at("2026-01-05T00:00:00Z"), to: at("2026-01-19T00:00:00Z") };
    const utcWeeks = await weeklyTrend(getDb(), wide);
    expect(utcWeeks.map((w) => [w.weekStart, w.deployments])).toEqual([
      ["2026-01-05", 4],
      ["2026-01-12", 0],
    ]);
    const berlin = await weeklyTrend(getDb(), { ...wide, timeZone: "Europe/Berlin" });
    // The range ends at 01:00 on Monday Jan 19 in Berlin, so a third (partial, empty) week appears there.
    expect(berlin.map((w) => [w.weekStart, w.deployments])).toEqual([
      ["2026-01-05", 3],
      ["2026-01-12", 1],
      ["2026-01-19", 0],
    ]);
    expect(berlin[0]).toMatchObject({ failures: 2, changeFailureRate: 2 / 3, incidents: 2, partial: true });
    // Whole weeks in UTC; the empty week has a count of 0 and no rate or median (a gap, not 0).
    expect(utcWeeks.map((w) => w.partial)).toEqual([false, false]);
    expect(utcWeeks[1]).toMatchObject({ deployments: 0, changes: 0, changeFailureRate: null, leadTimeP50: null, restoreP50: null });
    expect(berlin[2].partial).toBe(true);
    expect(berlin[0].leadTimeP50).toBeCloseTo(10 * H);
  });

  it("drills into one week with the same predicates", async () => {
    const wide = { from: at("2026-01-05T00:00:00Z"), to: at("2026-01-19T00:00:00Z"), timeZone: "Europe/Berlin" };
    const second = await deploymentsBehind(getDb(), { ...wide, week: "2026-01-12" });
    expect(second.rows.map((r) => r.version)).toEqual(["d6"]);
  });
});

describe("drill-down", () => {
  it("lists the deployments behind frequency and failure rate", async () => {
    const all = await deploymentsBehind(getDb(), range);
    expect(all.total).toBe(4);
    expect(all.rows.map((r) => r.version)).toEqual(["d6", "d5", "d3", "d1"]);
    const failures = await deploymentsBehind(getDb(), { ...range, onlyFailures: true });
    expect(failures.rows.map((r) => [r.version, r.status, r.incidents])).toEqual([
      ["d5", "succeeded", 1],
      ["d3", "rolled_back", 0],
    ]);
  });

  it("lists the changes behind lead time, slowest first, with the deployment that shipped them", async () => {
    const c = await changesBehind(getDb(), range);
    expect(c.rows.map((r) => [r.externalId, r.version, r.leadTimeSeconds])).toEqual([
      ["c2", "d3", 24 * H],
      ["c3", "d5", 10 * H],
      ["c1", "d1", 4 * H],
    ]);
  });

  it("lists the incidents behind time to restore", async () => {
    const i = await incidentsBehind(getDb(), range);
    expect(i.rows.map((r) => [r.title, r.deploymentVersion, r.restoreSeconds])).toEqual([
      ["Slow search", null, 6 * H],
      ["Checkout errors", "d5", 2 * H],
    ]);
  });
});
