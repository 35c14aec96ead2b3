// One history, three definitions, each worked by hand (README "DORA definitions").
// Service S in prod, 2026-05-11 (UTC):
//   c1  commit aaaa111, first commit 08:00, merged 10:00       c2  commit bbbb222, PR opened 11:00, merged 12:00
//   D0 00:00 (says nothing of its content)   D1 13:00 aaaa111   D2 14:00 aaaa111 (redeploy)   D3 18:00 bbbb222
//   D4 21:00 bbbb222 (redeploy)              D5 22:00 rollback deployment
//   I1 "root cause: bbbb222" 19:00 → 20:00   I2 no evidence 14:30 → 15:30
import { beforeAll, describe, expect, it } from "vitest";
import { getDb, transaction } from "../db";
import { recordChange, recordDeployment, recordIncident } from "./canonical";
import { doraSummary } from "./metrics";
import { failureRateLevel } from "./levels";
import { at, ensureEnvironments, makeService } from "../../test/support/dora-fixtures";
import { callerFor, callerWithRole, uid } from "../../test/support/factories";

const H = 3600;
let serviceId: string;
const range = { from: at("2026-05-10T00:00:00Z"), to: at("2026-05-12T00:00:00Z") };

beforeAll(async () => {
  await ensureEnvironments();
  const svc = `modes-${uid()}`;
  serviceId = (await makeService(undefined, svc)).id;
  await transaction(getDb(), async (tx) => {
    const base = { source: "t", serviceName: svc };
    await recordChange(tx, {
      ...base,
      externalId: "c1",
      commitSha: "aaaa111",
      authoredAt: at("2026-05-11T09:00:00Z"),
      firstCommitAt: at("2026-05-11T08:00:00Z"),
      mergedAt: at("2026-05-11T10:00:00Z"),
    });
    await recordChange(tx, { ...base, externalId: "c2", commitSha: "bbbb222", authoredAt: at("2026-05-11T11:00:00Z"), mergedAt: at("2026-05-11T12:00:00Z") });
    const dep = (externalId: string, time: string, extra: object = {}) =>
      recordDeployment(tx, { ...base, externalId, environmentName: "prod", status: "succeeded", deployedAt: at(`2026-05-11T${time}:00Z`), ...extra });
    await dep("D0", "00:00");
    await dep("D1", "13:00", { revision: "aaaa111" });
    await dep("D2", "14:00", { revision: "aaaa111" });
    await dep("D3", "18:00", { revision: "bbbb222" });
    await dep("D4", "21:00", { revision: "bbbb222" });
    await dep("D5", "22:00", { isRollback: true });
    const inc = { ...base, environmentName: "prod" };
    await recordIncident(tx, {
      ...inc,
      externalId: "I1",
      title: "Checkout 500s, root cause: bbbb222",
      detectedAt: at("2026-05-11T19:00:00Z"),
      resolvedAt: at("2026-05-11T20:00:00Z"),
    });
    await recordIncident(tx, {
      ...inc,
      externalId: "I2",
      title: "Slow search",
      detectedAt: at("2026-05-11T14:30:00Z"),
      resolvedAt: at("2026-05-11T15:30:00Z"),
    });
  });
});

describe("definition modes", () => {
  it("Pier: what was deployed, first commit else merge, evidence then window, recovery and rework", async () => {
    const s = await doraSummary(getDb(), { ...range, serviceId });
    expect(s.mode).toBe("pier");
    // D0–D4 (the rollback D5 is not a deployment of changes); D2 (I2, window) and D3 (I1, root cause) failed.
    expect(s.current).toMatchObject({ deployments: 5, failures: 2, changes: 2, incidents: 2, resolvedIncidents: 2 });
    expect(s.current.changeFailureRate).toBeCloseTo(0.4);
    // c1: D1 13:00 − first commit 08:00 = 5 h; c2 (not in D1 though merged before it): D3 18:00 − merge 12:00 = 6 h.
    expect(s.current.leadTimeP50).toBeCloseTo(5.5 * H);
    expect(s.current.leadTimeP90).toBeCloseTo(5.9 * H);
    expect(s.current.restoreP50).toBeCloseTo(1 * H);
    // D2 → next good deployment D4 (D3 had an incident) = 7 h; D3 → D4 = 3 h.
    expect(s.current.recoveryP50).toBeCloseTo(5 * H);
    expect(s.details).toMatchObject({
      leadTimeStart: { firstCommit: 1, merge: 1 },
      linkage: { listed: 0, revision: 2, mergeOrder: 0 },
      incidentLinks: { evidence: 1, heuristic: 1, unlinked: 0 },
      reworkDeployments: 1,
      allDeployments: 6,
    });
    expect(s.details?.reworkRate).toBeCloseTo(1 / 6);
    // 40 %: low in the 2023 bands (> 15 %), medium in the 2021 set (≤ 45 %).
    expect(s.levels.changeFailureRate).toBe("low");
    expect(failureRateLevel(0.4, "2021")).toBe("medium");
    expect((await doraSummary(getDb(), { ...range, serviceId, bands: "2021" })).levels.changeFailureRate).toBe("medium");
  });

  it("Four Keys: deploys with changes, redeploys re-count their commits, CFR by root cause per change", async () => {
    const s = await doraSummary(getDb(), { ...range, serviceId, mode: "fourkeys" });
    // D1–D4 carry a change (D0 and D5 carry none and drop out of deployments.sql's join).
    expect(s.current).toMatchObject({ deployments: 4, changes: 4, failures: 2, incidents: 2 });
    expect(s.current.changeFailureRate).toBeCloseTo(0.5); // (D3,c2,I1) + (D4,c2,I1) over 4 deployments
    // Pairs: D1-c1 5 h, D2-c1 6 h, D3-c2 7 h (from commit time = PR opened 11:00), D4-c2 10 h.
    expect(s.current.leadTimeP50).toBeCloseTo(6.5 * H);
    expect(s.current.leadTimeP90).toBeCloseTo(9.1 * H);
    // I1 starts at the deployment of its root cause (18:00): 2 h; I2 1 h.
    expect(s.current.restoreP50).toBeCloseTo(1.5 * H);
    expect(s.current.restoreP90).toBeCloseTo(1.9 * H);
    expect(s.details).toBeNull();
  });

  it("DevLake: all successful deployments, changes by commit diff, incidents on the last deployment before them", async () => {
    const s = await doraSummary(getDb(), { ...range, serviceId, mode: "devlake" });
    expect(s.current).toMatchObject({ deployments: 6, changes: 2, failures: 2, incidents: 2 });
    expect(s.current.changeFailureRate).toBeCloseTo(2 / 6); // D2 ← I2, D3 ← I1
    // Cycle times 5 h (first commit) and 7 h (PR opened): the lower median.
    expect(s.current.leadTimeP50).toBeCloseTo(5 * H);
    expect(s.current.restoreP50).toBeCloseTo(1 * H);
    // Failed deployment recovery: I2 15:30 − D2 14:00 = 1.5 h, I1 20:00 − D3 18:00 = 2 h → 1.5 h.
    expect(s.current.recoveryP50).toBeCloseTo(1.5 * H);
  });

  it("compare: the three modes side by side for signed-in users, each equal to that mode's summary", async () => {
    const anon = await callerFor(null);
    await expect(anon.dora.compare({ ...range, serviceId })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    const { caller } = await callerWithRole("developer");
    const compared = await caller.dora.compare({ ...range, serviceId });
    expect(compared.modes.map((m) => m.mode)).toEqual(["pier", "fourkeys", "devlake"]);
    for (const m of compared.modes) {
      const summary = await doraSummary(getDb(), { ...range, serviceId, mode: m.mode });
      expect(m.figures).toEqual(summary.current);
      expect(m.levels).toEqual(summary.levels);
    }
    // Where the definitions disagree on this history: deployments 5 / 4 / 6, failure rate 40 % / 50 % / 33 %.
    expect(compared.modes.map((m) => m.figures.deployments)).toEqual([5, 4, 6]);
    await expect(caller.dora.compare({ from: range.to, to: range.from })).rejects.toMatchObject({ code: "BAD_REQUEST", cause: { field: "to" } });
    await expect(caller.dora.compare({ ...range, environment: "moon" })).rejects.toMatchObject({ code: "BAD_REQUEST", cause: { field: "environment" } });
  });
});
