// Delivery analytics on a hand-computed fixture: four finished runs in the week of 2 March 2026 (UTC), plus runs
// that must not count (started at the range's exclusive end, still deploying, rejected). Expected figures are worked
// out by hand below, including percentile_cont's interpolation (p at position (n − 1)·p of the sorted values).
import { beforeAll, describe, expect, it } from "vitest";
import { getDb } from "../db";
import { callerFor, callerWithRole, makeTeam, makeUser } from "../../test/support/factories";
import { ensureEnvironments, makeService } from "../../test/support/dora-fixtures";

const from = new Date("2026-03-02T00:00:00Z");
const to = new Date("2026-03-09T00:00:00Z");
let teamA: string, teamB: string, prodId: string, svc1: string;

const t = (iso: string) => new Date(`2026-03-${iso}Z`);

beforeAll(async () => {
  const envs = await ensureEnvironments();
  prodId = envs.prod.id;
  teamA = (await makeTeam("Analytics A")).id;
  teamB = (await makeTeam("Analytics B")).id;
  const s1 = await makeService(teamA);
  const s2 = await makeService(teamB);
  svc1 = s1.id;
  const requester = await makeUser("developer");
  const row = (
    serviceId: string,
    environmentId: string,
    strategy: "rolling" | "canary",
    status: string,
    times: [string, string | null, string | null, string | null],
  ) => ({
    serviceId,
    environmentId,
    strategy,
    status: status as "succeeded",
    version: "1.0.0",
    requesterId: requester.id,
    createdAt: t(times[0]),
    queuedAt: times[1] ? t(times[1]) : null,
    startedAt: times[2] ? t(times[2]) : null,
    finishedAt: times[3] ? t(times[3]) : null,
  });
  await getDb().deploymentRequest.createMany({
    data: [
      // duration 600 s, queue wait 1800 s, wait 3600 s; Monday 10h UTC
      row(s1.id, envs.prod.id, "rolling", "succeeded", ["02T09:00:00", "02T09:30:00", "02T10:00:00", "02T10:10:00"]),
      // duration 1200, queue wait 0, wait 3600; Monday 11h
      row(s1.id, envs.prod.id, "rolling", "failed", ["02T10:00:00", "02T11:00:00", "02T11:00:00", "02T11:20:00"]),
      // duration 1800, queue wait 300, wait 300; Tuesday 8h
      row(s1.id, envs.prod.id, "rolling", "rolled_back", ["03T08:00:00", "03T08:00:00", "03T08:05:00", "03T08:35:00"]),
      // duration 3600, queue wait 600, wait 600; Wednesday 14h
      row(s2.id, envs.staging.id, "canary", "succeeded", ["04T14:00:00", "04T14:00:00", "04T14:10:00", "04T15:10:00"]),
      // Not counted: started at the exclusive end, still deploying, rejected.
      row(s1.id, envs.prod.id, "rolling", "succeeded", ["08T23:00:00", "08T23:30:00", "09T00:00:00", "09T00:10:00"]),
      row(s1.id, envs.prod.id, "rolling", "deploying", ["05T09:00:00", "05T09:00:00", "05T09:01:00", null]),
      row(s2.id, envs.staging.id, "canary", "rejected", ["05T09:00:00", null, null, "05T09:30:00"]),
    ],
  });
});

describe("analytics.delivery", () => {
  it("computes the totals by hand-worked figures", async () => {
    const { caller } = await callerWithRole("developer");
    const { totals } = await caller.analytics.delivery({ from, to });
    expect(totals).toEqual({
      runs: 4,
      succeeded: 2,
      failed: 1,
      rolledBack: 1,
      successRate: 0.5,
      rollbackRate: 0.25,
      // durations 600, 1200, 1800, 3600: p50 = (1200 + 1800) / 2; p95 at position 2.85 = 1800 + 0.85 · 1800
      durationP50: 1500,
      durationP95: expect.closeTo(3330, 6),
      // queue waits 0, 300, 600, 1800: p50 = 450; p95 = 600 + 0.85 · 1200
      queueWaitP50: 450,
      queueWaitP95: expect.closeTo(1620, 6),
      // requested → started 300, 600, 3600, 3600
      waitP50: 2100,
      waitP95: 3600,
    });
  });

  it("groups by team, environment and strategy", async () => {
    const { caller } = await callerWithRole("approver");
    const byTeam = await caller.analytics.delivery({ from, to, groupBy: "team" });
    expect(byTeam.groups.map((g) => [g.key, g.label, g.runs, g.successRate, g.durationP50])).toEqual([
      [teamA, "Analytics A", 3, 1 / 3, 1200],
      [teamB, "Analytics B", 1, 1, 3600],
    ]);
    const byStrategy = await caller.analytics.delivery({ from, to, groupBy: "strategy" });
    expect(byStrategy.groups.map((g) => [g.key, g.runs, g.rollbackRate])).toEqual([
      ["rolling", 3, 1 / 3],
      ["canary", 1, 0],
    ]);
    const byEnvironment = await caller.analytics.delivery({ from, to, groupBy: "environment" });
    expect(byEnvironment.groups.map((g) => [g.label, g.runs])).toEqual([
      ["prod", 3],
      ["staging", 1],
    ]);
  });

  it("filters by service, team, environment and strategy", async () => {
    const { caller } = await callerWithRole("developer");
    const runs = async (f: object) => (await caller.analytics.delivery({ from, to, ...f })).totals.runs;
    expect(await runs({ serviceId: svc1 })).toBe(3);
    expect(await runs({ teamId: teamB })).toBe(1);
    expect(await runs({ environmentId: prodId })).toBe(3);
    expect(await runs({ strategy: "canary" })).toBe(1);
    expect(await runs({ strategy: "blue_green" })).toBe(0);
    const empty = await caller.analytics.delivery({ from, to, strategy: "blue_green" });
    expect(empty.totals).toMatchObject({ successRate: null, rollbackRate: null, durationP50: null });
    expect(empty.groups).toEqual([]);
  });

  it("counts runs by local day of week and hour (capacity view)", async () => {
    const { caller } = await callerWithRole("developer");
    const cells = (r: { capacity: { dayOfWeek: number; hour: number; runs: number }[] }) => r.capacity.map((c) => [c.dayOfWeek, c.hour, c.runs]);
    expect(cells(await caller.analytics.delivery({ from, to }))).toEqual([
      [1, 10, 1],
      [1, 11, 1],
      [2, 8, 1],
      [3, 14, 1],
    ]);
    // Paris is UTC+1 in early March; Tokyo (UTC+9) moves Wednesday 14:10 UTC to Wednesday 23h.
    expect(cells(await caller.analytics.delivery({ from, to, timeZone: "Europe/Paris" }))).toEqual([
      [1, 11, 1],
      [1, 12, 1],
      [2, 9, 1],
      [3, 15, 1],
    ]);
    expect(cells(await caller.analytics.delivery({ from, to, timeZone: "Asia/Tokyo" }))).toEqual([
      [1, 19, 1],
      [1, 20, 1],
      [2, 17, 1],
      [3, 23, 1],
    ]);
  });

  it("refuses anonymous callers", async () => {
    await expect((await callerFor(null)).analytics.delivery({ from, to })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("answers bad input with a 400 naming the field", async () => {
    const { caller } = await callerWithRole("developer");
    const fieldOf = async (input: object) => {
      const err = await caller.analytics.delivery({ from, to, ...input } as never).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "BAD_REQUEST" });
      return err as { message: string };
    };
    expect((await fieldOf({ to: from })).message).toMatch(/end of the range/);
    expect((await fieldOf({ strategy: "big_bang" })).message).toMatch(/strategy/);
    expect((await fieldOf({ timeZone: "Mars/Olympus" })).message).toMatch(/time zone/);
    expect((await fieldOf({ groupBy: "colour" })).message).toMatch(/groupBy/);
    expect((await fieldOf({ from: new Date("2020-01-01"), to: new Date("2026-01-01") })).message).toMatch(/two years/);
  });
});
