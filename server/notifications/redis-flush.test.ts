// End to end through the real path — outbox → events queue → routing → delivery queue → HTTP — with Redis flushed
// in the middle: every expected delivery is made, and none twice. Run twice: every delivery through its queue, and
// as a worker process runs them, first attempts sent directly by the routing process (direct-send.ts).
import { Worker } from "bullmq";
import IORedis from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb, transaction } from "../db";
import { resetEnvForTests } from "../env";
import { processOutboxJob } from "../bus/fanout";
import { emitTestEvent } from "../bus/events";
import { SUBSCRIBERS } from "../subscriptions";
import { startOutboxDispatcher, type OutboxJobData } from "../bus/outbox";
import { closeQueues, QUEUES, workerConnection } from "../platform/queues";
import { PrivateRedis } from "../../test/support/redis-server";
import { processDeliveries } from "./delivery";
import { deliveryIdsOf, notifyQueueName, type DeliveryJobData } from "./delivery-queue";
import { NOTIFICATION_SUBSCRIBER } from "./subscriber";
import { startNotificationSweeper } from "./sweeper";
import { startDirectSends } from "./direct-send";
import { FakeVendor } from "../../test/support/fake-http";
import { allow, eventFor, makeChannel, makeRoute, makeService } from "../../test/support/notification-fixtures";

let redis: PrivateRedis;
let sink: FakeVendor;

beforeAll(async () => {
  redis = await PrivateRedis.start();
  process.env.REDIS_URL = redis.url;
  resetEnvForTests();
  await closeQueues();
  sink = await FakeVendor.start();
  sink.fallback = { status: 200, body: "ok" };
  await allow(sink.hostPort);
});

afterAll(async () => {
  await closeQueues();
  await sink.close();
  await redis.down();
});

async function waitFor(cond: () => boolean | Promise<boolean>, ms: number) {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("Redis flushed mid-stream", () => {
  it.each([
    { mode: "queued", direct: false },
    { mode: "sent by the routing process", direct: true },
  ])("1,000 events in ($mode): every expected delivery made exactly once", { timeout: 240_000 }, async ({ direct }) => {
    const db = getDb();
    sink.reset();
    // The earlier run's routes ("everything" stops evaluation) would take this run's events.
    await db.notificationRoute.deleteMany({});
    const stopDirect = direct ? startDirectSends() : undefined;
    const tier1 = await makeService({ tier: 1 });
    const tier2 = await makeService({ tier: 2 });
    const hook = () => makeChannel("webhook", { url: sink.url("/sink"), signingSecret: "signing-secret-123456", headers: {} });
    const [all, release] = [await hook(), await hook()];
    await makeRoute({ name: "tier-1 releases", matchers: [{ label: "tier", op: "=", value: "1" }], channelIds: [release.id], continue: true });
    await makeRoute({ name: "everything", channelIds: [all.id] });

    // The workers' connection is ours to close: left open, it would keep reconnecting (and logging) after Redis stops.
    const connection = workerConnection(redis.url);
    connection.on("error", () => undefined);
    const opts = { connection, prefix: process.env.REDIS_PREFIX };
    const workers = [
      new Worker<OutboxJobData>(
        QUEUES.events,
        (job) =>
          processOutboxJob(
            db,
            job.data,
            SUBSCRIBERS.filter((s) => s.name === NOTIFICATION_SUBSCRIBER),
          ),
        { ...opts, concurrency: 8 },
      ),
      new Worker<DeliveryJobData>(notifyQueueName("webhook"), (job) => processDeliveries(db, deliveryIdsOf(job.data)), { ...opts, concurrency: 16 }),
    ];
    workers.forEach((w) => w.on("error", () => undefined));
    const dispatcher = startOutboxDispatcher(db, 20, { redeliverAfterMs: 3000 });
    // Lost = claimed or queued but not finished for 10 s: long enough that a slow delivery on a busy machine is not taken
    // for lost (that would claim it again: attempts 2), short enough to recover what the flush lost within the wait.
    const stopSweeper = startNotificationSweeper(db, 250, { lostAfterMs: 10_000 });

    const emit = async (from: number, to: number) => {
      for (let i = from; i < to; i += 50) {
        await transaction(db, async (tx) => {
          for (let j = i; j < Math.min(i + 50, to); j++) {
            const e = eventFor(j % 2 === 0 ? tier1 : tier2, "deployment.succeeded", { data: { version: `v${j}` } });
            emitTestEvent(tx, { type: e.type, severity: e.severity, subject: e.subject, actor: e.actor, data: e.data });
          }
        });
      }
    };

    try {
      await emit(0, 500);
      await waitFor(() => sink.requests.length >= 300, 120_000);
      const flusher = new IORedis(redis.url);
      await flusher.flushall();
      flusher.disconnect();
      const atFlush = sink.requests.length;
      await emit(500, 1000);

      // 1,000 events to "everything" + 500 tier-1 events to the release channel.
      const mine = { channelId: { in: [all.id, release.id] } };
      await waitFor(async () => (await db.delivery.count({ where: { ...mine, status: "delivered" } })) === 1500, 200_000);
      await new Promise((r) => setTimeout(r, 1000)); // any straggling duplicate would arrive now
      expect(atFlush).toBeLessThan(1500);
    } finally {
      await dispatcher.stop();
      await stopSweeper();
      await stopDirect?.();
      await Promise.all(workers.map((w) => w.close()));
      connection.disconnect();
    }

    const rows = await db.delivery.findMany({
      where: { channelId: { in: [all.id, release.id] } },
      select: { id: true, status: true, channelId: true, attempts: true },
    });
    expect(rows).toHaveLength(1500);
    expect(rows.filter((r) => r.channelId === release.id)).toHaveLength(500);
    expect(rows.every((r) => r.status === "delivered" && r.attempts === 1)).toBe(true);
    const sent = sink.requests.map((r) => r.headers["x-pier-delivery"] as string);
    expect(sent).toHaveLength(1500);
    expect(new Set(sent).size).toBe(1500);
    expect(new Set(sent)).toEqual(new Set(rows.map((r) => r.id)));
    expect(await db.outboxEvent.count({ where: { processedAt: null } })).toBe(0);
  });
});
