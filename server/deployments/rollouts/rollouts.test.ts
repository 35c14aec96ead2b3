import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "../../db";
import { as, makeWorld, type World } from "../../../test/support/deployment-world";
import { uid } from "../../../test/support/factories";
import { FakeVendor, type Answer } from "../../../test/support/fake-http";
import { runDeployment } from "../execution";
import { rolloutTick } from "./loop";
import type { RolloutPlanSpec } from "./plan";
import { insertTarget, upsertPlan } from "./rollout-store";
import { runQueuedStepsInProcess, runRolloutStep } from "./runner";
import { ROLLOUT_STEP_JOB } from "./state-machine";
import { transaction } from "../../db";
import { verifyAuditChain } from "../../audit/audit-log";
import { PIER_DEPLOYMENT_EVENTS, recordPierDeployments } from "../../dora/subscriber";

const db = () => getDb();
const noSleep = { sleep: async () => undefined };
let prom: FakeVendor;
/** Scripted Prometheus answers by target name (the query names the wave's targets), so rollouts of other tests never take them. */
const scripted = new Map<string, Answer[]>();

beforeAll(async () => {
  prom = await FakeVendor.start();
  prom.fallback = (req) => {
    const query = new URLSearchParams(req.body).get("query") ?? "";
    for (const [target, answers] of scripted) if (query.includes(target)) return answers.length > 1 ? answers.shift()! : answers[0];
    return prometheusAnswer("0.01");
  };
  const pattern = `127.0.0.1:${prom.port}`;
  await db().outboundAllowEntry.upsert({ where: { pattern }, update: {}, create: { pattern, reason: "fake Prometheus" } });
});
afterAll(async () => prom.close());

type TargetSpec = { name: string; labels: Record<string, string>; executorConfig?: Record<string, unknown>; health?: string; drained?: boolean };

/** A fleet environment of its own (so tests never share targets), with the world's service placed there. */
async function fleet(w: World, targets: TargetSpec[], plan: Partial<RolloutPlanSpec>) {
  const env = await db().environment.create({ data: { name: `fleet-${uid()}`, rank: -1 - Math.floor(Math.random() * 1e6) } });
  await db().serviceEnvironment.create({
    data: { serviceId: w.service.id, environmentId: env.id, currentVersion: "1.0.0", executorConfig: { durationMs: 0, failureRate: 0 } },
  });
  await db().approvalPolicy.create({ data: { name: `fleet ${uid()}`, environmentId: env.id, serviceId: w.service.id, requiredApprovals: 0 } });
  const ids: Record<string, string> = {};
  const names: Record<string, string> = {};
  for (const t of targets) {
    const row = await insertTarget(db().kysely, {
      environmentId: env.id,
      name: `${t.name}-${uid()}`,
      labels: t.labels,
      executorConfig: t.executorConfig ?? {},
    });
    ids[t.name] = row.id;
    names[t.name] = row.name;
    if (t.health || t.drained)
      await db().deploymentTarget.update({ where: { id: row.id }, data: { health: t.health ?? "unknown", drained: t.drained ?? false } });
  }
  await transaction(db(), (tx) =>
    upsertPlan(tx, env.id, { waves: [], maxParallel: 5, soakSeconds: 0, onUnhealthy: "hold", onFailure: "rollback_failed", analysis: null, ...plan }),
  );
  return { env, ids, names };
}

async function start(w: World, environmentId: string, version = "1.1.0") {
  const { id } = await (await as(w.developer)).deployments.create({ serviceId: w.service.id, environmentId, version, strategy: "rolling", summary: "Ship it" });
  const result = await runDeployment(db(), id, noSleep);
  expect(result).toMatchObject({ outcome: "pending" });
  const rollout = await db().rollout.findUniqueOrThrow({ where: { requestId: id } });
  return { requestId: id, rolloutId: rollout.id };
}

/** Pending step jobs of the rollout (outbox rows not yet processed). */
async function pendingJobs(rolloutId: string) {
  const rows = await db().outboxEvent.findMany({ where: { type: ROLLOUT_STEP_JOB, processedAt: null }, orderBy: { createdAt: "asc" } });
  const stepIds = new Set((await db().rolloutStep.findMany({ where: { rolloutId }, select: { id: true } })).map((s) => s.id));
  return rows.filter((r) => stepIds.has((r.payload as { stepId: string }).stepId));
}

/** Runs the rollout's step jobs like workers would, until none is left; returns how many ran at most at once. */
async function drain(rolloutId: string) {
  let peak = 0;
  for (;;) {
    const jobs = await pendingJobs(rolloutId);
    if (!jobs.length) return peak;
    peak = Math.max(peak, jobs.length);
    await db().outboxEvent.updateMany({ where: { id: { in: jobs.map((j) => j.id) } }, data: { processedAt: new Date() } });
    await Promise.all(
      jobs.map((j) => {
        const p = j.payload as { stepId: string; attempt: number };
        return runRolloutStep(db(), p.stepId, p.attempt, noSleep);
      }),
    );
  }
}

const steps = async (rolloutId: string) =>
  (await db().rolloutStep.findMany({ where: { rolloutId }, include: { target: true }, orderBy: [{ wave: "asc" }, { target: { name: "asc" } }] })).map((s) => ({
    name: s.target.name.replace(/-[0-9a-f]{8}$/, ""),
    wave: s.wave,
    status: s.status,
    deployCount: s.deployCount,
    attempt: s.attempt,
  }));

const later = (s: number) => new Date(Date.now() + s * 1000);

const threeRegions: TargetSpec[] = [
  { name: "prod-eu-1", labels: { region: "eu" } },
  { name: "prod-us-1", labels: { region: "us" } },
  { name: "prod-us-2", labels: { region: "us" } },
  { name: "prod-ap-1", labels: { region: "ap" } },
];

describe("wave scheduling", () => {
  it("picks waves by labels, keeps to maxParallel, soaks between waves and finishes the request", async () => {
    const w = await makeWorld();
    const { env } = await fleet(w, threeRegions, {
      waves: [{ name: "canary", match: { region: "eu" } }, { name: "half", percent: 50 }, { name: "rest" }],
      maxParallel: 1,
      soakSeconds: 60,
    });
    const { requestId, rolloutId } = await start(w, env.id);
    expect((await steps(rolloutId)).map((s) => [s.name, s.wave])).toEqual([
      ["prod-eu-1", 0],
      ["prod-ap-1", 1],
      ["prod-us-1", 2],
      ["prod-us-2", 2],
    ]);
    expect(await drain(rolloutId)).toBe(1);
    let r = await db().rollout.findUniqueOrThrow({ where: { id: rolloutId } });
    expect(r).toMatchObject({ status: "running", phase: "soaking", currentWave: 0 });
    // Nothing moves before the soak ends.
    await rolloutTick(db(), { now: later(30) });
    expect(await pendingJobs(rolloutId)).toHaveLength(0);
    await rolloutTick(db(), { now: later(61) });
    expect(await drain(rolloutId)).toBe(1);
    await rolloutTick(db(), { now: later(122) });
    expect(await drain(rolloutId)).toBe(1); // wave 3 has two targets, one at a time
    r = await db().rollout.findUniqueOrThrow({ where: { id: rolloutId } });
    expect(r.status).toBe("succeeded");
    expect((await steps(rolloutId)).every((s) => s.status === "succeeded" && s.deployCount === 1)).toBe(true);
    expect((await db().deploymentRequest.findUniqueOrThrow({ where: { id: requestId } })).status).toBe("succeeded");
  });

  it("holds a wave on an unhealthy target until it recovers; skips drained targets", async () => {
    const w = await makeWorld();
    const { env, ids } = await fleet(
      w,
      [
        { name: "a", labels: {}, health: "unhealthy" },
        { name: "b", labels: {}, drained: true },
      ],
      {},
    );
    const { rolloutId } = await start(w, env.id);
    expect(await pendingJobs(rolloutId)).toHaveLength(0);
    expect(await db().rollout.findUniqueOrThrow({ where: { id: rolloutId } })).toMatchObject({ status: "running", phase: "holding" });
    expect((await steps(rolloutId)).find((s) => s.name === "b")?.status).toBe("skipped");
    await db().deploymentTarget.update({ where: { id: ids.a }, data: { health: "healthy" } });
    await rolloutTick(db(), { now: later(11) });
    await drain(rolloutId);
    expect(await db().rollout.findUniqueOrThrow({ where: { id: rolloutId } })).toMatchObject({ status: "succeeded" });
  });

  it("skips an unhealthy target when the plan says skip", async () => {
    const w = await makeWorld();
    const { env } = await fleet(
      w,
      [
        { name: "a", labels: {}, health: "unhealthy" },
        { name: "b", labels: {} },
      ],
      { onUnhealthy: "skip" },
    );
    const { rolloutId } = await start(w, env.id);
    await drain(rolloutId);
    expect((await steps(rolloutId)).map((s) => s.status)).toEqual(["skipped", "succeeded"]);
    expect((await db().rollout.findUniqueOrThrow({ where: { id: rolloutId } })).status).toBe("succeeded");
  });
});

describe("failures and rollback", () => {
  it("a target failing rolls back only that wave's failed target; later waves never start", async () => {
    const w = await makeWorld();
    const { env } = await fleet(
      w,
      [
        { name: "eu-1", labels: { region: "eu" }, executorConfig: { failAtStep: 2 } },
        { name: "eu-2", labels: { region: "eu" } },
        { name: "us-1", labels: { region: "us" } },
      ],
      { waves: [{ name: "canary", match: { region: "eu" } }] },
    );
    const { requestId, rolloutId } = await start(w, env.id);
    await drain(rolloutId);
    expect(await steps(rolloutId)).toMatchObject([
      { name: "eu-1", status: "rolled_back" },
      { name: "eu-2", status: "succeeded" },
      { name: "us-1", status: "cancelled", deployCount: 0 },
    ]);
    expect((await db().rollout.findUniqueOrThrow({ where: { id: rolloutId } })).status).toBe("rolled_back");
    expect((await db().deploymentRequest.findUniqueOrThrow({ where: { id: requestId } })).status).toBe("rolled_back");
    const events = await db().outboxEvent.findMany({ where: { payload: { path: ["subject", "deploymentRequestId"], equals: requestId } } });
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(["deployment.failed", "deployment.rolled_back", "rollout.rolled_back"]));
  });
});

function prometheusAnswer(value: string): Answer {
  return {
    status: 200,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ status: "success", data: { resultType: "vector", result: [{ metric: { job: "checkout" }, value: [1700000000, value] }] } }),
  };
}

function analysisPlan(count = 2): Partial<RolloutPlanSpec> {
  return {
    waves: [{ name: "canary", match: { region: "eu" } }],
    analysis: {
      metrics: [
        {
          name: "error-rate",
          interval: 30,
          count,
          failureLimit: 0,
          inconclusiveLimit: 0,
          consecutiveErrorLimit: 0,
          successCondition: "result[0] < 0.05",
          failureCondition: "result[0] >= 0.1",
          provider: { prometheus: { address: prom.url("/"), query: 'sum(rate(http_errors{target=~"{{targets}}"}[5m]))' } },
        },
      ],
    },
  };
}

describe("verification against a Prometheus HTTP API", () => {
  const twoWaves: TargetSpec[] = [
    { name: "eu-1", labels: { region: "eu" } },
    { name: "us-1", labels: { region: "us" } },
  ];

  it("success: measured count times at the interval, then the next wave", async () => {
    const w = await makeWorld();
    const { env, names } = await fleet(w, twoWaves, analysisPlan(2));
    const { rolloutId } = await start(w, env.id);
    await drain(rolloutId);
    scripted.set(names["eu-1"], [prometheusAnswer("0.01"), prometheusAnswer("0.02")]);
    await rolloutTick(db(), { now: later(1) });
    expect(await db().rollout.findUniqueOrThrow({ where: { id: rolloutId } })).toMatchObject({ phase: "verifying", currentWave: 0 });
    await rolloutTick(db(), { now: later(32) });
    await drain(rolloutId);
    // The second wave is verified too (the fallback answers 0.01 for us-1).
    expect(await db().rollout.findUniqueOrThrow({ where: { id: rolloutId } })).toMatchObject({ phase: "verifying", currentWave: 1 });
    await rolloutTick(db(), { now: later(64) });
    await rolloutTick(db(), { now: later(96) });
    expect((await db().rollout.findUniqueOrThrow({ where: { id: rolloutId } })).status).toBe("succeeded");
    const q = prom.requests.find((r) => r.body.includes(names["eu-1"]))!;
    expect(q.url).toBe("/api/v1/query");
    expect(new URLSearchParams(q.body).get("query")).toBe(`sum(rate(http_errors{target=~"${names["eu-1"]}"}[5m]))`);
    expect((await db().rolloutAnalysis.findMany({ where: { rolloutId } })).map((a) => a.status)).toEqual(["successful", "successful"]);
  });

  it("failure: rolls back the canary wave's targets only, later waves never start, DORA and routing get the signal", async () => {
    const w = await makeWorld();
    const { env, names } = await fleet(w, twoWaves, analysisPlan(3));
    const { requestId, rolloutId } = await start(w, env.id);
    await drain(rolloutId);
    scripted.set(names["eu-1"], [prometheusAnswer("0.25")]);
    await rolloutTick(db(), { now: later(1) });
    await drain(rolloutId);
    expect(await steps(rolloutId)).toMatchObject([
      { name: "eu-1", status: "rolled_back" },
      { name: "us-1", status: "cancelled", deployCount: 0 },
    ]);
    expect(await db().rolloutAnalysis.findFirstOrThrow({ where: { rolloutId } })).toMatchObject({ status: "failed" });
    expect((await db().deploymentRequest.findUniqueOrThrow({ where: { id: requestId } })).status).toBe("rolled_back");
    const types = (await db().outboxEvent.findMany({ where: { payload: { path: ["subject", "deploymentRequestId"], equals: requestId } } })).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(["rollout.analysis_failed", "deployment.failed", "deployment.rolled_back"]));
    // DORA by target/region: the DORA subscriber records the request's outcome; the failure counts in the canary's
    // region and target, not in us-1's region (its step never started).
    const finished = await db().outboxEvent.findMany({
      where: { type: { in: [...PIER_DEPLOYMENT_EVENTS] }, payload: { path: ["subject", "deploymentRequestId"], equals: requestId } },
      orderBy: { createdAt: "asc" },
    });
    await transaction(db(), (tx) =>
      recordPierDeployments(
        tx,
        finished.map((e) => ({ ...(e.payload as object), id: e.id }) as Parameters<typeof recordPierDeployments>[1][number]),
        db(),
      ),
    );
    const dora = await as(w.developer);
    const range = { from: new Date(Date.now() - 86_400_000), to: new Date(Date.now() + 86_400_000), environment: env.name, serviceId: w.service.id };
    const eu = await dora.dora.summary({ ...range, target: "region:eu" });
    expect(eu.current).toMatchObject({ deployments: 1, failures: 1 });
    expect((await dora.dora.summary({ ...range, target: `target:${names["eu-1"]}` })).current.failures).toBe(1);
    expect((await dora.dora.summary({ ...range, target: "region:us" })).current).toMatchObject({ deployments: 0, failures: 0 });
    expect((await dora.dora.deployments({ ...range, target: "region:eu" })).total).toBe(1);
    await expect(dora.dora.summary({ ...range, target: "eu" })).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("target") });
  });

  it("inconclusive: pauses for a person; resuming accepts the wave", async () => {
    const w = await makeWorld();
    const { env, names } = await fleet(w, twoWaves, analysisPlan(1));
    const { rolloutId } = await start(w, env.id);
    await drain(rolloutId);
    scripted.set(names["eu-1"], [prometheusAnswer("0.07")]);
    await rolloutTick(db(), { now: later(1) });
    expect(await db().rollout.findUniqueOrThrow({ where: { id: rolloutId } })).toMatchObject({
      status: "paused",
      message: expect.stringMatching(/inconclusive/),
    });
    await (await as(w.developer)).rollouts.control({ rolloutId, action: "resume" });
    await drain(rolloutId);
    await rolloutTick(db(), { now: later(2) });
    expect((await db().rollout.findUniqueOrThrow({ where: { id: rolloutId } })).status).toBe("succeeded");
  });

  it("error: a Prometheus error answer fails the analysis (consecutiveErrorLimit 0) and rolls back", async () => {
    const w = await makeWorld();
    const { env, names } = await fleet(w, twoWaves, analysisPlan(2));
    const { rolloutId } = await start(w, env.id);
    await drain(rolloutId);
    scripted.set(names["eu-1"], [
      {
        status: 422,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ status: "error", errorType: "execution", error: "query timed out" }),
      },
    ]);
    await rolloutTick(db(), { now: later(1) });
    const a = await db().rolloutAnalysis.findFirstOrThrow({ where: { rolloutId } });
    expect(a).toMatchObject({ status: "error", message: expect.stringMatching(/execution: query timed out/) });
    await drain(rolloutId);
    expect((await db().rollout.findUniqueOrThrow({ where: { id: rolloutId } })).status).toBe("rolled_back");
  });
});

describe("a worker killed mid-wave", () => {
  it("resumes without deploying any target twice", async () => {
    const w = await makeWorld();
    const { env } = await fleet(
      w,
      [
        { name: "a", labels: {} },
        { name: "b", labels: {} },
        { name: "c", labels: {} },
      ],
      { maxParallel: 3 },
    );
    const { requestId, rolloutId } = await start(w, env.id);
    const jobs = await pendingJobs(rolloutId);
    expect(jobs).toHaveLength(3);
    // Worker 1 finishes a; worker 2 claims b and dies inside the executor (its run never reports back).
    const [ja, jb, jc] = jobs.map((j) => j.payload as { stepId: string; attempt: number });
    await runRolloutStep(db(), ja.stepId, ja.attempt, noSleep);
    let release!: () => void;
    let released = false;
    const hung = runRolloutStep(db(), jb.stepId, jb.attempt, {
      sleep: () =>
        released
          ? Promise.resolve()
          : new Promise<void>((r) => {
              release = () => {
                released = true;
                r();
              };
            }),
    });
    await new Promise((r) => setTimeout(r, 200));
    expect((await db().rolloutStep.findUniqueOrThrow({ where: { id: jb.stepId } })).status).toBe("deploying");
    await db().outboxEvent.updateMany({ where: { id: { in: jobs.map((j) => j.id) } }, data: { processedAt: new Date() } });
    // The redelivered job of a finished step does nothing.
    expect(await runRolloutStep(db(), ja.stepId, ja.attempt, noSleep)).toEqual({ outcome: "skipped" });
    // The loop sees b's heartbeat go stale and queues a new attempt; c's job still runs once.
    await rolloutTick(db(), { now: later(61) });
    await runRolloutStep(db(), jc.stepId, jc.attempt, noSleep);
    await drain(rolloutId);
    // The dead worker's run wakes up late and finishes: its attempt is no longer the step's, nothing is recorded.
    release();
    expect(await hung).toMatchObject({ outcome: "succeeded" });
    const s = await steps(rolloutId);
    expect(s.map((x) => [x.name, x.status, x.deployCount])).toEqual([
      ["a", "succeeded", 1],
      ["b", "succeeded", 1],
      ["c", "succeeded", 1],
    ]);
    expect(s.find((x) => x.name === "b")?.attempt).toBe(2);
    expect((await db().deploymentRequest.findUniqueOrThrow({ where: { id: requestId } })).status).toBe("succeeded");
  });
});

describe("the worker's fast path", () => {
  it("runs the steps it queued right after the commit; the outbox jobs then find them claimed", async () => {
    const w = await makeWorld();
    const { env } = await fleet(w, threeRegions, { waves: [{ name: "canary", match: { region: "eu" } }], maxParallel: 2 });
    const stop = runQueuedStepsInProcess(db(), 10, noSleep);
    try {
      const { requestId, rolloutId } = await start(w, env.id);
      const deadline = Date.now() + 10_000;
      while ((await db().deploymentRequest.findUniqueOrThrow({ where: { id: requestId } })).status === "deploying" && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect((await db().deploymentRequest.findUniqueOrThrow({ where: { id: requestId } })).status).toBe("succeeded");
      const jobs = await pendingJobs(rolloutId);
      expect(jobs.length).toBe(4);
      for (const j of jobs) {
        const p = j.payload as { stepId: string; attempt: number };
        expect(await runRolloutStep(db(), p.stepId, p.attempt, noSleep)).toEqual({ outcome: "skipped" });
      }
      expect((await steps(rolloutId)).every((s) => s.deployCount === 1 && s.attempt === 1)).toBe(true);
    } finally {
      stop();
    }
  });
});

describe("steps claimed and ended in batches", () => {
  it("many rollouts' steps at once: fewer audit appends than steps, each target deployed once, the chain verifies", async () => {
    const w = await makeWorld();
    const { env } = await fleet(w, threeRegions, { waves: [{ name: "canary", match: { region: "eu" } }], maxParallel: 3 });
    const rollouts = [];
    for (const version of ["1.1.0", "1.2.0", "1.3.0"]) {
      const other = await db().service.create({ data: { slug: `svc-${uid()}`, name: `Batch ${uid()}`, teamId: w.team.id, tier: 2 } });
      await db().serviceEnvironment.create({
        data: { serviceId: other.id, environmentId: env.id, currentVersion: "1.0.0", executorConfig: { durationMs: 0, failureRate: 0 } },
      });
      await db().approvalPolicy.create({ data: { name: `batch ${uid()}`, environmentId: env.id, serviceId: other.id, requiredApprovals: 0 } });
      rollouts.push(await start({ ...w, service: other }, env.id, version));
    }
    const seqBefore = (await db().auditEvent.aggregate({ _max: { seq: true } }))._max.seq ?? 0n;
    // Every job of every rollout delivered at once, twice (fast path and outbox): the batches sort them out.
    for (;;) {
      const jobs = (await Promise.all(rollouts.map((r) => pendingJobs(r.rolloutId)))).flat();
      if (!jobs.length) break;
      await db().outboxEvent.updateMany({ where: { id: { in: jobs.map((j) => j.id) } }, data: { processedAt: new Date() } });
      const runs = jobs.flatMap((j) => {
        const p = j.payload as { stepId: string; attempt: number };
        return [runRolloutStep(db(), p.stepId, p.attempt, noSleep), runRolloutStep(db(), p.stepId, p.attempt, noSleep)];
      });
      const outcomes = (await Promise.all(runs)).map((r) => r.outcome);
      expect(outcomes.filter((o) => o === "skipped")).toHaveLength(jobs.length);
    }
    for (const r of rollouts) {
      expect((await db().deploymentRequest.findUniqueOrThrow({ where: { id: r.requestId } })).status).toBe("succeeded");
      expect((await steps(r.rolloutId)).map((s) => [s.status, s.deployCount, s.attempt])).toEqual(Array(4).fill(["succeeded", 1, 1]));
    }
    // One record per step claimed and per step ended, in fewer chain appends (same createdAt = one append).
    const records = await db().auditEvent.findMany({ where: { seq: { gt: seqBefore }, action: { in: ["rollout.step.deploying", "rollout.step.succeeded"] } } });
    expect(records).toHaveLength(2 * 12);
    expect(new Set(records.map((r) => r.createdAt.toISOString())).size).toBeLessThan(records.length);
    expect((await verifyAuditChain(db())).ok).toBe(true);
  });
});
