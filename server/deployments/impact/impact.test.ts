// After-deploy impact: who may edit a service's PromQL (audited, validated, nothing written on a 400), the range
// query sent to a fake Prometheus answering with the real query_range payloads, the before/after verdict, and the
// simulator's fake metrics when the environment verifies without Prometheus.
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb, transaction } from "../../db";
import { as, makeWorld, type World } from "../../../test/support/deployment-world";
import { sessionUser, uid } from "../../../test/support/factories";
import { FakeVendor } from "../../../test/support/fake-http";
import { SHARED_FIXTURES } from "../../../test/support/shared-fixtures";
import { trpcHttp } from "../../../test/support/trpc-http";
import { upsertPlan } from "../rollouts/fleet-store";
import { promqlProblem } from "./promql";

const db = () => getDb();
const fixture = (name: string) => readFileSync(path.join(SHARED_FIXTURES, "prometheus", name), "utf8");
const code = (p: Promise<unknown>) =>
  p.then(
    () => "OK",
    (e: { code?: string }) => e.code,
  );
const ERROR_QUERY = 'sum(rate(http_requests_total{service="{{service}}",code=~"5.."}[5m])) / sum(rate(http_requests_total{service="{{service}}"}[5m]))';
const LATENCY_QUERY = 'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{service="{{service}}"}[5m])))';

let prom: FakeVendor;
beforeAll(async () => {
  prom = await FakeVendor.start();
  const pattern = `127.0.0.1:${prom.port}`;
  await db().outboundAllowEntry.upsert({ where: { pattern }, update: {}, create: { pattern, reason: "fake Prometheus" } });
});
afterAll(async () => prom.close());

/** A request of the world's service to its own environment, started at `startedAt` (seconds). */
async function deployment(w: World, startedAt: number, opts: { prometheus?: boolean; fakeMetrics?: Record<string, Record<string, number>> } = {}) {
  const env = await db().environment.create({ data: { name: `impact-${uid()}`, rank: -1 - Math.floor(Math.random() * 1e6) } });
  await db().serviceEnvironment.create({
    data: { serviceId: w.service.id, environmentId: env.id, currentVersion: "1.1.0", executorConfig: { fakeMetrics: opts.fakeMetrics ?? {} } },
  });
  if (opts.prometheus) {
    const metric = { name: "errors", successCondition: "result[0] < 0.05", provider: { prometheus: { address: prom.url("/"), query: "up" } } };
    await transaction(db(), (tx) =>
      upsertPlan(tx, env.id, {
        waves: [],
        maxParallel: 5,
        soakSeconds: 0,
        onUnhealthy: "hold",
        onFailure: "rollback_failed",
        analysis: { metrics: [metric] } as never,
      }),
    );
  }
  return db().deploymentRequest.create({
    data: {
      serviceId: w.service.id,
      environmentId: env.id,
      version: "1.1.0",
      previousVersion: "1.0.0",
      requesterId: w.developer.id,
      status: "succeeded",
      startedAt: new Date(startedAt * 1000),
      finishedAt: new Date(startedAt * 1000 + 60_000),
    },
  });
}

describe("impact queries on the service", () => {
  it("the service's team and admins save them (audited); others cannot", async () => {
    const w = await makeWorld();
    const input = { serviceId: w.service.id, errorRateQuery: ERROR_QUERY, latencyQuery: "" };
    expect(await code((await as(w.outsider)).impact.saveQueries(input))).toBe("FORBIDDEN");
    expect(await code((await as(w.approver1)).impact.saveQueries(input))).toBe("FORBIDDEN");
    expect(await code((await as(null)).impact.saveQueries(input))).toBe("UNAUTHORIZED");
    expect(await db().serviceImpactQueries.count({ where: { serviceId: w.service.id } })).toBe(0);
    expect(await (await as(w.developer)).impact.saveQueries(input)).toEqual({ errorRateQuery: ERROR_QUERY, latencyQuery: null });
    await (await as(w.admin)).impact.saveQueries({ ...input, latencyQuery: LATENCY_QUERY });
    const row = await db().serviceImpactQueries.findUniqueOrThrow({ where: { serviceId: w.service.id } });
    expect(row).toMatchObject({ errorRateQuery: ERROR_QUERY, latencyQuery: LATENCY_QUERY, updatedById: w.admin.id });
    const audits = await db().auditEvent.findMany({ where: { subjectId: w.service.id, action: "service.impact_queries_updated" }, orderBy: { seq: "asc" } });
    expect(audits.map((a) => a.actorId)).toEqual([w.developer.id, w.admin.id]);
    expect(audits[1].before).toEqual({ errorRateQuery: ERROR_QUERY, latencyQuery: null });
  });

  it("malformed PromQL is a 400 naming the field, and nothing is written", async () => {
    const w = await makeWorld();
    const developer = await sessionUser(w.developer.id);
    const res = await trpcHttp(developer, "impact.saveQueries", "mutation", { serviceId: w.service.id, errorRateQuery: "sum(rate(x[5m])", latencyQuery: "" });
    expect(res.status).toBe(400);
    expect(res.error?.data?.fieldErrors).toEqual({ errorRateQuery: ['Not valid PromQL: unclosed "("'] });
    expect(await db().serviceImpactQueries.count({ where: { serviceId: w.service.id } })).toBe(0);
    expect(promqlProblem('up{job="a)"}')).toBeNull();
    expect(promqlProblem("rate(x[5m)]")).toBe('unexpected ")" at position 10');
    expect(promqlProblem('up{job="{{team}}"}')).toMatch(/unknown placeholder \{\{team\}\}/);
    expect(promqlProblem('up{job="x}')).toBe('unclosed " quote');
  });
});

describe("impact of a deployment", () => {
  it("asks Prometheus for 30 min either side and judges the change (real query_range answer)", async () => {
    const w = await makeWorld();
    await (await as(w.developer)).impact.saveQueries({ serviceId: w.service.id, errorRateQuery: ERROR_QUERY, latencyQuery: "" });
    // The fixture's samples are at …430.781, …445.781 (before) and …460.781 (after), two series each.
    const d = await deployment(w, 1435781450, { prometheus: true });
    prom.answer({ status: 200, headers: { "content-type": "application/json" }, body: fixture("api-v1-query_range.matrix.json") });
    const seen = prom.requests.length;
    const impact = await (await as(w.outsider)).impact.forRequest({ requestId: d.id });
    const sent = prom.requests[seen];
    expect(sent.url).toBe("/api/v1/query_range");
    const params = new URLSearchParams(sent.body);
    expect(params.get("query")).toBe(ERROR_QUERY.replaceAll("{{service}}", w.service.slug));
    expect([params.get("start"), params.get("end"), params.get("step")]).toEqual([String(1435781450 - 1800), String(1435781450 + 1800), "60s"]);
    expect(impact.source).toBe("prometheus");
    expect(impact.canEdit).toBe(false);
    expect(impact.series).toHaveLength(1);
    const [s] = impact.series;
    expect(s.points.map((p) => p.v)).toEqual([0.5, 0.5, 1]);
    expect([s.before, s.after]).toEqual([0.5, 1]);
    expect(s.verdict).toBe("error rate +50.0 pp after deploy");
  });

  it("a Prometheus error answer is shown on the series, not thrown", async () => {
    const w = await makeWorld();
    await (await as(w.developer)).impact.saveQueries({ serviceId: w.service.id, errorRateQuery: ERROR_QUERY, latencyQuery: LATENCY_QUERY });
    const d = await deployment(w, 1435781450, { prometheus: true });
    const errorAnswer = { status: 503, headers: { "content-type": "application/json" }, body: fixture("api-v1-error.timeout-with-data.json") };
    prom.answer(errorAnswer, errorAnswer);
    const impact = await (await as(w.developer)).impact.forRequest({ requestId: d.id });
    expect(impact.canEdit).toBe(true);
    expect(impact.series.map((s) => [s.metric, s.error, s.points.length])).toEqual([
      ["error_rate", "Prometheus timeout: message", 0],
      ["latency", "Prometheus timeout: message", 0],
    ]);
  });

  it("without Prometheus the simulator's fake metrics draw the previous version before and the new one after", async () => {
    const w = await makeWorld();
    const startedAt = Math.floor(Date.now() / 1000) - 3600;
    const d = await deployment(w, startedAt, { fakeMetrics: { "1.1.0": { error_rate: 0.12, latency_p95_seconds: 0.3 } } });
    const impact = await (await as(w.developer)).impact.forRequest({ requestId: d.id });
    expect(impact.source).toBe("simulator");
    const [errors, latency] = impact.series;
    expect(errors.points).toHaveLength(61);
    expect(errors.before!).toBeCloseTo(0.01, 2);
    expect(errors.after!).toBeCloseTo(0.12, 2);
    expect(errors.verdict).toMatch(/^error rate \+11\.\d pp after deploy$/);
    expect(latency.verdict).toMatch(/^p95 latency \+\d+ ms \(\+\d+ %\) after deploy$/);
  });

  it("an unknown request is NOT_FOUND; signed-out callers are refused", async () => {
    const w = await makeWorld();
    expect(await code((await as(w.developer)).impact.forRequest({ requestId: "nope" }))).toBe("NOT_FOUND");
    expect(await code((await as(null)).impact.forRequest({ requestId: "nope" }))).toBe("UNAUTHORIZED");
  });
});
