import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb, transaction } from "../../db";
import { as, makeWorld } from "../../../test/support/deployment-world";
import { FakeVendor, type Answer } from "../../../test/support/fake-http";
import { drain, fleet, later, noSleep, pendingJobs, start, steps, threeRegions, type TargetSpec } from "../../../test/support/fleet-world";
import { rolloutTick } from "./loop";
import type { RolloutPlanSpec } from "./plan";
import { runQueuedStepsInProcess, runRolloutStep } from "./runner";
import { lockRollout } from "./rollout-store";
import { moveSteps, ROLLOUT_STEP_JOB, rolloutActor } from "./state-machine";
import { PIER_DEPLOYMENT_EVENTS, recordPierDeployments } from "../../dora/subscriber";

const db = () => getDb();
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
    // Claimed (its batch committed) and now inside the executor; on a busy machine the claim may take a while.
    const claimedBy = Date.now() + 10_000;
    while ((await db().rolloutStep.findUniqueOrThrow({ where: { id: jb.stepId } })).status !== "deploying" && Date.now() < claimedBy) {
      await new Promise((r) => setTimeout(r, 50));
    }
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

describe("the worker's step runner", () => {
  const settled = async (rolloutId: string, want: (s: Awaited<ReturnType<typeof steps>>) => boolean) => {
    const deadline = Date.now() + 10_000;
    while (!want(await steps(rolloutId)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return steps(rolloutId);
  };
  const stepJobs = async (rolloutId: string) => {
    const ids = new Set((await steps(rolloutId)).map((s) => s.id));
    const rows = await db().outboxEvent.findMany({ where: { type: ROLLOUT_STEP_JOB } });
    return rows.filter((r) => ids.has((r.payload as { stepId: string }).stepId));
  };

  it("claims the steps it has room for in the transaction that queues them and runs them after the commit; the rest get outbox jobs", async () => {
    const w = await makeWorld();
    const { env } = await fleet(w, threeRegions, { waves: [{ name: "canary", match: { region: "eu" } }], maxParallel: 2 });
    // Room for one executor at a time: the canary, then one of wave 2's two queued steps; the other waits for its job.
    const stop = runQueuedStepsInProcess(db(), 1, noSleep);
    try {
      const { requestId, rolloutId } = await start(w, env.id);
      const s = await settled(rolloutId, (all) => all.filter((x) => x.status === "succeeded").length === 3 && all.some((x) => x.status === "queued"));
      expect(s.map((x) => x.status).sort()).toEqual(["queued", "succeeded", "succeeded", "succeeded"]);
      // Only the step beyond the runner's room has a job; run as a worker would, it deploys that target.
      const jobs = await stepJobs(rolloutId);
      expect(jobs.map((j) => (j.payload as { stepId: string }).stepId)).toEqual([s.find((x) => x.status === "queued")!.id]);
      expect(await drain(rolloutId)).toBe(1);
      expect((await db().deploymentRequest.findUniqueOrThrow({ where: { id: requestId } })).status).toBe("succeeded");
      expect((await steps(rolloutId)).every((x) => x.status === "succeeded" && x.deployCount === 1 && x.attempt === 1)).toBe(true);
      // Each claim is audited as the queued → deploying move it is, after the step's pending → queued.
      const canary = s.find((x) => x.name === "prod-eu-1")!;
      const trail = await db().auditEvent.findMany({ where: { subjectId: canary.id }, orderBy: { seq: "asc" } });
      expect(trail.map((a) => a.action)).toEqual(["rollout.step.queued", "rollout.step.deploying", "rollout.step.succeeded"]);
    } finally {
      stop();
    }
  });

  it("a transaction that rolls back after claiming gives the runner its room back and leaves the step queued for its next start", async () => {
    const w = await makeWorld();
    const { env } = await fleet(w, threeRegions.slice(0, 2), { waves: [], maxParallel: 1 });
    const { requestId, rolloutId } = await start(w, env.id);
    // Started without a runner: the first target has its job, the second is pending.
    const pending = (await steps(rolloutId)).find((x) => x.status === "pending")!;
    const stop = runQueuedStepsInProcess(db(), 1, noSleep);
    try {
      const queue = async (fail: boolean) =>
        transaction(db(), async (tx) => {
          await lockRollout(tx, { id: rolloutId });
          const row = await tx.selectFrom("RolloutStep").selectAll().where("id", "=", pending.id).executeTakeFirstOrThrow();
          await moveSteps(tx, [row], "queued", { actor: rolloutActor });
          expect((await tx.selectFrom("RolloutStep").select("status").where("id", "=", pending.id).executeTakeFirstOrThrow()).status).toBe("deploying");
          if (fail) throw new Error("rolled back");
        });
      await expect(queue(true)).rejects.toThrow("rolled back");
      expect((await steps(rolloutId)).find((x) => x.id === pending.id)?.status).toBe("pending");
      // Had the rolled-back claim kept its slot, this one would have no room and get a job instead.
      await queue(false);
      await settled(rolloutId, (all) => all.find((x) => x.id === pending.id)?.status === "succeeded");
      expect((await stepJobs(rolloutId)).map((j) => (j.payload as { stepId: string }).stepId)).not.toContain(pending.id);
      expect(await drain(rolloutId)).toBe(1);
      expect((await db().deploymentRequest.findUniqueOrThrow({ where: { id: requestId } })).status).toBe("succeeded");
      expect((await steps(rolloutId)).every((x) => x.deployCount === 1)).toBe(true);
    } finally {
      stop();
    }
  });
});
