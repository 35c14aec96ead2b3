import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb, transaction } from "../../db";
import { as, makeWorld } from "../../../test/support/deployment-world";
import { uid } from "../../../test/support/factories";
import { FakeVendor } from "../../../test/support/fake-http";
import { runDeployment } from "../execution";
import { analysisStatus, judge, seconds, valuesOf, type AnalysisMetric } from "./analysis";
import { pollTargetHealth } from "./health";
import { assignWaves } from "./plan";
import { insertTarget, upsertPlan } from "./fleet-store";
import { runUntilSettled } from "./settle";

const db = () => getDb();
const code = async (p: Promise<unknown>) =>
  p.then(
    () => "OK",
    (e: { code?: string }) => e.code,
  );
let vendor: FakeVendor;
beforeAll(async () => {
  vendor = await FakeVendor.start();
  const pattern = `127.0.0.1:${vendor.port}`;
  await db().outboundAllowEntry.upsert({ where: { pattern }, update: {}, create: { pattern, reason: "fake health endpoint" } });
});
afterAll(async () => vendor.close());

async function fleetWorld() {
  const w = await makeWorld();
  const env = await db().environment.create({ data: { name: `fleet-${uid()}`, rank: -1 - Math.floor(Math.random() * 1e6) } });
  await db().serviceEnvironment.create({
    data: { serviceId: w.service.id, environmentId: env.id, currentVersion: "1.0.0", executorConfig: { durationMs: 0, failureRate: 0 } },
  });
  await db().approvalPolicy.create({ data: { name: `fleet ${uid()}`, environmentId: env.id, serviceId: w.service.id, requiredApprovals: 0 } });
  const a = await insertTarget(db().kysely, { environmentId: env.id, name: `a-${uid()}`, labels: { region: "eu" } });
  const b = await insertTarget(db().kysely, { environmentId: env.id, name: `b-${uid()}`, labels: { region: "us" } });
  return { w, env, a, b };
}

const plan = {
  waves: [{ name: "canary", match: { region: "eu" } }],
  maxParallel: 2,
  soakSeconds: 0,
  onUnhealthy: "hold" as const,
  onFailure: "stop" as const,
  analysis: null,
};

describe("who may do what", () => {
  it("anonymous callers get nothing; developers may not drain targets or edit plans; outsiders may not steer a rollout", async () => {
    const { w, env, a } = await fleetWorld();
    const anon = await as(null);
    expect(await code(anon.rollouts.environments())).toBe("UNAUTHORIZED");
    expect(await code(anon.rollouts.environment({ name: env.name }))).toBe("UNAUTHORIZED");
    expect(await code(anon.rollouts.forRequest({ requestId: "x" }))).toBe("UNAUTHORIZED");
    const dev = await as(w.developer);
    expect(await code(dev.rollouts.drain({ targetId: a.id, drained: true }))).toBe("FORBIDDEN");
    expect(await code(dev.rollouts.savePlan({ environmentId: env.id, plan }))).toBe("FORBIDDEN");
    const { id } = await dev.deployments.create({ serviceId: w.service.id, environmentId: env.id, version: "1.1.0", strategy: "rolling", summary: "Ship it" });
    await runDeployment(db(), id, { sleep: async () => undefined });
    const rollout = await db().rollout.findUniqueOrThrow({ where: { requestId: id } });
    expect(await code((await as(w.outsider)).rollouts.control({ rolloutId: rollout.id, action: "pause" }))).toBe("FORBIDDEN");
    expect(await code((await as(w.approver1)).rollouts.control({ rolloutId: rollout.id, action: "abort" }))).toBe("FORBIDDEN");
    const view = await (await as(w.outsider)).rollouts.forRequest({ requestId: id });
    expect(view?.can).toEqual({ pause: false, resume: false, abort: false });
    expect((await dev.rollouts.forRequest({ requestId: id }))?.can).toEqual({ pause: true, resume: false, abort: true });
    // The requester pauses and aborts: audited, and the request fails.
    expect(await dev.rollouts.control({ rolloutId: rollout.id, action: "pause", reason: "checking dashboards" })).toEqual({ status: "paused" });
    expect(await dev.rollouts.control({ rolloutId: rollout.id, action: "abort" })).toEqual({ status: "aborted" });
    expect(await code(dev.rollouts.control({ rolloutId: rollout.id, action: "resume" }))).toBe("CONFLICT");
    expect((await db().deploymentRequest.findUniqueOrThrow({ where: { id } })).status).toBe("failed");
    const audit = await db().auditEvent.findMany({ where: { subjectId: rollout.id }, orderBy: { seq: "asc" } });
    expect(audit.map((e) => e.action)).toEqual(expect.arrayContaining(["rollout.paused", "rollout.aborted"]));
  });

  it("admins drain a target (audited, event) and save a plan; bad plans are a 400 naming the field", async () => {
    const { w, env, a } = await fleetWorld();
    const admin = await as(w.admin);
    expect(await admin.rollouts.drain({ targetId: a.id, drained: true, reason: "failover to us" })).toMatchObject({ status: "applied", drained: true });
    expect(await db().auditEvent.findFirst({ where: { subjectId: a.id, action: "target.drained" } })).not.toBeNull();
    expect(
      await db().outboxEvent.findFirst({ where: { type: "rollout.target_drained", payload: { path: ["data", "target"], equals: a.name } } }),
    ).not.toBeNull();
    expect(await admin.rollouts.savePlan({ environmentId: env.id, plan })).toEqual({ revision: 0 });
    expect(await admin.rollouts.savePlan({ environmentId: env.id, plan: { ...plan, soakSeconds: 60 } })).toEqual({ revision: 1 });
    await expect(admin.rollouts.savePlan({ environmentId: env.id, plan: { ...plan, maxParallel: 0 } })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    const fleetView = await admin.rollouts.environment({ name: env.name });
    expect(fleetView.targets.find((t) => t.id === a.id)).toMatchObject({ drained: true, drainedReason: "failover to us" });
    expect(fleetView.plan.soakSeconds).toBe(60);
    expect(fleetView.can.administer).toBe(true);
    const listed = (await (await as(w.developer)).rollouts.environments()).find((e) => e.id === env.id);
    expect(listed).toMatchObject({ name: env.name });
    expect(Number(listed?.targets)).toBe(2);
    expect(Number(listed?.drained)).toBe(1);
    expect(await admin.rollouts.drain({ targetId: a.id, drained: false })).toMatchObject({ status: "applied", drained: false });
  });

  it("a request narrows its targets; an unknown target name is a 400 on targetNames", async () => {
    const { w, env, a } = await fleetWorld();
    const dev = await as(w.developer);
    const input = { serviceId: w.service.id, environmentId: env.id, version: "1.1.0", strategy: "rolling" as const, summary: "Ship it" };
    await expect(dev.deployments.create({ ...input, targetNames: ["nope"] })).rejects.toMatchObject({ code: "BAD_REQUEST", cause: { field: "targetNames" } });
    const { id } = await dev.deployments.create({ ...input, targetNames: [a.name] });
    await runDeployment(db(), id, { sleep: async () => undefined });
    const steps = await db().rolloutStep.findMany({ where: { rollout: { requestId: id } } });
    expect(steps.map((s) => s.targetId)).toEqual([a.id]);
  });
});

describe("target health", () => {
  it("polls the simulator and webhook health URLs through the URL guard, keeping history", async () => {
    const { env } = await fleetWorld();
    const web = await insertTarget(db().kysely, {
      environmentId: env.id,
      name: `web-${uid()}`,
      labels: {},
      healthCheck: { kind: "webhook", url: vendor.url("/readyz") },
    });
    const sick = await insertTarget(db().kysely, {
      environmentId: env.id,
      name: `sick-${uid()}`,
      labels: {},
      healthCheck: { kind: "simulator", healthy: false },
    });
    const blocked = await insertTarget(db().kysely, {
      environmentId: env.id,
      name: `meta-${uid()}`,
      labels: {},
      healthCheck: { kind: "webhook", url: "http://169.254.169.254/latest" },
    });
    vendor.answer({ status: 500, body: "[-]etcd failed: reason withheld" });
    await pollTargetHealth(db());
    const byId = async (id: string) => db().deploymentTarget.findUniqueOrThrow({ where: { id }, include: { healthChecks: true } });
    expect(await byId(web.id)).toMatchObject({ health: "unhealthy", healthMessage: expect.stringMatching(/HTTP 500: \[-\]etcd failed/) });
    expect(await byId(sick.id)).toMatchObject({ health: "unhealthy" });
    expect(await byId(blocked.id)).toMatchObject({ health: "unhealthy", healthMessage: expect.stringMatching(/Refusing to call/) });
    await pollTargetHealth(db(), { now: new Date(Date.now() + 60_000) });
    const t = await byId(web.id);
    expect(t.health).toBe("healthy");
    expect(t.healthChecks.map((h) => h.status).sort()).toEqual(["healthy", "unhealthy"]);
  });
});

describe("plans and analysis rules", () => {
  const t = (name: string, region: string) => ({ id: name, name, labels: { region } });
  it("assigns waves by labels and cumulative percentages; leftovers go last", () => {
    const targets = [t("eu-1", "eu"), t("eu-2", "eu"), t("us-1", "us"), t("us-2", "us"), t("ap-1", "ap"), t("ap-2", "ap")];
    const waves = assignWaves(targets, [
      { name: "canary", match: { region: "eu" }, percent: 10 },
      { name: "half", percent: 50 },
      { name: "ap", match: { region: "ap" } },
    ]);
    expect(waves.map((w) => [w.name, w.targets.map((x) => x.name)])).toEqual([
      ["canary", ["eu-1"]],
      ["half", ["ap-1", "ap-2"]],
      ["rest", ["eu-2", "us-1", "us-2"]],
    ]);
    expect(assignWaves(targets, []).map((w) => w.targets.length)).toEqual([6]);
  });

  it("reads Prometheus answers and judges measurements as Argo Rollouts does", async () => {
    expect(valuesOf({ status: "success", data: { resultType: "scalar", result: [1, "0.5"] } })).toEqual({ ok: true, values: [0.5] });
    expect(valuesOf({ status: "success", data: { resultType: "matrix", result: [] } })).toMatchObject({ ok: false });
    expect(valuesOf({ status: "error", errorType: "bad_data", error: "parse error" })).toEqual({ ok: false, message: "Prometheus bad_data: parse error" });
    const m: AnalysisMetric = {
      name: "e",
      interval: "1m",
      count: 3,
      failureLimit: 1,
      inconclusiveLimit: 0,
      consecutiveErrorLimit: 1,
      successCondition: "result[0] < 0.05",
      provider: { simulator: { metric: "error_rate" } },
    };
    expect(await judge(m, [0.01])).toMatchObject({ phase: "successful" });
    expect(await judge(m, [0.2])).toMatchObject({ phase: "failed" });
    expect(await judge(m, [])).toMatchObject({ phase: "inconclusive" });
    expect(await judge({ ...m, successCondition: "result[0] <" }, [0.1])).toMatchObject({ phase: "error" });
    expect(seconds("1m")).toBe(60);
    const at = new Date().toISOString();
    const meas = (phase: "successful" | "failed" | "error") => ({ metric: "e", at, phase, value: null, message: "" });
    const tpl = { metrics: [m] };
    expect(analysisStatus(tpl, [meas("failed")])).toBe("running");
    expect(analysisStatus(tpl, [meas("failed"), meas("failed")])).toBe("failed");
    expect(analysisStatus(tpl, [meas("error"), meas("error")])).toBe("error");
    expect(analysisStatus(tpl, [meas("successful"), meas("failed"), meas("successful")])).toBe("successful");
  });

  it("simulator metrics fail a bad version's canary", async () => {
    const { w, env } = await fleetWorld();
    await transaction(db(), (tx) =>
      upsertPlan(tx, env.id, {
        ...plan,
        onFailure: "rollback_failed",
        analysis: {
          metrics: [
            {
              name: "errors",
              interval: 0,
              count: 1,
              failureLimit: 0,
              inconclusiveLimit: 0,
              consecutiveErrorLimit: 4,
              successCondition: "result[0] < 0.05",
              provider: { simulator: { metric: "error_rate" } },
            },
          ],
        },
      }),
    );
    await db().serviceEnvironment.update({
      where: { serviceId_environmentId: { serviceId: w.service.id, environmentId: env.id } },
      data: { executorConfig: { durationMs: 0, failureRate: 0, fakeMetrics: { "1.1.0": { error_rate: 0.12 } } } },
    });
    const { id } = await (
      await as(w.developer)
    ).deployments.create({ serviceId: w.service.id, environmentId: env.id, version: "1.1.0", strategy: "rolling", summary: "Ship it" });
    await runDeployment(db(), id, { sleep: async () => undefined });
    await runUntilSettled(db(), id, { sleep: async () => undefined });
    expect((await db().deploymentRequest.findUniqueOrThrow({ where: { id } })).status).toBe("rolled_back");
  });
});
