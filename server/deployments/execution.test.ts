import { Worker } from "bullmq";
import { afterAll, describe, expect, it } from "vitest";
import { getDb, transaction } from "../db";
import { verifyAuditChain } from "../audit/audit-log";
import { env } from "../env";
import { dispatchOutbox, type OutboxJobData } from "../bus/outbox";
import { QUEUES, workerConnection } from "../platform/queues";
import { as, makeWorld, requestInput, type World } from "../../test/support/deployment-world";
import { finishRunsInTx, runDeployment } from "./execution";
import { EXECUTE_JOB } from "./scheduling";
import { reconcileStalledRuns } from "./reconciler";
import { sweepSchedules } from "./scheduling";
import { deploymentMaintenanceTick, handleDeploymentJob, startDeploymentMaintenance } from "./worker";

const db = () => getDb();
const status = async (id: string) => (await db().deploymentRequest.findUniqueOrThrow({ where: { id } })).status;
const noSleep = { sleep: async () => undefined };

async function queuedRequest(w: World, version: string, env: "dev" | "staging" | "prod" = "dev") {
  const { id } = await (await as(w.developer)).deployments.create(requestInput(w, env, version));
  expect(await status(id)).toBe("queued");
  return id;
}

async function waitFor(cond: () => Promise<boolean>, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

const workers: Worker[] = [];
afterAll(async () => {
  await Promise.all(workers.map((w) => w.close()));
});

describe("simulator execution", () => {
  it("succeeds: logs progress, updates the live version, emits started/succeeded", async () => {
    const w = await makeWorld({ policies: { dev: { requiredApprovals: 0 } } });
    const id = await queuedRequest(w, "1.1.0");
    expect(await runDeployment(db(), id, noSleep)).toMatchObject({ outcome: "succeeded" });
    const r = await db().deploymentRequest.findUniqueOrThrow({ where: { id }, include: { logs: true } });
    expect(r).toMatchObject({ status: "succeeded", progress: 100, attempt: 1 });
    expect(r.logs.map((l) => l.message)).toEqual(expect.arrayContaining(["Pulling 1.1.0", "Health checks passed", "1.1.0 is live in dev"]));
    const placement = await db().serviceEnvironment.findUniqueOrThrow({
      where: { serviceId_environmentId: { serviceId: w.service.id, environmentId: w.envs.dev.id } },
    });
    expect(placement).toMatchObject({ currentVersion: "1.1.0", lastDeployedById: w.developer.id });
    expect(placement.lastDeployedAt).toBeInstanceOf(Date);
    const succeeded = await db().outboxEvent.findFirstOrThrow({
      where: { type: "deployment.succeeded", payload: { path: ["subject", "deploymentRequestId"], equals: id } },
    });
    expect(succeeded.payload).toMatchObject({ cdeventType: "dev.cdevents.service.deployed.0.2.0", data: { version: "1.1.0", previousVersion: "1.0.0" } });
    // Running the same job again (redelivery) does nothing.
    expect(await runDeployment(db(), id, noSleep)).toEqual({ outcome: "skipped" });
  });

  it("fails and rolls back automatically when the policy says so", async () => {
    const w = await makeWorld({ policies: { dev: { requiredApprovals: 0, autoRollback: true } }, executorConfig: { durationMs: 0, failAtStep: 2 } });
    const id = await queuedRequest(w, "1.1.0");
    expect(await runDeployment(db(), id, noSleep)).toMatchObject({ outcome: "failed", message: expect.stringMatching(/Simulated failure/) });
    expect(await status(id)).toBe("failed");
    const rollback = await db().deploymentRequest.findFirstOrThrow({ where: { rollbackOfId: id } });
    expect(rollback).toMatchObject({ status: "queued", version: "1.0.0", previousVersion: "1.1.0", approvalsRequired: 0 });
    // The rollback itself uses the same (failing) config at step 2, so make this environment healthy again first.
    await db().serviceEnvironment.update({
      where: { serviceId_environmentId: { serviceId: w.service.id, environmentId: w.envs.dev.id } },
      data: { executorConfig: { durationMs: 0, failureRate: 0 } },
    });
    expect(await runDeployment(db(), rollback.id, noSleep)).toMatchObject({ outcome: "succeeded" });
    expect(await status(id)).toBe("rolled_back");
    const types = (await db().outboxEvent.findMany({ where: { payload: { path: ["subject", "deploymentRequestId"], equals: id } } })).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(["deployment.failed", "deployment.rolled_back"]));
    const page = await (await as(w.developer)).deployments.get({ id });
    expect(page.timeline.map((t) => t.label)).toEqual(
      expect.arrayContaining(["Requested", "Approved", "Queued", "Started", "Failed", "Rollback requested", "Rolled back"]),
    );
  });

  it("does not roll back when the policy does not ask for it", async () => {
    const w = await makeWorld({ policies: { dev: { requiredApprovals: 0 } }, executorConfig: { durationMs: 0, failureRate: 1 } });
    const id = await queuedRequest(w, "1.1.0");
    expect(await runDeployment(db(), id, noSleep)).toMatchObject({ outcome: "failed" });
    expect(await db().deploymentRequest.count({ where: { rollbackOfId: id } })).toBe(0);
  });

  it("one-click rollback of the live version; refused for outsiders and for versions no longer live", async () => {
    const w = await makeWorld({ policies: { dev: { requiredApprovals: 0 } } });
    const first = await queuedRequest(w, "1.1.0");
    await runDeployment(db(), first, noSleep);
    await expect((await as(w.outsider)).deployments.rollback({ id: first })).rejects.toMatchObject({ code: "FORBIDDEN" });
    const second = await queuedRequest(w, "1.2.0");
    await runDeployment(db(), second, noSleep);
    await expect((await as(w.developer)).deployments.rollback({ id: first })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringMatching(/no longer the live version/),
    });
    const { id: rb } = await (await as(w.developer)).deployments.rollback({ id: second, reason: "latency up" });
    await expect((await as(w.developer)).deployments.rollback({ id: second })).rejects.toMatchObject({ code: "CONFLICT" });
    await runDeployment(db(), rb, noSleep);
    expect(await status(second)).toBe("rolled_back");
    const placement = await db().serviceEnvironment.findUniqueOrThrow({
      where: { serviceId_environmentId: { serviceId: w.service.id, environmentId: w.envs.dev.id } },
    });
    expect(placement.currentVersion).toBe("1.1.0");
  });

  it("cancel while queued: the worker then skips it", async () => {
    const w = await makeWorld({ policies: { dev: { requiredApprovals: 0 } } });
    const id = await queuedRequest(w, "1.1.0");
    await (await as(w.developer)).deployments.cancel({ id });
    expect(await runDeployment(db(), id, noSleep)).toEqual({ outcome: "skipped" });
    expect(await status(id)).toBe("cancelled");
  });

  it("runs through the real queue: outbox → BullMQ deployments worker → succeeded", async () => {
    const w = await makeWorld({ policies: { dev: { requiredApprovals: 0 } } });
    const id = await queuedRequest(w, "1.4.0");
    const worker = new Worker<OutboxJobData>(QUEUES.deployments, (job) => handleDeploymentJob(db(), job.data), {
      connection: workerConnection(),
      prefix: env().REDIS_PREFIX,
    });
    worker.on("error", () => undefined);
    workers.push(worker);
    await dispatchOutbox(db());
    await waitFor(async () => (await status(id)) === "succeeded");
    await waitFor(async () => (await db().outboxEvent.count({ where: { queue: QUEUES.deployments, processedAt: null } })) === 0);
  });
});

describe("ending many runs at once (finishRunsInTx, as a batch of rollouts finishing)", () => {
  it("ends each run once, for its attempt only, records the live versions and makes each target's next request due", async () => {
    const worlds = [
      await makeWorld({ policies: { dev: { requiredApprovals: 0 } }, executorConfig: { durationMs: 1000, failureRate: 0 } }),
      await makeWorld({ policies: { dev: { requiredApprovals: 0 } }, executorConfig: { durationMs: 1000, failureRate: 0 } }),
    ];
    // Each target has a run in progress (its worker parked in the executor's sleep) and a request queued behind it.
    const wakes: (() => void)[] = [];
    const running: string[] = [];
    const zombies: Promise<unknown>[] = [];
    const next: string[] = [];
    for (const w of worlds) {
      const id = await queuedRequest(w, "1.1.0");
      zombies.push(runDeployment(db(), id, { sleep: () => new Promise<void>((r) => wakes.push(r)) }));
      await waitFor(async () => (await status(id)) === "deploying");
      running.push(id);
      next.push(await queuedRequest(w, "1.2.0"));
    }
    const [a, b] = running;
    const jobsFor = (id: string) => db().outboxEvent.count({ where: { type: EXECUTE_JOB, payload: { path: ["requestId"], equals: id } } });
    const jobsBefore = await Promise.all(next.map(jobsFor));
    const ended = await transaction(db(), (tx) =>
      finishRunsInTx(tx, [
        { requestId: a, result: { outcome: "succeeded", message: "done", attempt: 1 } },
        // Another attempt's end is left alone; the same request named again ends it once.
        { requestId: b, result: { outcome: "failed", message: "old attempt", attempt: 7 } },
        { requestId: b, result: { outcome: "failed", message: "broken", attempt: 1 } },
        { requestId: a, result: { outcome: "failed", message: "second delivery" } },
      ]),
    );
    expect(ended.map((r) => r?.status ?? null)).toEqual(["succeeded", null, "failed", null]);
    expect(await status(a)).toBe("succeeded");
    expect(await status(b)).toBe("failed");
    const live = await db().serviceEnvironment.findUniqueOrThrow({
      where: { serviceId_environmentId: { serviceId: worlds[0].service.id, environmentId: worlds[0].envs.dev.id } },
    });
    expect(live.currentVersion).toBe("1.1.0");
    // Each freed target's first queued request got an execution job.
    expect(await Promise.all(next.map(jobsFor))).toEqual(jobsBefore.map((n) => n + 1));
    for (const [id, type] of [
      [a, "deployment.succeeded"],
      [b, "deployment.failed"],
    ]) {
      const events = await db().outboxEvent.findMany({ where: { type, payload: { path: ["subject", "deploymentRequestId"], equals: id } } });
      expect(events).toHaveLength(1);
    }
    for (const wake of wakes) wake();
    expect(await Promise.all(zombies)).toEqual([expect.objectContaining({ outcome: "abandoned" }), expect.objectContaining({ outcome: "abandoned" })]);
    expect(await status(a)).toBe("succeeded");
    expect((await verifyAuditChain(db())).ok).toBe(true);
  });
});

describe("schedules and the maintenance loop", () => {
  it("wait timer and scheduled windows hold an approved request until due; a missed window expires", async () => {
    const w = await makeWorld({ policies: { dev: { requiredApprovals: 1, waitTimerMinutes: 10 } } });
    const { id } = await (await as(w.developer)).deployments.create(requestInput(w, "dev", "1.1.0"));
    expect(await (await as(w.approver1)).approvals.decide({ requestId: id, decision: "approve" })).toMatchObject({ status: "approved", heldBy: "wait_timer" });
    expect(await status(id)).toBe("approved");
    await sweepSchedules(db(), new Date(Date.now() + 5 * 60_000));
    expect(await status(id)).toBe("approved");
    expect((await sweepSchedules(db(), new Date(Date.now() + 11 * 60_000))).queued).toBe(1);
    expect(await status(id)).toBe("queued");

    const from = new Date(Date.now() + 3600_000);
    const until = new Date(Date.now() + 7200_000);
    const late = await (await as(w.developer)).deployments.create(requestInput(w, "dev", "1.2.0", { scheduledFrom: from, scheduledUntil: until }));
    await (await as(w.approver1)).approvals.decide({ requestId: late.id, decision: "approve" });
    expect((await db().deploymentRequest.findUniqueOrThrow({ where: { id: late.id } })).notBefore).toEqual(from);
    expect((await deploymentMaintenanceTick(db(), new Date(until.getTime() + 1000))).expired).toBe(1);
    expect(await status(late.id)).toBe("expired");
  });

  it("the maintenance loop starts and stops cleanly", async () => {
    const stop = startDeploymentMaintenance(db(), 20);
    await new Promise((r) => setTimeout(r, 100));
    await stop();
  });
});

describe("stalled-run reconciler", () => {
  it("retries a run whose worker died, and the zombie run cannot finish it", async () => {
    const w = await makeWorld({ policies: { dev: { requiredApprovals: 0 } }, executorConfig: { durationMs: 1000, failureRate: 0 } });
    const id = await queuedRequest(w, "1.1.0");
    // The first worker "dies" mid-run: its sleep never returns on its own, so no more heartbeats.
    let wake: () => void = () => undefined;
    const zombie = runDeployment(db(), id, { sleep: () => new Promise<void>((r) => (wake = r)) });
    await waitFor(async () => (await db().deploymentLog.count({ where: { requestId: id } })) >= 2);
    expect(await status(id)).toBe("deploying");
    // Not stale yet: nothing happens.
    expect(await reconcileStalledRuns(db())).toEqual({ retried: [], failed: [] });
    const later = new Date(Date.now() + 5 * 60_000);
    expect(await reconcileStalledRuns(db(), { now: later })).toEqual({ retried: [id], failed: [] });
    expect(await status(id)).toBe("queued");
    expect(await db().outboxEvent.count({ where: { queue: QUEUES.deployments, payload: { path: ["requestId"], equals: id } } })).toBe(2);
    // A new worker takes attempt 2 and finishes; the zombie wakes up and finds the run is no longer its own.
    expect(await runDeployment(db(), id, noSleep)).toMatchObject({ outcome: "succeeded" });
    wake();
    expect(await zombie).toMatchObject({ outcome: "abandoned" });
    const r = await db().deploymentRequest.findUniqueOrThrow({ where: { id } });
    expect(r).toMatchObject({ status: "succeeded", attempt: 2 });
  });

  it("fails a run after the last attempt, and external runs that never report back", async () => {
    const w = await makeWorld({ policies: { dev: { requiredApprovals: 0 } } });
    const id = await queuedRequest(w, "1.1.0");
    const stale = new Date(Date.now() - 10 * 60_000);
    await db().deploymentRequest.update({ where: { id }, data: { status: "deploying", attempt: 3, heartbeatAt: stale } });
    expect(await reconcileStalledRuns(db(), { maxAttempts: 3 })).toEqual({ retried: [], failed: [id] });
    expect(await status(id)).toBe("failed");

    const ext = await queuedRequest(w, "1.2.0");
    await db().deploymentRequest.update({ where: { id: ext }, data: { status: "deploying", executor: "webhook", attempt: 1, heartbeatAt: stale } });
    expect(await reconcileStalledRuns(db())).toEqual({ retried: [], failed: [] });
    expect(await reconcileStalledRuns(db(), { externalTimeoutMs: 60_000 })).toEqual({ retried: [], failed: [ext] });
    const log = await db().deploymentLog.findFirstOrThrow({ where: { requestId: ext }, orderBy: { id: "desc" } });
    expect(log.message).toMatch(/No status from webhook/);
  });
});
