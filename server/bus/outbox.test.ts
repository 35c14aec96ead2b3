import { Worker } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDb, createDb, getDb, invalidationListening, leads, transaction } from "../db";
import { env } from "../env";
import { resetEnvForTests } from "../env";
import { closeQueues, getQueue, QUEUES, workerConnection } from "../platform/queues";
import { PrivateRedis } from "../../test/support/redis-server";
import { consumeOnce, dispatchOutbox, markOutboxProcessed, startOutboxDispatcher, writeOutbox, type OutboxBatchJobData, type OutboxJobData } from "./outbox";

let redis: PrivateRedis;

beforeAll(async () => {
  redis = await PrivateRedis.start();
  process.env.REDIS_URL = redis.url;
  resetEnvForTests();
  await closeQueues();
});

afterAll(async () => {
  await closeQueues();
  await redis.down();
});

/** The outbox rows a job carries: one, or a batch (the events queue batches, see OUTBOX_BATCH_QUEUES). */
const rowsOf = (data: OutboxJobData | OutboxBatchJobData) => ("batch" in data ? data.batch : [data]);

/** Consumes the events queue: counts effects per outbox id, made idempotent by consumeOnce. */
function startConsumer(effects: Map<string, number>) {
  const db = getDb();
  const worker = new Worker<OutboxJobData | OutboxBatchJobData>(
    QUEUES.events,
    async (job) => {
      for (const { outboxId } of rowsOf(job.data)) {
        await consumeOnce(db, "test-consumer", outboxId, async () => {
          effects.set(outboxId, (effects.get(outboxId) ?? 0) + 1);
        });
        await markOutboxProcessed(db.kysely, [outboxId]);
      }
    },
    { connection: workerConnection(redis.url), prefix: process.env.REDIS_PREFIX, concurrency: 10 },
  );
  worker.on("error", () => undefined);
  return worker;
}

async function waitFor(cond: () => Promise<boolean>, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("transactional outbox", () => {
  it("only writes the event when the caller's transaction commits", async () => {
    const db = getDb();
    await expect(
      transaction(db, async (tx) => {
        await writeOutbox(tx, { type: "test.doomed", payload: {} });
        throw new Error("rollback");
      }),
    ).rejects.toThrow("rollback");
    expect(await db.outboxEvent.count({ where: { type: "test.doomed" } })).toBe(0);
  });

  it("delivers events written while Redis is down once it is back, exactly once per id", async () => {
    const db = getDb();
    await redis.down();
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      const row = await transaction(db, async (tx) => writeOutbox(tx, { type: "test.outage", payload: { i } }));
      ids.push(row.id);
    }
    const whileDown = await dispatchOutbox(db);
    expect(whileDown.dispatched).toBe(0);
    expect(whileDown.error).toBeTruthy();
    expect(await db.outboxEvent.count({ where: { id: { in: ids }, dispatchedAt: null } })).toBe(25);
    // Taken, then given back: no attempt counted, the reason kept.
    expect(await db.outboxEvent.count({ where: { id: { in: ids }, attempts: 0, lastError: { not: null } } })).toBe(25);

    await redis.up();
    const effects = new Map<string, number>();
    const worker = startConsumer(effects);
    const dispatcher = startOutboxDispatcher(db, 20);
    await waitFor(async () => (await db.outboxEvent.count({ where: { id: { in: ids }, processedAt: null } })) === 0);
    await dispatcher.stop();
    await worker.close();
    expect([...effects.keys()].sort()).toEqual([...ids].sort());
    expect([...effects.values()].every((n) => n === 1)).toBe(true);
    // The 25 rows went out in one dispatch: as one batch job.
    const jobs = await getQueue(QUEUES.events).getJobs(["completed"]);
    const carried = jobs.flatMap((j) => rowsOf(j.data).map((r) => r.outboxId)).filter((id) => ids.includes(id));
    expect(carried.sort()).toEqual([...ids].sort());
    expect(jobs.filter((j) => rowsOf(j.data).some((r) => ids.includes(r.outboxId)))).toHaveLength(1);
  });

  it("queues that do not batch get one job per row, job id = outbox id", async () => {
    const db = getDb();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push((await transaction(db, async (tx) => writeOutbox(tx, { queue: QUEUES.deployments, type: "test.single", payload: { i } }))).id);
    // A batch that took as many rows as it could says more may be due; the next, short one says it took them all.
    expect(await dispatchOutbox(db, { batchSize: 2 })).toMatchObject({ dispatched: 2, full: true });
    expect(await dispatchOutbox(db, { batchSize: 2 })).toMatchObject({ dispatched: 1, full: false });
    const jobs = await getQueue(QUEUES.deployments).getJobs(["wait"]);
    expect(jobs.map((j) => j.id).sort()).toEqual([...ids].sort());
    expect(jobs.map((j) => (j.data as OutboxJobData).outboxId).sort()).toEqual([...ids].sort());
    await getQueue(QUEUES.deployments).obliterate({ force: true });
    await markOutboxProcessed(db.kysely, ids);
  });

  it("re-dispatches after Redis lost the jobs (flush) and the consumer still applies each event once", async () => {
    const db = getDb();
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await transaction(db, async (tx) => writeOutbox(tx, { type: "test.flush", payload: { i } }))).id);
    // Dispatched, then Redis forgets everything before any worker ran.
    expect((await dispatchOutbox(db)).dispatched).toBe(10);
    const effects = new Map<string, number>();
    // Half were consumed before the flush.
    for (const id of ids.slice(0, 5)) {
      await consumeOnce(db, "test-consumer", id, async () => void effects.set(id, 1));
      await markOutboxProcessed(db.kysely, [id]);
    }
    const flusher = new (await import("ioredis")).default(redis.url);
    expect(await getQueue(QUEUES.events).getJobCounts("wait")).toMatchObject({ wait: 1 }); // 10 rows, one batch job
    await flusher.flushall();
    flusher.disconnect();

    expect((await dispatchOutbox(db, { redeliverAfterMs: 60_000 })).dispatched).toBe(0); // not yet due
    const worker = startConsumer(effects);
    expect((await dispatchOutbox(db, { redeliverAfterMs: 0 })).dispatched).toBe(5);
    await waitFor(async () => (await db.outboxEvent.count({ where: { id: { in: ids }, processedAt: null } })) === 0);
    await worker.close();
    expect(ids.map((id) => effects.get(id))).toEqual(Array(10).fill(1));
    // A duplicate delivery of an already consumed event is skipped.
    expect(await consumeOnce(db, "test-consumer", ids[0], async () => "again")).toEqual({ skipped: true });
  });

  it("a commit in one process wakes the dispatcher of another at once (its poll is an hour away)", async () => {
    const web = getDb();
    // The worker process: its own handle (own pool and LISTEN connection), a dispatcher that polls once an hour.
    const worker = createDb(env().DATABASE_URL);
    const effects = new Map<string, number>();
    const consumer = startConsumer(effects);
    const dispatcher = startOutboxDispatcher(worker, 3_600_000);
    try {
      await invalidationListening(worker);
      await new Promise((r) => setTimeout(r, 200)); // the dispatcher's first run (at start) is over
      const started = Date.now();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await transaction(web, async (tx) => writeOutbox(tx, { type: "test.wake", payload: { i } }))).id);
      await waitFor(async () => (await web.outboxEvent.count({ where: { id: { in: ids }, processedAt: null } })) === 0, 10_000);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(ids.map((id) => effects.get(id))).toEqual([1, 1, 1, 1, 1]);
    } finally {
      await dispatcher.stop();
      await consumer.close();
      await closeDb(worker);
    }
  });

  it("one worker leads the woken dispatch; when it is gone another takes over at its next poll", async () => {
    const web = getDb();
    const a = createDb(env().DATABASE_URL);
    const b = createDb(env().DATABASE_URL);
    const effects = new Map<string, number>();
    const consumer = startConsumer(effects);
    const da = startOutboxDispatcher(a, 300);
    const db2 = startOutboxDispatcher(b, 300);
    let bStopped = false;
    try {
      await Promise.all([invalidationListening(a), invalidationListening(b)]);
      await waitFor(async () => leads(a, "outbox") || leads(b, "outbox"), 5000);
      await new Promise((r) => setTimeout(r, 700)); // both have polled since: still one leader
      expect([leads(a, "outbox"), leads(b, "outbox")].filter(Boolean)).toHaveLength(1);
      const [leader, other] = leads(a, "outbox") ? [a, b] : [b, a];
      // The leader's process goes away (its connections close): the other takes over.
      if (leader === b) {
        await db2.stop();
        bStopped = true;
      } else await da.stop();
      await closeDb(leader);
      await waitFor(async () => leads(other, "outbox"), 5000);
      const id = (await transaction(web, async (tx) => writeOutbox(tx, { type: "test.lead", payload: {} }))).id;
      await waitFor(async () => effects.get(id) === 1, 5000);
    } finally {
      if (!bStopped) await db2.stop();
      await da.stop();
      await consumer.close();
      await closeDb(a);
      await closeDb(b);
    }
  });
  it("direct: the dispatching process consumes fresh rows itself, no job; a batch it fails on goes to the queue", async () => {
    const db = getDb();
    const consumed: string[] = [];
    let failing = false;
    const consume = async (data: OutboxBatchJobData) => {
      if (failing) throw new Error("subscriber down");
      for (const { outboxId } of data.batch) await consumeOnce(db, "test-direct", outboxId, async () => void consumed.push(outboxId));
      await markOutboxProcessed(
        db.kysely,
        data.batch.map((r) => r.outboxId),
      );
    };
    const before = (await getQueue(QUEUES.events).getJobCounts("wait", "active", "completed", "failed")) as Record<string, number>;
    const dispatcher = startOutboxDispatcher(db, 20, { direct: { queue: QUEUES.events, consume } });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await transaction(db, async (tx) => writeOutbox(tx, { type: "test.direct", payload: { i } }))).id);
      await waitFor(async () => (await db.outboxEvent.count({ where: { id: { in: ids }, processedAt: null } })) === 0);
      expect(consumed.filter((id) => ids.includes(id)).sort()).toEqual([...ids].sort());
      const after = (await getQueue(QUEUES.events).getJobCounts("wait", "active", "completed", "failed")) as Record<string, number>;
      expect(after).toEqual(before);

      // A burst (more rows in one dispatch than a trickle) is queued for every worker process to share.
      const burst = await transaction(db, async (tx) => Array.from({ length: 11 }, (_, i) => writeOutbox(tx, { type: "test.direct", payload: { i } }).id));
      await waitFor(async () => (await getQueue(QUEUES.events).getJobs(["wait"])).some((j) => rowsOf(j.data).some((r) => r.outboxId === burst[0])));
      expect(consumed.filter((id) => burst.includes(id))).toEqual([]);

      failing = true;
      const id = (await transaction(db, async (tx) => writeOutbox(tx, { type: "test.direct", payload: { failing } }))).id;
      await waitFor(async () => (await getQueue(QUEUES.events).getJobs(["wait"])).some((j) => rowsOf(j.data).some((r) => r.outboxId === id)));
      expect(await db.outboxEvent.findUniqueOrThrow({ where: { id }, select: { attempts: true, processedAt: true } })).toEqual({
        attempts: 1,
        processedAt: null,
      });
    } finally {
      await dispatcher.stop();
      await getQueue(QUEUES.events).obliterate({ force: true });
    }
  });
});
