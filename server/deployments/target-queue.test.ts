import { describe, expect, it } from "vitest";
import { getDb, transaction } from "../db";
import { systemActor } from "../audit/audit-log";
import { QUEUES } from "../platform/queues";
import { as, makeWorld, requestInput, type World } from "../../test/support/deployment-world";
import { runDeployment, type RunOutcome } from "./execution";
import { reconcileStalledRuns } from "./reconciler";
import { transition } from "./state-machine";
import { isTargetSlotTaken } from "./target-queue";
import { deploymentMaintenanceTick, handleDeploymentJob } from "./worker";

const db = () => getDb();
const status = async (id: string) => (await db().deploymentRequest.findUniqueOrThrow({ where: { id } })).status;
const logsOf = async (id: string) => (await db().deploymentLog.findMany({ where: { requestId: id }, orderBy: { id: "asc" } })).map((l) => l.message);

async function queuedRequest(w: World, version: string, env: "dev" | "staging" | "prod" = "dev") {
  const { id } = await (await as(w.developer)).deployments.create(requestInput(w, env, version));
  expect(await status(id)).toBe("queued");
  return id;
}

async function waitFor(cond: () => Promise<boolean> | boolean, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Starts a run that stays deploying until released (its executor's sleeps wait for the gate). */
async function holdRun(id: string) {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const done = runDeployment(db(), id, { sleep: () => gate });
  await waitFor(async () => (await status(id)) === "deploying");
  return { release, done };
}

/** Unprocessed execution jobs per request. */
async function pendingJobs(id: string) {
  return db().outboxEvent.count({ where: { queue: QUEUES.deployments, processedAt: null, payload: { path: ["requestId"], equals: id } } });
}

/** Plays the deployments worker for one world's requests until no job is left (`parallel`: all pending jobs at once). */
async function drainJobs(w: World, parallel = false) {
  for (let round = 0; round < 50; round++) {
    const ids = (await db().deploymentRequest.findMany({ where: { serviceId: w.service.id }, select: { id: true } })).map((r) => r.id);
    const rows = (
      await db().outboxEvent.findMany({ where: { queue: QUEUES.deployments, processedAt: null }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] })
    ).filter((r) => ids.includes((r.payload as { requestId?: string }).requestId ?? ""));
    if (rows.length === 0) return;
    const handle = (r: (typeof rows)[number]) => handleDeploymentJob(db(), { outboxId: r.id, type: r.type, payload: r.payload as Record<string, unknown> });
    if (parallel) await Promise.all(rows.map(handle));
    else for (const r of rows) await handle(r);
  }
  throw new Error("jobs kept coming");
}

const runsOf = (ids: string[]) => db().deploymentRequest.findMany({ where: { id: { in: ids } }, orderBy: { startedAt: "asc" } });

describe("one deployment at a time per service and environment", () => {
  it("a second request waits while the first deploys, and starts once it finishes", async () => {
    const w = await makeWorld({ policies: { dev: { requiredApprovals: 0 } } });
    const first = await queuedRequest(w, "1.1.0");
    const second = await queuedRequest(w, "1.2.0");
    const run = await holdRun(first);

    const outcome = await runDeployment(db(), second);
    expect(outcome).toMatchObject({ outcome: "waiting", blocker: { id: first, version: "1.1.0", status: "deploying", environment: "dev" } });
    expect(await status(second)).toBe("queued");
    const line = `Waiting for 1.1.0 (request ${first}) to finish deploying to dev`;
    expect(await logsOf(second)).toEqual([line]);
    // A redelivered job does not repeat the line.
    await runDeployment(db(), second);
    expect(await logsOf(second)).toEqual([line]);
    const page = await (await as(w.developer)).deployments.get({ id: second });
    expect(page.waitingFor).toMatchObject({ id: first, status: "deploying" });
    expect((await (await as(w.developer)).deployments.get({ id: first })).waitingFor).toBeNull();

    // The finishing transaction makes the next job due.
    const before = await pendingJobs(second);
    run.release();
    expect(await run.done).toMatchObject({ outcome: "succeeded" });
    expect(await pendingJobs(second)).toBe(before + 1);
    await drainJobs(w);
    expect(await status(second)).toBe("succeeded");
    const [a, b] = await runsOf([first, second]);
    expect(a.id).toBe(first);
    expect(b.startedAt!.getTime()).toBeGreaterThanOrEqual(a.finishedAt!.getTime());
    const placement = await db().serviceEnvironment.findUniqueOrThrow({
      where: { serviceId_environmentId: { serviceId: w.service.id, environmentId: w.envs.dev.id } },
    });
    expect(placement.currentVersion).toBe("1.2.0");
  });

  it("starts queued requests oldest queued first, whatever order their jobs arrive in", async () => {
    const w = await makeWorld({ policies: { dev: { requiredApprovals: 0 } } });
    const running = await queuedRequest(w, "1.1.0");
    const [x, y, z] = [await queuedRequest(w, "1.2.0"), await queuedRequest(w, "1.3.0"), await queuedRequest(w, "1.4.0")];
    // Queue order y, z, x (not creation order).
    const t = Date.now();
    for (const [id, offset] of [
      [y, 1],
      [z, 2],
      [x, 3],
    ] as const)
      await db().deploymentRequest.update({ where: { id }, data: { queuedAt: new Date(t + offset * 1000) } });
    const run = await holdRun(running);
    expect(await runDeployment(db(), x)).toMatchObject({ outcome: "waiting", blocker: { id: running } });
    run.release();
    await run.done;
    // The target is free but y is first: z waits for it (and makes sure y's job is due).
    expect(await runDeployment(db(), z)).toMatchObject({ outcome: "waiting", blocker: { id: y, status: "queued" } });
    expect(await logsOf(z)).toEqual([`Waiting for 1.3.0 (request ${y}), ahead in the queue for dev, to deploy first`]);
    await drainJobs(w);
    const runs = await runsOf([x, y, z]);
    expect(runs.map((r) => r.id)).toEqual([y, z, x]);
    expect(runs.every((r) => r.status === "succeeded")).toBe(true);
    for (let i = 1; i < runs.length; i++) expect(runs[i].startedAt!.getTime()).toBeGreaterThanOrEqual(runs[i - 1].finishedAt!.getTime());
  });

  it("an automatic rollback waits for nothing but the failing run and goes before older queued requests", async () => {
    const w = await makeWorld({ policies: { dev: { requiredApprovals: 0, autoRollback: true } }, executorConfig: { durationMs: 0, failAtStep: 0 } });
    const bad = await queuedRequest(w, "1.1.0");
    const next = await queuedRequest(w, "1.2.0");
    const run = await holdRun(bad);
    // The run already read its (failing) config; what comes after it is healthy.
    await db().serviceEnvironment.update({
      where: { serviceId_environmentId: { serviceId: w.service.id, environmentId: w.envs.dev.id } },
      data: { executorConfig: { durationMs: 0, failureRate: 0 } },
    });
    expect(await runDeployment(db(), next)).toMatchObject({ outcome: "waiting" });
    run.release();
    expect(await run.done).toMatchObject({ outcome: "failed" });
    const rollback = await db().deploymentRequest.findFirstOrThrow({ where: { rollbackOfId: bad } });
    expect(rollback.status).toBe("queued");
    // `next` was queued first, but the rollback is first in line.
    expect(await runDeployment(db(), next)).toMatchObject({ outcome: "waiting", blocker: { id: rollback.id, rollback: true } });
    expect((await logsOf(next)).at(-1)).toBe(`Waiting for the rollback to 1.0.0 (request ${rollback.id}), ahead in the queue for dev, to deploy first`);
    await drainJobs(w);
    const runs = await runsOf([rollback.id, next]);
    expect(runs.map((r) => [r.id, r.status])).toEqual([
      [rollback.id, "succeeded"],
      [next, "succeeded"],
    ]);
    expect(await status(bad)).toBe("rolled_back");
  });

  it("a manual rollback waits for the run in progress, then jumps the queue", async () => {
    const w = await makeWorld({ policies: { dev: { requiredApprovals: 0 } } });
    const live = await queuedRequest(w, "1.1.0");
    await runDeployment(db(), live);
    const inFlight = await queuedRequest(w, "1.2.0");
    const later = await queuedRequest(w, "1.3.0");
    const run = await holdRun(inFlight);
    const { id: rollback } = await (await as(w.developer)).deployments.rollback({ id: live, reason: "bad config" });
    expect(await runDeployment(db(), rollback)).toMatchObject({ outcome: "waiting", blocker: { id: inFlight, status: "deploying" } });
    run.release();
    await run.done;
    await drainJobs(w);
    expect((await runsOf([inFlight, rollback, later])).map((r) => r.id)).toEqual([inFlight, rollback, later]);
  });

  it("cancelling a queued request takes it out of the queue and lets the next one through", async () => {
    const w = await makeWorld({ policies: { dev: { requiredApprovals: 0 } } });
    const head = await queuedRequest(w, "1.1.0");
    const behind = await queuedRequest(w, "1.2.0");
    // behind's job ran before head's: it waited, and its job is done.
    const [job] = await db().outboxEvent.findMany({ where: { queue: QUEUES.deployments, payload: { path: ["requestId"], equals: behind } } });
    await handleDeploymentJob(db(), { outboxId: job.id, type: job.type, payload: job.payload as Record<string, unknown> });
    expect(await status(behind)).toBe("queued");
    expect(await pendingJobs(behind)).toBe(0);
    await (await as(w.developer)).deployments.cancel({ id: head });
    expect(await pendingJobs(behind)).toBe(1);
    await drainJobs(w);
    expect([await status(head), await status(behind)]).toEqual(["cancelled", "succeeded"]);
  });

  it("other services and environments deploy in parallel", async () => {
    const policies = { dev: { requiredApprovals: 0 }, staging: { requiredApprovals: 0, allowSkipPromotion: true } };
    const w1 = await makeWorld({ policies });
    const w2 = await makeWorld({ policies });
    const runs = [
      await holdRun(await queuedRequest(w1, "1.1.0")),
      await holdRun(await queuedRequest(w1, "1.1.0", "staging")),
      await holdRun(await queuedRequest(w2, "1.1.0")),
    ];
    expect(await db().deploymentRequest.count({ where: { serviceId: { in: [w1.service.id, w2.service.id] }, status: "deploying" } })).toBe(3);
    for (const r of runs) r.release();
    expect((await Promise.all(runs.map((r) => r.done))).map((r) => r.outcome)).toEqual(["succeeded", "succeeded", "succeeded"]);
  });
});

describe("races", () => {
  it("concurrent starts of one target: exactly one deploys, the others wait and then run one by one in queue order", async () => {
    const w = await makeWorld({ policies: { dev: { requiredApprovals: 0 } } });
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push(await queuedRequest(w, `2.0.${i}`));
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const settled: RunOutcome[] = [];
    // Every request started twice at once (a redelivered job racing the first).
    const all = [...ids, ...ids].map((id) => runDeployment(db(), id, { sleep: () => gate }).then((o) => (settled.push(o), o)));
    await waitFor(() => settled.length === all.length - 1);
    const deploying = await db().deploymentRequest.findMany({ where: { id: { in: ids }, status: "deploying" } });
    expect(deploying).toHaveLength(1);
    // The lock, not the unique slot, turned the others away: each waits, bar the winner's twin (already started).
    expect(settled.filter((o) => o.outcome === "waiting")).toHaveLength(all.length - 2);
    expect(settled.filter((o) => o.outcome === "skipped")).toHaveLength(1);
    release();
    await Promise.all(all);
    await drainJobs(w, true);
    const runs = await runsOf(ids);
    expect(runs.every((r) => r.status === "succeeded" && r.attempt === 1)).toBe(true);
    for (let i = 1; i < runs.length; i++) expect(runs[i].startedAt!.getTime()).toBeGreaterThanOrEqual(runs[i - 1].finishedAt!.getTime());
    // After the first, queue order.
    expect(runs.slice(1).map((r) => r.id)).toEqual(ids.filter((id) => id !== deploying[0].id));
  });

  it("Postgres refuses a second deploying request of a target even without the lock", async () => {
    const w = await makeWorld({ policies: { dev: { requiredApprovals: 0 } } });
    const a = await queuedRequest(w, "1.1.0");
    const b = await queuedRequest(w, "1.2.0");
    const actor = systemActor("test");
    await transaction(db(), (tx) => transition(tx, a, ["queued"], "deploying", { actor }));
    const err = await transaction(db(), (tx) => transition(tx, b, ["queued"], "deploying", { actor })).catch((e: unknown) => e);
    expect(isTargetSlotTaken(err)).toBe(true);
    expect(await status(b)).toBe("queued");
    // Leaving deploying frees the slot.
    await transaction(db(), (tx) => transition(tx, a, ["deploying"], "failed", { actor }));
    await transaction(db(), (tx) => transition(tx, b, ["queued"], "deploying", { actor }));
    expect(await status(b)).toBe("deploying");
    expect(isTargetSlotTaken(new Error("something else"))).toBe(false);
  });
});

describe("reconciler and maintenance", () => {
  it("a dead worker's run is retried before the requests queued behind it, then the next one starts", async () => {
    const w = await makeWorld({ policies: { dev: { requiredApprovals: 0 } } });
    const stuck = await queuedRequest(w, "1.1.0");
    const behind = await queuedRequest(w, "1.2.0");
    const zombie = runDeployment(db(), stuck, { sleep: () => new Promise<void>(() => undefined) });
    await waitFor(async () => (await status(stuck)) === "deploying");
    expect(await runDeployment(db(), behind)).toMatchObject({ outcome: "waiting", blocker: { id: stuck } });
    expect((await reconcileStalledRuns(db(), { now: new Date(Date.now() + 5 * 60_000) })).retried).toContain(stuck);
    // Re-queued now, i.e. after `behind`, but it was already under way: it goes first.
    expect(await runDeployment(db(), behind)).toMatchObject({ outcome: "waiting", blocker: { id: stuck, status: "queued" } });
    await drainJobs(w);
    const runs = await runsOf([stuck, behind]);
    expect(runs.map((r) => [r.id, r.status, r.attempt])).toEqual([
      [stuck, "succeeded", 2],
      [behind, "succeeded", 1],
    ]);
    void zombie; // never settles: its worker is "dead"
  });

  it("a run failed after its last attempt frees the target at once; the sweep starts anything left waiting", async () => {
    const w = await makeWorld({ policies: { dev: { requiredApprovals: 0 } } });
    const stuck = await queuedRequest(w, "1.1.0");
    const behind = await queuedRequest(w, "1.2.0");
    await db().deploymentRequest.update({
      where: { id: stuck },
      data: { status: "deploying", deployingSlot: true, attempt: 3, heartbeatAt: new Date(Date.now() - 10 * 60_000) },
    });
    const [job] = await db().outboxEvent.findMany({
      where: { queue: QUEUES.deployments, processedAt: null, payload: { path: ["requestId"], equals: behind } },
    });
    await handleDeploymentJob(db(), { outboxId: job.id, type: job.type, payload: job.payload as Record<string, unknown> });
    expect(await pendingJobs(behind)).toBe(0);
    await deploymentMaintenanceTick(db());
    expect(await status(stuck)).toBe("failed");
    // The reconciler's finishing transaction made behind's job due; the sweep that ran after it added none.
    expect(await pendingJobs(behind)).toBe(1);

    // A job lost anyway (processed without effect): the sweep writes it again, once.
    await db().outboxEvent.updateMany({
      where: { queue: QUEUES.deployments, payload: { path: ["requestId"], equals: behind } },
      data: { processedAt: new Date() },
    });
    expect((await deploymentMaintenanceTick(db())).resumed).toBeGreaterThanOrEqual(1);
    expect(await pendingJobs(behind)).toBe(1);
    await deploymentMaintenanceTick(db());
    expect(await pendingJobs(behind)).toBe(1);
    await drainJobs(w);
    expect(await status(behind)).toBe("succeeded");
  });
});
