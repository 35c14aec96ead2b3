// First attempts sent by the process that routed them (direct-send.ts): written already claimed, sent once after the
// commit without a job; bounded, so the rest go through the queue; nothing reserved survives a rollback; rate limits
// and retries still hold; a row a dead process left "sending" is retried by the sweeper after the lease.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { getDb, transaction } from "../db";
import { processDelivery } from "./delivery";
import type { enqueueDeliveries } from "./delivery-queue";
import { directSends, startDirectSends } from "./direct-send";
import { memoryRateLimiter } from "./rate-limit";
import { routeEvent, routeEvents } from "./routing";
import { SENDING_LEASE_MS, sweepNotifications } from "./sweeper";
import { FakeVendor } from "../../test/support/fake-http";
import { allow, eventFor, makeChannel, makeRoute, makeService } from "../../test/support/notification-fixtures";

let fake: FakeVendor;
beforeAll(async () => {
  fake = await FakeVendor.start();
  await allow(fake.hostPort);
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.reset();
  fake.fallback = { status: 200, body: "ok" };
});

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

function enqueueSpy() {
  const enqueued: Parameters<typeof enqueueDeliveries>[0] = [];
  const enqueue = vi.fn(async (refs: Parameters<typeof enqueueDeliveries>[0]) => (enqueued.push(...refs), true));
  return { enqueued, enqueue };
}

/** A service with `routes` routes (continue) to one webhook channel: each event makes that many deliveries. */
async function world(routes = 1, settings: Record<string, unknown> = {}) {
  const svc = await makeService();
  const channel = await makeChannel("webhook", { url: fake.url(`/direct-${svc.service.slug}`), signingSecret: "signing-secret-123456", headers: {} }, settings);
  for (let i = 0; i < routes; i++) {
    await makeRoute({
      name: `direct ${svc.service.slug} ${i}`,
      continue: true,
      matchers: [{ label: "service", op: "=", value: svc.service.slug }],
      channelIds: [channel.id],
    });
  }
  return { svc, channel };
}

const rowsOf = (channelId: string) => getDb().delivery.findMany({ where: { channelId }, orderBy: { createdAt: "asc" } });

async function settled(channelId: string, count: number) {
  await expect.poll(async () => (await rowsOf(channelId)).filter((r) => r.status !== "sending").length, { timeout: 10_000 }).toBe(count);
  return rowsOf(channelId);
}

describe("direct sends", () => {
  it("routing writes the first attempt claimed and sends it once after the commit, with no job; re-routing the event sends nothing", async () => {
    const { enqueue, enqueued } = enqueueSpy();
    stop = startDirectSends({ enqueue, cacheMs: 0 });
    const { svc, channel } = await world(2);
    const sends = directSends()!;
    const event = eventFor(svc, "deployment.failed");
    const created = await transaction(getDb(), (tx) => routeEvent(tx, event, new Date(), { direct: { sends, db: getDb() } }));
    expect(created.map((c) => c.status)).toEqual(["sending", "sending"]);

    const rows = await settled(channel.id, 2);
    expect(rows.every((r) => r.status === "delivered" && r.attempts === 1 && r.lastStatusCode === 200 && r.deliveredAt)).toBe(true);
    expect(fake.requests.map((r) => r.headers["x-pier-delivery"]).sort()).toEqual(rows.map((r) => r.id).sort());
    expect(enqueued).toEqual([]);

    // The same event again (a re-dispatched outbox row): nothing new is written or sent, and no slot stays taken.
    await transaction(getDb(), (tx) => routeEvent(tx, event, new Date(), { direct: { sends, db: getDb() } }));
    await new Promise((r) => setTimeout(r, 100));
    expect(fake.requests).toHaveLength(2);
    // A queued job for a row sent directly finds nothing to claim.
    expect(await processDelivery(getDb(), rows[0].id, { enqueue, visibilityWaitMs: 0, cacheMs: 0 })).toBe("skipped");
    expect(fake.requests).toHaveLength(2);
  });

  it("past the per-channel bound the deliveries are queued as pending jobs, and the slots come back once sent", async () => {
    const { enqueue, enqueued } = enqueueSpy();
    stop = startDirectSends({ enqueue, cacheMs: 0 }, { perChannel: 2, perProcess: 10 });
    const { svc, channel } = await world(3);
    const sends = directSends()!;
    const created = await transaction(getDb(), (tx) => routeEvent(tx, eventFor(svc, "deployment.failed"), new Date(), { direct: { sends, db: getDb() } }));
    expect(created.map((c) => c.status).sort()).toEqual(["pending", "sending", "sending"]);
    await expect.poll(() => fake.requests.length).toBe(2);
    // The pending one went to the queue (enqueueDeliveries after commit, the real one here): it is a normal pending row.
    const pending = created.find((c) => c.status === "pending")!;
    expect(await processDelivery(getDb(), pending.id, { enqueue, visibilityWaitMs: 0, cacheMs: 0 })).toBe("delivered");
    expect(enqueued).toEqual([]);

    // Both slots are free again: the next event's deliveries go direct up to the bound.
    await settled(channel.id, 3);
    const next = await transaction(getDb(), (tx) => routeEvent(tx, eventFor(svc, "deployment.failed"), new Date(), { direct: { sends, db: getDb() } }));
    expect(next.filter((c) => c.status === "sending")).toHaveLength(2);
    // (its third waits in the queue, pending: no worker runs here)
    const after = await settled(channel.id, 6);
    expect(after.filter((r) => r.status === "delivered")).toHaveLength(5);
    expect(fake.requests).toHaveLength(5);
  });

  it("a rolled-back routing transaction sends nothing and gives its slots back", async () => {
    stop = startDirectSends({ cacheMs: 0 }, { perChannel: 1, perProcess: 1 });
    const { svc, channel } = await world(1);
    const sends = directSends()!;
    await expect(
      transaction(getDb(), async (tx) => {
        await routeEvents(tx, [eventFor(svc, "deployment.failed")], new Date(), { direct: { sends, db: getDb() } });
        throw new Error("subscriber failed after routing");
      }),
    ).rejects.toThrow("subscriber failed");
    expect(await rowsOf(channel.id)).toHaveLength(0);
    // The one slot is free again.
    expect(sends.reserve(channel.id)).toBe(true);
    sends.release(channel.id);
    await new Promise((r) => setTimeout(r, 50));
    expect(fake.requests).toHaveLength(0);
  });

  it("retries a failed direct attempt through a job with backoff, counting the direct send as attempt 1", async () => {
    const { enqueue, enqueued } = enqueueSpy();
    stop = startDirectSends({ enqueue, cacheMs: 0, random: () => 0 });
    const { svc, channel } = await world(1);
    fake.fallback = { status: 503, body: "busy" };
    const sends = directSends()!;
    await transaction(getDb(), (tx) => routeEvent(tx, eventFor(svc, "deployment.failed"), new Date(), { direct: { sends, db: getDb() } }));
    const [row] = await settled(channel.id, 1);
    expect(row).toMatchObject({ status: "retrying", attempts: 1, lastStatusCode: 503 });
    expect(enqueued).toEqual([expect.objectContaining({ id: row.id, attempts: 1, delayMs: 1000 })]);
  });

  it("honours the channel's rate limit: over budget, the row goes back to pending (not an attempt) with a delayed job", async () => {
    const { enqueue, enqueued } = enqueueSpy();
    stop = startDirectSends({ enqueue, cacheMs: 0, rateLimiter: memoryRateLimiter() });
    // 6 a minute: one per 10 s window.
    const { svc, channel } = await world(2, { ratePerMinute: 6 });
    const sends = directSends()!;
    await transaction(getDb(), (tx) => routeEvent(tx, eventFor(svc, "deployment.failed"), new Date(), { direct: { sends, db: getDb() } }));
    const rows = await settled(channel.id, 2);
    expect(rows.map((r) => r.status).sort()).toEqual(["delivered", "pending"]);
    const waiting = rows.find((r) => r.status === "pending")!;
    expect(waiting.attempts).toBe(0);
    expect(waiting.nextAttemptAt!.getTime()).toBeGreaterThan(Date.now());
    expect(enqueued).toEqual([expect.objectContaining({ id: waiting.id, attempts: 0, delayMs: expect.any(Number) })]);
    expect(fake.requests).toHaveLength(1);
  });

  it("a row a dead process left claimed is retried by the sweeper once the lease has passed", async () => {
    const { enqueue, enqueued } = enqueueSpy();
    // Reserved and written, never sent: as if the process died right after the commit.
    const lost = { reserve: () => true, release: () => undefined, send: () => undefined };
    const { svc, channel } = await world(1);
    const [row] = await transaction(getDb(), (tx) => routeEvent(tx, eventFor(svc, "deployment.failed"), new Date(), { direct: { sends: lost, db: getDb() } }));
    expect(row.status).toBe("sending");
    expect((await sweepNotifications(getDb(), { enqueue, lostAfterMs: 0 })).reclaimed).toBe(0);
    await getDb().delivery.update({ where: { id: row.id }, data: { updatedAt: new Date(Date.now() - SENDING_LEASE_MS - 1000) } });
    await sweepNotifications(getDb(), { enqueue, lostAfterMs: 0 });
    expect(enqueued).toContainEqual(expect.objectContaining({ id: row.id, attempts: 1 }));
    expect(await processDelivery(getDb(), row.id, { enqueue, visibilityWaitMs: 0, cacheMs: 0 })).toBe("delivered");
    expect((await rowsOf(channel.id))[0]).toMatchObject({ status: "delivered", attempts: 2 });
  });

  it("stopping waits for the sends in flight and takes no more", async () => {
    stop = startDirectSends({ cacheMs: 0 });
    const { svc, channel } = await world(1);
    const sends = directSends()!;
    await transaction(getDb(), (tx) => routeEvent(tx, eventFor(svc, "deployment.failed"), new Date(), { direct: { sends, db: getDb() } }));
    const stopping = stop;
    stop = undefined;
    await stopping();
    expect((await rowsOf(channel.id))[0].status).toBe("delivered");
    expect(sends.reserve(channel.id)).toBe(false);
    expect(directSends()).toBeUndefined();
  });
});
