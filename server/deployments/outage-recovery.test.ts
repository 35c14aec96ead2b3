// The database goes away under the workers: every job fails as if Postgres refused connections until its retries
// are spent (BullMQ keeps it as failed). When the database is back, the outbox's re-dispatch must yield a runnable
// job (not an add BullMQ ignores because the failed job of that id still exists), so the request reaches a terminal
// state, its target is free for the next request, the row is not re-sent for ever, and nothing runs twice. The same
// for the events queue (the fan-out that feeds DORA and notifications).
import { Queue, Worker, type Job } from "bullmq";
import { afterAll, describe, expect, it } from "vitest";
import { getDb, transaction } from "../db";
import { emitPierEvent } from "../bus/events";
import { processOutboxJob, subscriber } from "../bus/fanout";
import { dispatchOutbox, type OutboxBatchJobData, type OutboxJobData } from "../bus/outbox";
import { DEFAULT_JOB_OPTIONS, QUEUES, queuePrefix, workerConnection } from "../platform/queues";
import { as, makeWorld, requestInput } from "../../test/support/deployment-world";
import { handleDeploymentJob } from "./worker";

const db = () => getDb();
const status = async (id: string) => (await db().deploymentRequest.findUniqueOrThrow({ where: { id } })).status;

async function waitFor(cond: () => Promise<boolean> | boolean, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
}

// Queues as the dispatcher sees them, with retries spent in milliseconds instead of minutes.
const queues = new Map<string, Queue>();
const queueFor = async (name: string) => {
  let q = queues.get(name);
  if (!q) {
    q = new Queue(name, {
      connection: workerConnection(),
      prefix: queuePrefix(),
      defaultJobOptions: { attempts: 2, backoff: { type: "fixed", delay: 10 }, removeOnFail: { age: 3600 }, removeOnComplete: { age: 3600 } },
    });
    queues.set(name, q);
  }
  return q;
};

/** What a handler sees while Postgres is down. */
const connectionRefused = () => Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });

/** A worker whose first `failures` jobs (of those `affected`) fail as if the database were down; then it runs `handle`. */
function flakyWorker(queue: string, failures: number, handle: (job: Job) => Promise<unknown>, affected: (job: Job) => boolean = () => true) {
  const state = { down: failures, calls: 0 };
  const worker = new Worker(
    queue,
    async (job) => {
      if (!affected(job)) return handle(job);
      state.calls++;
      if (state.down > 0) {
        state.down--;
        throw connectionRefused();
      }
      return handle(job);
    },
    { connection: workerConnection(), prefix: queuePrefix(), concurrency: 4 },
  );
  worker.on("error", () => undefined);
  return { worker, state };
}

afterAll(async () => {
  await Promise.all([...queues.values()].map((q) => q.close()));
});

describe("recovery after the workers lost the database", () => {
  it("retries jobs long enough to outlast a 30 s outage before giving up", () => {
    const attempts = DEFAULT_JOB_OPTIONS.attempts ?? 1;
    const backoff = DEFAULT_JOB_OPTIONS.backoff as { type: string; delay: number };
    expect(backoff.type).toBe("exponential");
    // Waits between attempts: delay · 2^(n-1) for n = 1 … attempts-1.
    const totalWaitMs = backoff.delay * (2 ** (attempts - 1) - 1);
    expect(totalWaitMs).toBeGreaterThanOrEqual(120_000);
  });

  it("a request whose job failed during the outage deploys once after it, and its target takes the next request", async () => {
    const w = await makeWorld();
    const { id } = await (await as(w.developer)).deployments.create(requestInput(w, "dev", "2.0.0"));
    expect(await status(id)).toBe("queued");
    const { worker, state } = flakyWorker(QUEUES.deployments, 2, (job) => handleDeploymentJob(db(), job.data as OutboxJobData));
    try {
      await dispatchOutbox(db(), { queueFor });
      const q = await queueFor(QUEUES.deployments);
      // Both attempts fail: the job is kept as failed, the outbox row stays unprocessed, the request queued.
      await waitFor(async () => (await q.getJobCounts("failed")).failed >= 1);
      expect(await status(id)).toBe("queued");

      // The database is back; the outbox's redelivery comes round.
      const redispatch = await dispatchOutbox(db(), { queueFor, redeliverAfterMs: 0 });
      expect(redispatch.dispatched).toBeGreaterThanOrEqual(1);
      await waitFor(async () => (await status(id)) === "succeeded");
      const request = await db().deploymentRequest.findUniqueOrThrow({ where: { id } });
      expect(request.attempt).toBe(1); // ran once
      const starts = await db().auditEvent.count({ where: { subjectId: id, action: "deployment.deploying" } });
      expect(starts).toBe(1);
      // Processed, so no later redelivery round sends it again.
      await waitFor(async () => (await db().outboxEvent.count({ where: { queue: QUEUES.deployments, processedAt: null } })) === 0);

      // The target is not wedged: the next request of the same service and environment deploys.
      const next = await (await as(w.developer)).deployments.create(requestInput(w, "dev", "2.0.1"));
      await dispatchOutbox(db(), { queueFor });
      await waitFor(async () => (await status(next.id)) === "succeeded");
      expect(state.calls).toBe(4); // 2 failed attempts, the re-dispatched run, the next request's run
    } finally {
      await worker.close();
    }
  });

  it("an event whose fan-out job failed during the outage reaches its subscriber exactly once after it", async () => {
    const seen: string[] = [];
    const recorder = subscriber("outage-recorder", ["test.event"], async (_tx, events) => void seen.push(...events.map((e) => e.id)));
    const row = await transaction(db(), async (tx) => emitPierEvent(tx, { type: "test.event", severity: "info", subject: {}, data: { n: 1 } }));
    const rowsOf = (data: OutboxJobData | OutboxBatchJobData) => ("batch" in data ? data.batch : [data]);
    const { worker } = flakyWorker(
      QUEUES.events,
      2,
      (job) => processOutboxJob(db(), job.data as OutboxJobData | OutboxBatchJobData, [recorder]),
      (job) => rowsOf(job.data as OutboxJobData | OutboxBatchJobData).some((r) => r.outboxId === row.id),
    );
    try {
      await dispatchOutbox(db(), { queueFor });
      const q = await queueFor(QUEUES.events);
      await waitFor(async () => (await q.getJobCounts("failed")).failed >= 1);
      expect(seen).toEqual([]);

      await dispatchOutbox(db(), { queueFor, redeliverAfterMs: 0 });
      await waitFor(async () => (await db().outboxEvent.findUniqueOrThrow({ where: { id: row.id } })).processedAt !== null);
      // Another redelivery (a lost-job false alarm) changes nothing: the consumed-marker holds.
      await dispatchOutbox(db(), { queueFor, redeliverAfterMs: 0 });
      expect(seen).toEqual([row.id]);
    } finally {
      await worker.close();
    }
  });

  it("does not add a second job while the row's job is still waiting or retrying", async () => {
    const row = await transaction(db(), async (tx) => emitPierEvent(tx, { type: "test.event", severity: "info", subject: {}, data: { n: 2 } }));
    await dispatchOutbox(db(), { queueFor });
    const q = await queueFor(QUEUES.events);
    const before = await q.getJobCounts("waiting", "delayed", "prioritized");
    await dispatchOutbox(db(), { queueFor, redeliverAfterMs: 0 });
    // Seen alive: no second job, the dispatch time renewed, the attempt not counted.
    expect(await q.getJobCounts("waiting", "delayed", "prioritized")).toEqual(before);
    const stored = await db().outboxEvent.findUniqueOrThrow({ where: { id: row.id } });
    expect(stored.attempts).toBe(1);
  });
});
