// The sweeper repairs what a dead worker or a lost database leaves behind: a delivery whose job failed (its handler
// threw while Postgres was away) gets a runnable job again, and a row left "sending" by a killed worker is retried
// once its lease has passed — within a minute, not five.
import { UnrecoverableError, Worker } from "bullmq";
import { afterAll, describe, expect, it } from "vitest";
import { getDb, transaction } from "../db";
import { getReadyQueue, queuePrefix, workerConnection } from "../platform/queues";
import { notifyQueueName } from "./delivery-queue";
import { routeEvent } from "./routing";
import { SENDING_LEASE_MS, sweepNotifications } from "./sweeper";
import { eventFor, makeChannel, makeRoute, makeService } from "../../test/support/notification-fixtures";

const connection = workerConnection();
afterAll(() => connection.disconnect());

async function pendingDelivery() {
  const svc = await makeService();
  const channel = await makeChannel("webhook", { url: "http://127.0.0.1:9/hook", signingSecret: "signing-secret-123456", headers: {} });
  await makeRoute({ name: `r-${channel.id}`, channelIds: [channel.id] });
  const [row] = await transaction(getDb(), (tx) => routeEvent(tx, eventFor(svc, "deployment.failed"), new Date()));
  return row;
}

/**
 * Runs the delivery queue with a handler that throws, as it does while the database is unreachable, until each
 * job has spent its retries (UnrecoverableError: as its last attempt would, without waiting through the backoff).
 */
async function failQueuedJobs(expected: number) {
  let failed = 0;
  const worker = new Worker(notifyQueueName("webhook"), () => Promise.reject(new UnrecoverableError("connect ECONNREFUSED 127.0.0.1:5432")), {
    connection,
    prefix: queuePrefix(),
  });
  await new Promise<void>((resolve) => worker.on("failed", () => ++failed === expected && resolve()));
  await worker.close();
}

describe("notification sweeper", () => {
  it("re-enqueues a pending delivery whose job failed: the failed job is replaced by a runnable one", async () => {
    const row = await pendingDelivery();
    const queue = await getReadyQueue(notifyQueueName("webhook"));
    // The job routing queued (after commit) fails: the row is still pending, its job is kept as failed.
    await expect.poll(() => queue.getJobState(row.id)).toBe("waiting");
    await failQueuedJobs(1);
    expect(await queue.getJobState(row.id)).toBe("failed");

    const result = await sweepNotifications(getDb(), { lostAfterMs: 0 });
    expect(result.requeued).toBeGreaterThanOrEqual(1);
    expect(await queue.getJobState(row.id)).toBe("waiting");
  });

  it("retries a row left sending past its lease, and leaves one within it", async () => {
    const [stale, fresh] = [await pendingDelivery(), await pendingDelivery()];
    const now = Date.now();
    await getDb().delivery.update({ where: { id: stale.id }, data: { status: "sending", attempts: 1, updatedAt: new Date(now - SENDING_LEASE_MS - 1000) } });
    await getDb().delivery.update({ where: { id: fresh.id }, data: { status: "sending", attempts: 1, updatedAt: new Date(now - SENDING_LEASE_MS / 2) } });

    const result = await sweepNotifications(getDb(), { lostAfterMs: 0 });
    expect(result.reclaimed).toBe(1);
    const rows = await getDb().delivery.findMany({ where: { id: { in: [stale.id, fresh.id] } }, select: { id: true, status: true, lastError: true } });
    expect(rows.find((r) => r.id === stale.id)).toMatchObject({ status: "retrying", lastError: "worker stopped while sending; retrying" });
    expect(rows.find((r) => r.id === fresh.id)?.status).toBe("sending");
    // The retry gets its job at once (attempt 1's id), runnable.
    expect(await (await getReadyQueue(notifyQueueName("webhook"))).getJobState(`${stale.id}-r1`)).toBe("waiting");
  });
});
