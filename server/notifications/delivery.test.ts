import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { getDb, transaction } from "../db";
import { verifyAuditChain } from "../audit/audit-log";
import { fakeClock } from "./clock";
import { processDelivery, type DeliveryDeps } from "./delivery";
import { retryDelivery } from "./delivery-log";
import type { enqueueDeliveries } from "./delivery-queue";
import { memoryRateLimiter } from "./rate-limit";
import { MAX_ATTEMPTS, backoffMs, retryDelayMs } from "./retry-policy";
import { routeEvent } from "./routing";
import { FakeVendor } from "../../test/support/fake-http";
import { admin, allow, eventFor, makeChannel, makeRoute, makeService } from "../../test/support/notification-fixtures";

let fake: FakeVendor;
beforeAll(async () => {
  fake = await FakeVendor.start();
  await allow(fake.hostPort);
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

function harness() {
  const clock = fakeClock(new Date());
  const enqueued: Parameters<typeof enqueueDeliveries>[0] = [];
  const enqueue = vi.fn(async (refs: Parameters<typeof enqueueDeliveries>[0]) => {
    enqueued.push(...refs);
    return true;
  });
  const deps: DeliveryDeps = { clock, enqueue, random: () => 0, visibilityWaitMs: 0 };
  return { clock, enqueued, deps };
}

/** One webhook channel + route matching the service, one event routed: returns the pending delivery id. */
async function routedDelivery(channelType: "webhook" | "discord" = "webhook", settings: Record<string, unknown> = {}) {
  const svc = await makeService();
  const channel =
    channelType === "webhook"
      ? await makeChannel("webhook", { url: fake.url("/hook"), signingSecret: "signing-secret-123456", headers: {} }, settings)
      : await makeChannel("discord", { url: fake.url("/api/webhooks/1/t") }, settings);
  await makeRoute({ name: `r-${channel.name}`, matchers: [{ label: "service", op: "=", value: svc.service.slug }], channelIds: [channel.id] });
  const event = eventFor(svc, "deployment.failed");
  const created = await transaction(getDb(), (tx) => routeEvent(tx, event, new Date()));
  expect(created).toHaveLength(1);
  return { id: created[0].id, channel, event };
}

describe("retry policy", () => {
  it("backs off exponentially with jitter, capped, and dead-letters after the last attempt", () => {
    expect([1, 2, 3, 4].map((n) => backoffMs(n, () => 0))).toEqual([1000, 2000, 4000, 8000]);
    expect([1, 2, 3, 4].map((n) => backoffMs(n, () => 1))).toEqual([2000, 4000, 8000, 16000]);
    expect(backoffMs(30, () => 1)).toBe(600_000);
    expect(retryDelayMs(1, 30_000)).toBe(30_000);
    expect(retryDelayMs(MAX_ATTEMPTS, undefined)).toBeNull();
  });
});

describe("delivery", () => {
  it("sends once and never again, however many jobs point at it", async () => {
    const { deps } = harness();
    const { id } = await routedDelivery();
    fake.fallback = { status: 200, body: "ok" };
    expect(await processDelivery(getDb(), id, deps)).toBe("delivered");
    expect(await processDelivery(getDb(), id, deps)).toBe("skipped");
    expect(fake.requests).toHaveLength(1);
    const row = await getDb().delivery.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ status: "delivered", attempts: 1, lastStatusCode: 200, lastError: null });
    expect(row.deliveredAt).toBeInstanceOf(Date);
  });

  it("concurrent duplicate jobs claim the delivery once: exactly one request", async () => {
    const { deps } = harness();
    const { id } = await routedDelivery();
    fake.fallback = { status: 200, body: "ok" };
    const results = await Promise.all(Array.from({ length: 6 }, () => processDelivery(getDb(), id, deps)));
    expect(results.filter((r) => r === "delivered")).toHaveLength(1);
    expect(results.filter((r) => r === "skipped")).toHaveLength(5);
    expect(fake.requests).toHaveLength(1);
  });

  it("retries 5xx with exponential backoff, ignores early duplicate jobs, then delivers", async () => {
    const { clock, enqueued, deps } = harness();
    const { id } = await routedDelivery();
    fake.answer({ status: 500, body: "boom" }, { status: 503, body: "busy" }, { status: 200, body: "ok" });
    expect(await processDelivery(getDb(), id, deps)).toBe("retrying");
    let row = await getDb().delivery.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ status: "retrying", attempts: 1, lastStatusCode: 500, lastError: "HTTP 500: boom" });
    expect(row.nextAttemptAt!.getTime() - clock.now().getTime()).toBe(1000);
    expect(enqueued.at(-1)).toMatchObject({ id, attempts: 1, delayMs: 1000 });
    // A stale job (e.g. re-enqueued by the sweeper) arriving before the backoff elapsed does nothing.
    expect(await processDelivery(getDb(), id, deps)).toBe("not_due");
    expect(fake.requests).toHaveLength(1);

    clock.advance(1000);
    expect(await processDelivery(getDb(), id, deps)).toBe("retrying");
    row = await getDb().delivery.findUniqueOrThrow({ where: { id } });
    expect(row.nextAttemptAt!.getTime() - clock.now().getTime()).toBe(2000);
    clock.advance(2000);
    expect(await processDelivery(getDb(), id, deps)).toBe("delivered");
    expect(fake.requests).toHaveLength(3);
    // Every attempt carried the same idempotency key: receivers can deduplicate too.
    expect(new Set(fake.requests.map((r) => r.headers["idempotency-key"])).size).toBe(1);
    expect(await getDb().delivery.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "delivered", attempts: 3 });
  });

  it("waits as long as Retry-After says on 429", async () => {
    const { clock, deps } = harness();
    const { id } = await routedDelivery();
    fake.answer({ status: 429, headers: { "retry-after": "30" }, body: "slow down" });
    expect(await processDelivery(getDb(), id, deps)).toBe("retrying");
    const row = await getDb().delivery.findUniqueOrThrow({ where: { id } });
    expect(row.nextAttemptAt!.getTime() - clock.now().getTime()).toBe(30_000);
    clock.advance(29_000);
    expect(await processDelivery(getDb(), id, deps)).toBe("not_due");
  });

  it("dead-letters after the maximum attempts, and a manual retry sends it again", async () => {
    const { clock, deps } = harness();
    const { id } = await routedDelivery();
    fake.fallback = { status: 502, body: "bad gateway" };
    for (let i = 1; i < MAX_ATTEMPTS; i++) {
      expect(await processDelivery(getDb(), id, deps)).toBe("retrying");
      clock.advance(10 * 60_000);
    }
    expect(await processDelivery(getDb(), id, deps)).toBe("dead");
    expect(await getDb().delivery.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "dead", attempts: MAX_ATTEMPTS, lastStatusCode: 502 });
    expect(fake.requests).toHaveLength(MAX_ATTEMPTS);

    fake.fallback = { status: 200, body: "ok" };
    await retryDelivery(getDb(), admin, id);
    expect(await getDb().delivery.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "pending", attempts: 0 });
    expect(await processDelivery(getDb(), id, deps)).toBe("delivered");
    await expect(retryDelivery(getDb(), admin, id)).rejects.toMatchObject({ code: "BAD_REQUEST", field: "id" });
    expect((await verifyAuditChain(getDb())).ok).toBe(true);
  });

  it("a suppressed delivery is not retried: the silence that held it back stays in force", async () => {
    const svc = await makeService();
    const channel = await makeChannel("webhook", { url: fake.url("/hook"), signingSecret: "signing-secret-123456", headers: {} });
    await makeRoute({ name: `r-${channel.name}`, matchers: [{ label: "service", op: "=", value: svc.service.slug }], channelIds: [channel.id] });
    const now = new Date();
    await getDb().silence.create({
      data: {
        matchers: [{ label: "service", op: "=", value: svc.service.slug }],
        startsAt: now,
        endsAt: new Date(now.getTime() + 3600_000),
        reason: "planned work",
      },
    });
    const [routed] = await transaction(getDb(), (tx) => routeEvent(tx, eventFor(svc, "deployment.failed"), now));
    const before = await getDb().delivery.findUniqueOrThrow({ where: { id: routed.id } });
    expect(before).toMatchObject({ status: "suppressed", lastError: "silenced: planned work" });
    const audits = await getDb().auditEvent.count();

    await expect(retryDelivery(getDb(), admin, routed.id)).rejects.toMatchObject({
      code: "BAD_REQUEST",
      field: "id",
      message: "This delivery was suppressed on purpose (silenced: planned work); it is not retried",
    });
    // Nothing changed, nothing audited, nothing sent.
    expect(await getDb().delivery.findUniqueOrThrow({ where: { id: routed.id } })).toEqual(before);
    expect(await getDb().auditEvent.count()).toBe(audits);
    expect(fake.requests).toHaveLength(0);
  });

  it("a 4xx that will not get better is dead at once", async () => {
    const { deps } = harness();
    const { id } = await routedDelivery();
    fake.answer({ status: 422, body: "unprocessable" });
    expect(await processDelivery(getDb(), id, deps)).toBe("dead");
    expect(fake.requests).toHaveLength(1);
  });

  it("Discord 404 disables the channel (audited) and later deliveries to it are dead-lettered unsent", async () => {
    const { deps } = harness();
    const { id, channel, event } = await routedDelivery("discord");
    fake.answer({ status: 404, body: JSON.stringify({ message: "Unknown Webhook", code: 10015 }) });
    expect(await processDelivery(getDb(), id, deps)).toBe("dead");
    const ch = await getDb().notificationChannel.findUniqueOrThrow({ where: { id: channel.id } });
    expect(ch.enabled).toBe(false);
    expect(ch.disabledReason).toMatch(/no longer exists/);
    expect(await getDb().auditEvent.count({ where: { action: "notification.channel_disabled", subjectId: channel.id } })).toBe(1);
    // New events to the disabled channel are recorded as suppressed, never sent.
    const again = await transaction(getDb(), (tx) => routeEvent(tx, { ...event, id: `${event.id}-2` }, new Date()));
    expect(again[0].status).toBe("suppressed");
    expect(fake.requests).toHaveLength(1);
  });

  it("a 404 to a channel an admin changed meanwhile does not disable it: the delivery retries with the new settings", async () => {
    const { deps, enqueued } = harness();
    const { id, channel } = await routedDelivery("discord");
    // The admin saves the channel while the attempt (with the version it loaded) is on the wire.
    const fetch = (async () => {
      await getDb().notificationChannel.update({ where: { id: channel.id }, data: { name: `${channel.name} (fixed)` } });
      return new Response(JSON.stringify({ message: "Unknown Webhook", code: 10015 }), { status: 404, headers: { "content-type": "application/json" } });
    }) as typeof globalThis.fetch;
    expect(await processDelivery(getDb(), id, { ...deps, fetch })).toBe("retrying");
    const ch = await getDb().notificationChannel.findUniqueOrThrow({ where: { id: channel.id } });
    expect(ch).toMatchObject({ enabled: true, disabledReason: null });
    expect(await getDb().auditEvent.count({ where: { action: "notification.channel_disabled", subjectId: channel.id } })).toBe(0);
    expect(await getDb().delivery.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "retrying", lastStatusCode: 404 });
    expect(enqueued).toEqual([expect.objectContaining({ id, attempts: 1 })]);
  });

  it("respects a per-channel rate limit without spending attempts", async () => {
    const { deps } = harness();
    const limiter = memoryRateLimiter();
    const first = await routedDelivery("webhook", { ratePerMinute: 6 });
    const svcEvent = { ...first.event, id: `${first.event.id}-b` };
    const [second] = await transaction(getDb(), (tx) => routeEvent(tx, svcEvent, new Date()));
    fake.fallback = { status: 200, body: "ok" };
    expect(await processDelivery(getDb(), first.id, { ...deps, rateLimiter: limiter })).toBe("delivered");
    expect(await processDelivery(getDb(), second.id, { ...deps, rateLimiter: limiter })).toBe("rate_limited");
    const row = await getDb().delivery.findUniqueOrThrow({ where: { id: second.id } });
    expect(row).toMatchObject({ status: "pending", attempts: 0 });
    expect(row.nextAttemptAt!.getTime()).toBeGreaterThan(Date.now() - 1000);
    expect(fake.requests).toHaveLength(1);
  });

  it("a job whose row never appears (rolled back) is dropped", async () => {
    expect(await processDelivery(getDb(), "no-such-delivery", { visibilityWaitMs: 0 })).toBe("missing");
  });
});
