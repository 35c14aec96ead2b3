// The batched hot path: outbox jobs handled together (one transaction per subscriber, jobs queued after commit),
// deliveries claimed/finished together, and the node:http sender's timeout and network-error shapes.
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "../db";
import { processOutboxJob } from "../bus/fanout";
import { sendHttp } from "./channels/http-send";
import { sendToChannel } from "./channels/send";
import { processDelivery } from "./delivery";
import { microBatcher } from "../bus/micro-batch";
import { SUBSCRIBERS } from "../subscriptions";
import { NOTIFICATION_SUBSCRIBER } from "./subscriber";
import { FakeVendor } from "../../test/support/fake-http";
import { allow, eventFor, makeChannel, makeRoute, makeService } from "../../test/support/notification-fixtures";

let fake: FakeVendor;
beforeAll(async () => {
  fake = await FakeVendor.start();
  fake.fallback = { status: 200, body: "ok" };
  await allow(fake.hostPort);
});
afterAll(() => fake.close());

// Notification routing only, as in production's registry (server/subscriptions.ts).
const notificationsOnly = SUBSCRIBERS.filter((s) => s.name === NOTIFICATION_SUBSCRIBER);

describe("micro-batching", () => {
  it("gathers concurrent calls into one run, answers each in order, and rejects them all when the run fails", async () => {
    const runs: number[][] = [];
    const double = microBatcher(async (xs: number[]) => (runs.push(xs), xs.map((x) => x * 2)), 3);
    expect(await Promise.all([1, 2, 3, 4].map(double))).toEqual([2, 4, 6, 8]);
    expect(runs).toEqual([[1, 2, 3], [4]]);
    const failing = microBatcher(async (): Promise<number[]> => Promise.reject(new Error("boom")));
    const results = await Promise.allSettled([failing(1), failing(2)]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
  });

  it("concurrent outbox jobs (one of them a duplicate) route each event once and deliver each row once", async () => {
    const db = getDb();
    const svc = await makeService();
    const channel = await makeChannel("webhook", { url: fake.url("/batch"), signingSecret: "signing-secret-123456", headers: {} });
    await makeRoute({ name: "batch", matchers: [{ label: "service", op: "=", value: svc.service.slug }], channelIds: [channel.id] });
    const events = [0, 1, 2].map((i) => eventFor(svc, "deployment.succeeded", { data: { version: `v${i}` } }));
    const outbox = await Promise.all(events.map((e) => db.outboxEvent.create({ data: { queue: "pier-events", type: e.type, payload: e as object } })));
    const jobs = outbox.map((o, i) => ({ outboxId: o.id, type: events[i].type, payload: events[i] as unknown as Record<string, unknown> }));
    await Promise.all([...jobs, jobs[0]].map((j) => processOutboxJob(db, j, notificationsOnly)));

    const rows = await db.delivery.findMany({ where: { channelId: channel.id } });
    expect(rows.map((r) => r.eventId).sort()).toEqual(outbox.map((o) => o.id).sort());
    expect(await db.outboxEvent.count({ where: { id: { in: outbox.map((o) => o.id) }, processedAt: null } })).toBe(0);

    const before = fake.requests.length;
    const results = await Promise.all([...rows, rows[0]].map((r) => processDelivery(db, r.id, { visibilityWaitMs: 0, cacheMs: 0 })));
    expect(results.sort()).toEqual(["delivered", "delivered", "delivered", "skipped"]);
    expect(fake.requests.length - before).toBe(3);
    const after = await db.delivery.findMany({ where: { channelId: channel.id } });
    expect(after.every((r) => r.status === "delivered" && r.attempts === 1 && r.lastStatusCode === 200 && r.deliveredAt)).toBe(true);
  });
});

describe("node:http sender", () => {
  let silent: Server;
  let port: number;
  beforeAll(async () => {
    silent = createServer(() => undefined); // reads the request, never answers
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
    port = (silent.address() as { port: number }).port;
  });
  afterAll(() => {
    silent.closeAllConnections();
    silent.close();
  });

  it("times out like fetch does, reports refused connections by code, and reads status, headers and body", async () => {
    const allowList = [`127.0.0.1:${port}`, fake.hostPort, "127.0.0.1:1"];
    const hook = (url: string) => ({ id: "c", type: "webhook" as const, secret: { url, signingSecret: "signing-secret-123456", headers: {} }, settings: {} });
    const svc = await makeService();
    const msg = {
      deliveryId: "d1",
      idempotencyKey: "k1",
      title: "t",
      text: "x",
      url: null,
      event: eventFor(svc, "deployment.succeeded"),
      recipients: { oncall: null, users: [] },
      digest: null,
      threadKey: "k1",
    } satisfies Parameters<typeof sendToChannel>[1];
    expect(await sendToChannel(hook(`http://127.0.0.1:${port}/x`), msg, [], { allowList, timeoutMs: 100 })).toMatchObject({
      kind: "retry",
      error: "network: timed out",
    });
    expect(await sendToChannel(hook("http://127.0.0.1:1/x"), msg, [], { allowList })).toMatchObject({ kind: "retry", error: "network: ECONNREFUSED" });
    fake.fallback = { status: 429, body: "slow down", headers: { "retry-after": "7" } };
    const res = await sendHttp({ url: fake.url("/r"), method: "POST", headers: { "content-type": "application/json" }, body: "{}" }, { allowList });
    fake.fallback = { status: 200, body: "ok" };
    expect(res).toMatchObject({ status: 429, body: "slow down" });
    expect(res.headers.get("retry-after")).toBe("7");
  });
});
