// Alert rules end to end on controlled history: a threshold rule fires and resolves (one event each), an anomaly
// rule fires on a week far outside its baseline, two evaluators racing fire once, the event is routed by its
// labels, and only admins may manage rules (audited; bad input is a 400 naming the field).
import { beforeAll, describe, expect, it } from "vitest";
import { getDb, transaction } from "../db";
import { callerFor, callerWithRole, makeTeam, makeUser } from "../../test/support/factories";
import { ensureEnvironments, makeService } from "../../test/support/dora-fixtures";
import { makeChannel, makeRoute } from "../../test/support/notification-fixtures";
import { routeEvent } from "../notifications/routing";
import type { PierEventShape } from "../bus/events";
import { evaluateAlertRules } from "./alert-evaluation";
import { judgeAnomaly, lastWeekEnd } from "./alert-metrics";

const now = new Date("2026-03-20T12:00:00Z"); // a Friday; the last whole week is 9–16 March
const MIN = 60_000;
let team: { id: string; slug: string };
let service: { id: string };
let requesterId: string;
let admin: Awaited<ReturnType<typeof callerWithRole>>;

/** A finished run of `service` started at `startedAt`, lasting `minutes`. */
const run = (startedAt: Date, status: "succeeded" | "failed" | "rolled_back", minutes = 5, serviceId = service.id) => ({
  serviceId,
  environmentId: envId,
  status,
  version: "1.0.0",
  requesterId,
  createdAt: startedAt,
  queuedAt: startedAt,
  startedAt,
  finishedAt: new Date(startedAt.getTime() + minutes * MIN),
});
let envId: string;
const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000);
const outboxOf = async (ruleId: string) =>
  (await getDb().outboxEvent.findMany({ where: { type: { in: ["alert.firing", "alert.resolved"] } }, orderBy: { createdAt: "asc" } }))
    .map((r) => ({ type: r.type, payload: (typeof r.payload === "string" ? JSON.parse(r.payload) : r.payload) as PierEventShape }))
    .filter((r) => r.payload.data.ruleId === ruleId);

beforeAll(async () => {
  envId = (await ensureEnvironments()).prod.id;
  team = await makeTeam("Alerting");
  service = await makeService(team.id);
  requesterId = (await makeUser("developer")).id;
  admin = await callerWithRole("admin");
});

describe("threshold rules", () => {
  it("fire once when the value crosses the threshold and resolve once when it is back", async () => {
    await getDb().deploymentRequest.createMany({
      data: [run(daysAgo(3), "succeeded"), run(daysAgo(4), "succeeded"), run(daysAgo(5), "succeeded"), run(daysAgo(6), "rolled_back")],
    });
    const { id } = await admin.caller.analytics.alertRules.create({
      name: "Rollbacks over 20 %",
      metric: "rollback_rate",
      kind: "threshold",
      direction: "above",
      threshold: 0.2,
      windowDays: 30,
      teamId: team.id,
    });

    expect((await evaluateAlertRules(getDb(), now))["Rollbacks over 20 %"]).toBe("fired"); // 1 of 4 = 25 %
    expect((await evaluateAlertRules(getDb(), now))["Rollbacks over 20 %"]).toBe("unchanged");
    const rule = await getDb().alertRule.findUniqueOrThrow({ where: { id } });
    expect(rule).toMatchObject({ state: "firing", lastValue: 0.25 });
    expect(rule.lastDetail).toContain("25 %");

    await getDb().deploymentRequest.createMany({ data: [run(daysAgo(2), "succeeded"), run(daysAgo(1), "succeeded")] });
    expect((await evaluateAlertRules(getDb(), now))["Rollbacks over 20 %"]).toBe("resolved"); // 1 of 6 ≈ 16.7 %
    const events = await outboxOf(id);
    expect(events.map((e) => e.type)).toEqual(["alert.firing", "alert.resolved"]);
    expect(events[0].payload.labels).toMatchObject({
      type: "alert.firing",
      team: team.slug,
      alert_rule: "Rollbacks over 20 %",
      metric: "rollback_rate",
      severity: "high",
    });
    expect(events[0].payload.data).toMatchObject({ value: 0.25, url: "/admin/alerts" });
    await admin.caller.analytics.alertRules.delete({ id });
  });

  it("fires exactly once when two evaluators run at the same time", async () => {
    const { id } = await admin.caller.analytics.alertRules.create({
      name: "Raced",
      metric: "rollback_rate",
      kind: "threshold",
      threshold: 0.1,
      teamId: team.id,
    });
    const results = await Promise.all([evaluateAlertRules(getDb(), now), evaluateAlertRules(getDb(), now), evaluateAlertRules(getDb(), now)]);
    expect(results.filter((r) => r.Raced === "fired")).toHaveLength(1);
    expect((await outboxOf(id)).map((e) => e.type)).toEqual(["alert.firing"]);
    await admin.caller.analytics.alertRules.delete({ id });
  });

  it("keeps a muted rule's state but notifies nobody", async () => {
    const { id } = await admin.caller.analytics.alertRules.create({
      name: "Muted",
      metric: "rollback_rate",
      kind: "threshold",
      threshold: 0.1,
      teamId: team.id,
    });
    await admin.caller.analytics.alertRules.mute({ id, until: new Date(Date.now() + 3_600_000) });
    expect((await evaluateAlertRules(getDb(), now)).Muted).toBe("fired");
    expect((await getDb().alertRule.findUniqueOrThrow({ where: { id } })).state).toBe("firing");
    expect(await outboxOf(id)).toEqual([]);
    await admin.caller.analytics.alertRules.delete({ id });
  });
});

describe("anomaly rules", () => {
  it("judge an observation against mean ± k·stddev of the baseline", () => {
    const base = [10, 12, 11, 9, 10, 12, 11, 9]; // mean 10.5, sample stddev ≈ 1.195
    expect(judgeAnomaly(14.2, base, 3, "above")).toMatchObject({ enough: true, anomalous: true, mean: 10.5 });
    expect(judgeAnomaly(13.9, base, 3, "above")).toMatchObject({ anomalous: false }); // upper ≈ 14.09
    expect(judgeAnomaly(6.5, base, 3, "above")).toMatchObject({ anomalous: false });
    expect(judgeAnomaly(6.5, base, 3, "outside")).toMatchObject({ anomalous: true });
    expect(judgeAnomaly(6.5, base, 3, "below")).toMatchObject({ anomalous: true });
    // Gaps are left out; fewer than 4 baseline weeks is not enough to judge.
    expect(judgeAnomaly(20, [10, null, 11, null, 12], 3, "above")).toEqual({ enough: false, baseline: 3 });
    // A flat baseline: σ floored at 5 % of the mean, so 10.4 is normal and 12 is not.
    expect(judgeAnomaly(10.4, [10, 10, 10, 10], 3, "outside")).toMatchObject({ anomalous: false, stddev: 0.5 });
    expect(judgeAnomaly(12, [10, 10, 10, 10], 3, "outside")).toMatchObject({ anomalous: true });
  });

  it("fire on a week whose p95 duration is far above the weeks before", async () => {
    const slow = await makeService(team.id);
    const end = lastWeekEnd(now);
    expect(end.toISOString()).toBe("2026-03-16T00:00:00.000Z");
    const weekStart = (i: number) => new Date(end.getTime() - i * 7 * 86_400_000 + 86_400_000); // the Tuesday of the week i back
    // Eight baseline weeks of 9–11 minute runs, then a week of 40-minute runs.
    const baseline = [10, 11, 9, 10, 11, 9, 10, 10].map((m, i) => run(weekStart(i + 2), "succeeded", m, slow.id));
    await getDb().deploymentRequest.createMany({ data: [...baseline, run(weekStart(1), "succeeded", 40, slow.id)] });
    const { id } = await admin.caller.analytics.alertRules.create({
      name: "Slow deploys",
      metric: "duration_p95",
      kind: "anomaly",
      direction: "above",
      serviceId: slow.id,
      baselineWeeks: 8,
      sensitivity: 3,
    });
    expect((await evaluateAlertRules(getDb(), now))["Slow deploys"]).toBe("fired");
    const rule = await getDb().alertRule.findUniqueOrThrow({ where: { id } });
    expect(rule.lastValue).toBe(2400);
    expect(rule.lastDetail).toContain("week of 2026-03-09");
    // A week later that week is part of the baseline, and the new week (no runs) has no data: resolved.
    expect((await evaluateAlertRules(getDb(), new Date(now.getTime() + 7 * 86_400_000)))["Slow deploys"]).toBe("resolved");
    expect((await getDb().alertRule.findUniqueOrThrow({ where: { id } })).state).toBe("no_data");
    await admin.caller.analytics.alertRules.delete({ id });
  });
});

describe("routing", () => {
  it("delivers alert.firing through a route matching its type and team", async () => {
    const channel = await makeChannel("webhook", { url: "http://127.0.0.1:9/hook", signingSecret: "signing-secret-123456", headers: {} });
    await makeRoute({
      name: "team alerts",
      matchers: [
        { label: "type", op: "=", value: "alert.firing" },
        { label: "team", op: "=", value: team.slug },
      ],
      channelIds: [channel.id],
    });
    const { id } = await admin.caller.analytics.alertRules.create({
      name: "Routed",
      metric: "rollback_rate",
      kind: "threshold",
      threshold: 0.01,
      teamId: team.id,
      severity: "critical",
    });
    await evaluateAlertRules(getDb(), now);
    const [firing] = await outboxOf(id);
    // What the outbox subscriber does with it (server/notifications/subscriber.ts): route it by its labels.
    const created = await transaction(getDb(), (tx) => routeEvent(tx, { ...firing.payload, id: `routing-${id}` }, new Date()));
    expect(created.map((c) => c.channelId)).toEqual([channel.id]);
    // The same event for another team goes nowhere.
    const elsewhere = { ...firing.payload, id: "routing-elsewhere", labels: { ...firing.payload.labels, team: "someone-else" } };
    expect(await transaction(getDb(), (tx) => routeEvent(tx, elsewhere, new Date()))).toEqual([]);
    await admin.caller.analytics.alertRules.delete({ id });
  });
});

describe("who may manage rules", () => {
  const input = { name: "Access", metric: "change_failure_rate" as const, kind: "threshold" as const, threshold: 0.2 };

  it("refuses developers and approvers, and anonymous callers", async () => {
    const { id } = await admin.caller.analytics.alertRules.create(input);
    for (const role of ["developer", "approver"] as const) {
      const { caller } = await callerWithRole(role);
      await expect(caller.analytics.alertRules.list()).rejects.toMatchObject({ code: "FORBIDDEN" });
      await expect(caller.analytics.alertRules.create({ ...input, name: "Nope" })).rejects.toMatchObject({ code: "FORBIDDEN" });
      await expect(caller.analytics.alertRules.update({ id, rule: input })).rejects.toMatchObject({ code: "FORBIDDEN" });
      await expect(caller.analytics.alertRules.mute({ id, until: null })).rejects.toMatchObject({ code: "FORBIDDEN" });
      await expect(caller.analytics.alertRules.delete({ id })).rejects.toMatchObject({ code: "FORBIDDEN" });
    }
    await expect((await callerFor(null)).analytics.alertRules.list()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    expect(await getDb().alertRule.count({ where: { name: "Nope" } })).toBe(0);
    await admin.caller.analytics.alertRules.delete({ id });
  });

  it("lets admins create, edit, mute and delete, each audited", async () => {
    const { id } = await admin.caller.analytics.alertRules.create({ ...input, name: "Audited" });
    await admin.caller.analytics.alertRules.update({ id, rule: { ...input, name: "Audited", threshold: 0.3 } });
    await admin.caller.analytics.alertRules.mute({ id, until: new Date(Date.now() + 60_000) });
    await admin.caller.analytics.alertRules.mute({ id, until: null });
    expect((await admin.caller.analytics.alertRules.list()).find((r) => r.id === id)).toMatchObject({ threshold: 0.3, mutedUntil: null });
    await admin.caller.analytics.alertRules.delete({ id });
    const audit = await getDb().auditEvent.findMany({ where: { subjectId: id }, orderBy: { seq: "asc" } });
    expect(audit.map((a) => [a.action, a.actorId])).toEqual([
      ["alert_rule.created", admin.user.id],
      ["alert_rule.updated", admin.user.id],
      ["alert_rule.muted", admin.user.id],
      ["alert_rule.unmuted", admin.user.id],
      ["alert_rule.deleted", admin.user.id],
    ]);
  });

  it("answers bad input with a 400 naming the field, writing nothing", async () => {
    const err = (p: Promise<unknown>) => p.catch((e: { code: string; message: string }) => e);
    expect(await err(admin.caller.analytics.alertRules.create({ ...input, name: "Bad", threshold: null }))).toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/threshold/),
    });
    expect(await err(admin.caller.analytics.alertRules.create({ ...input, name: "Bad", metric: "happiness" as never }))).toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/metric/),
    });
    expect(await err(admin.caller.analytics.alertRules.create({ ...input, name: "Bad", teamId: "no-such-team" }))).toMatchObject({
      code: "BAD_REQUEST",
      message: "Unknown team",
    });
    expect(await err(admin.caller.analytics.alertRules.create({ ...input, name: "Bad", kind: "anomaly", baselineWeeks: 2 }))).toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/baselineWeeks/),
    });
    expect(await err(admin.caller.analytics.alertRules.mute({ id: "missing", until: null }))).toMatchObject({ code: "NOT_FOUND" });
    expect(await getDb().alertRule.count({ where: { name: "Bad" } })).toBe(0);
  });
});
