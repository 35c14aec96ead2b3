import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getDb, transaction } from "../db";
import { makeUser } from "../../test/support/factories";
import { fakeClock } from "./clock";
import { processDelivery } from "./delivery";
import type { DeliveryJobRef } from "./delivery-queue";
import { setPreferences } from "./preferences";
import { createSilence } from "./route-admin";
import { routeEvent } from "./routing";
import { sweepNotifications } from "./sweeper";
import { FakeVendor } from "../../test/support/fake-http";
import { admin, allow, eventFor, makeChannel, makeRoute, makeService } from "../../test/support/notification-fixtures";

let fake: FakeVendor;
beforeAll(async () => {
  fake = await FakeVendor.start();
  await allow(fake.hostPort);
  fake.fallback = { status: 200, body: "ok" };
});
afterAll(() => fake.close());
beforeEach(async () => {
  fake.reset();
  // Each test configures its own routes.
  await getDb().notificationRoute.deleteMany();
});

const webhook = () => makeChannel("webhook", { url: fake.url("/hook"), signingSecret: "signing-secret-123456", headers: {} });
const route = (tx: Parameters<typeof routeEvent>[0], e: Parameters<typeof routeEvent>[1], at: Date) => routeEvent(tx, e, at);
const routeAt = (e: Parameters<typeof routeEvent>[1], at: Date) => transaction(getDb(), (tx) => route(tx, e, at));

function sweeper(clock: ReturnType<typeof fakeClock>) {
  const enqueued: DeliveryJobRef[] = [];
  return {
    enqueued,
    run: () => sweepNotifications(getDb(), { clock, lostAfterMs: 60_000, enqueue: async (refs) => (enqueued.push(...refs), true) }),
  };
}

describe("routing to deliveries", () => {
  it("one row per (event, route, channel); re-routing the same event adds nothing", async () => {
    const svc = await makeService();
    const [a, b] = [await webhook(), await webhook()];
    await makeRoute({ name: "all", channelIds: [a.id, b.id], continue: true });
    await makeRoute({ name: "svc", matchers: [{ label: "service", op: "=", value: svc.service.slug }], channelIds: [a.id] });
    const e = eventFor(svc, "deployment.succeeded");
    const first = await routeAt(e, new Date());
    expect(first).toHaveLength(3);
    expect(await routeAt(e, new Date())).toHaveLength(0);
    const keys = (await getDb().delivery.findMany({ where: { eventId: e.id }, select: { idempotencyKey: true } })).map((d) => d.idempotencyKey).sort();
    expect(new Set(keys).size).toBe(3);
  });

  it("silences suppress with their reason; the repeat interval throttles the same notification", async () => {
    const svc = await makeService();
    const ch = await webhook();
    await makeRoute({ name: "throttled", channelIds: [ch.id], repeatIntervalSec: 600 });
    const now = new Date();
    const [first] = await routeAt(eventFor(svc, "deployment.failed"), now);
    const [second] = await routeAt(eventFor(svc, "deployment.failed"), new Date(now.getTime() + 60_000));
    expect([first.status, second.status]).toEqual(["pending", "suppressed"]);
    expect((await getDb().delivery.findUniqueOrThrow({ where: { id: second.id } })).lastError).toBe("repeat interval: sent recently");
    // A different event type is a different notification.
    expect((await routeAt(eventFor(svc, "deployment.succeeded"), now))[0].status).toBe("pending");

    await createSilence(getDb(), admin, {
      matchers: [{ label: "service", op: "=", value: svc.service.slug }],
      startsAt: new Date(now.getTime() - 1000),
      endsAt: new Date(now.getTime() + 3_600_000),
      reason: "planned DB maintenance",
    });
    const [silenced] = await routeAt(eventFor(svc, "incident.detected"), now);
    expect(await getDb().delivery.findUniqueOrThrow({ where: { id: silenced.id } })).toMatchObject({
      status: "suppressed",
      lastError: "silenced: planned DB maintenance",
    });
  });

  it("groups 20 deployments in a minute into one digest, then respects group_interval", async () => {
    const clock = fakeClock("2026-03-10T12:00:00Z");
    const svc = await makeService();
    const ch = await webhook();
    await makeRoute({ name: "digest", channelIds: [ch.id], groupBy: ["service"], groupWaitSec: 30, groupIntervalSec: 300 });
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const [d] = await routeAt(eventFor(svc, "deployment.succeeded", { data: { version: `v1.0.${i}` } }), clock.now());
      ids.push(d.id);
      clock.advance(3000);
    }
    const rows = await getDb().delivery.findMany({ where: { id: { in: ids } } });
    expect(rows.every((r) => r.status === "grouped")).toBe(true);
    expect(new Set(rows.map((r) => r.nextAttemptAt!.toISOString()))).toEqual(new Set(["2026-03-10T12:00:30.000Z"]));

    const sweep = sweeper(clock); // clock is now 12:01:00
    expect((await sweep.run()).groupsFlushed).toBe(1);
    expect(sweep.enqueued).toEqual([{ id: ids[0], channelType: "webhook", attempts: 0 }]);
    expect(await getDb().delivery.count({ where: { id: { in: ids }, status: "merged" } })).toBe(19);
    expect(await processDelivery(getDb(), ids[0], { clock, visibilityWaitMs: 0 })).toBe("delivered");
    expect(fake.requests).toHaveLength(1);
    const body = fake.json();
    expect((body.message as { title: string }).title).toMatch(/^20 notifications: /);
    expect((body.digest as unknown[]).length).toBe(20);

    // The next event in the same group waits for group_interval after the flush (12:01:00 + 300 s).
    const [late] = await routeAt(eventFor(svc, "deployment.succeeded"), clock.now());
    expect((await getDb().delivery.findUniqueOrThrow({ where: { id: late.id } })).nextAttemptAt!.toISOString()).toBe("2026-03-10T12:06:00.000Z");
    clock.set("2026-03-10T12:05:59Z");
    expect((await sweep.run()).groupsFlushed).toBe(0);
    clock.set("2026-03-10T12:06:00Z");
    expect((await sweep.run()).groupsFlushed).toBe(1);
  });

  it("holds a notification through quiet hours and releases it when they end; critical passes", async () => {
    const svc = await makeService();
    const ch = await webhook();
    await makeRoute({
      name: "quiet",
      channelIds: [ch.id],
      quietHours: { timeZone: "Europe/Paris", start: "22:00", end: "07:00", action: "hold", exceptSeverities: ["critical"] },
    });
    const clock = fakeClock("2026-03-10T23:00:00Z"); // midnight in Paris
    const [held] = await routeAt(eventFor(svc, "deployment.failed"), clock.now());
    const [critical] = await routeAt(eventFor(svc, "deployment.failed", { severity: "critical" }), clock.now());
    expect([held.status, critical.status]).toEqual(["held", "pending"]);
    expect((await getDb().delivery.findUniqueOrThrow({ where: { id: held.id } })).nextAttemptAt!.toISOString()).toBe("2026-03-11T06:00:00.000Z");
    const sweep = sweeper(clock);
    clock.set("2026-03-11T05:59:00Z");
    expect((await sweep.run()).released).toBe(0);
    clock.set("2026-03-11T06:00:00Z");
    expect((await sweep.run()).released).toBe(1);
    expect(sweep.enqueued.map((r) => r.id)).toContain(held.id);
    expect((await getDb().delivery.findUniqueOrThrow({ where: { id: held.id } })).status).toBe("pending");
  });

  it("escalates a still-pending approval after N minutes, and not one that was decided", async () => {
    const svc = await makeService();
    const [first, next] = [await webhook(), await webhook()];
    await makeRoute({
      name: "approvals",
      matchers: [{ label: "type", op: "=", value: "deployment.requested" }],
      channelIds: [first.id],
      escalation: { afterMinutes: 30, channelIds: [next.id] },
    });
    const requester = await makeUser("developer");
    const request = (status: "pending_approval" | "approved") =>
      getDb().deploymentRequest.create({
        data: { serviceId: svc.service.id, environmentId: svc.environment.id, version: "v9", requesterId: requester.id, status },
      });
    const [pending, decided] = [await request("pending_approval"), await request("approved")];
    const clock = fakeClock("2026-03-10T09:00:00Z");
    const at = clock.now().toISOString();
    for (const r of [pending, decided]) {
      const rows = await routeAt(
        eventFor(svc, "deployment.requested", { occurredAt: at, subject: { ...eventFor(svc, "deployment.requested").subject, deploymentRequestId: r.id } }),
        clock.now(),
      );
      expect(rows.map((x) => x.status).sort()).toEqual(["pending", "scheduled"]);
    }
    const sweep = sweeper(clock);
    clock.advance(29 * 60_000);
    expect((await sweep.run()).escalated).toBe(0);
    clock.advance(60_000);
    expect((await sweep.run()).escalated).toBe(1);
    const escalations = await getDb().delivery.findMany({ where: { recipient: { startsWith: "escalation:" } }, orderBy: { status: "asc" } });
    expect(escalations.map((e) => [e.status, e.lastError])).toEqual([
      ["pending", null],
      ["suppressed", "no escalation needed: request is approved"],
    ]);
    expect(await processDelivery(getDb(), escalations[0].id, { clock, visibilityWaitMs: 0 })).toBe("delivered");
    expect((fake.json().message as { title: string }).title).toMatch(/^Escalation: /);
  });

  it("resolves role recipients at send time and honours users' preferences except for pages", async () => {
    const svc = await makeService();
    const [approver, muted, digest, requester] = await Promise.all([makeUser("approver"), makeUser("approver"), makeUser("approver"), makeUser("developer")]);
    await setPreferences(getDb(), { id: muted.id, label: muted.name }, { emailDigest: "immediate", mutedServiceIds: [svc.service.id] });
    await setPreferences(getDb(), { id: digest.id, label: digest.name }, { emailDigest: "daily" });
    const hook = await webhook();
    await makeRoute({ name: "people", channelIds: [hook.id], roleRecipients: ["owning_team_oncall", "eligible_approvers", "requester"], continue: true });
    const data = { eligibleApproverIds: [approver.id, muted.id, digest.id], requesterId: requester.id };
    const [d] = await routeAt(eventFor(svc, "deployment.requested", { severity: "medium", data }), new Date());
    expect(await processDelivery(getDb(), d.id, { visibilityWaitMs: 0 })).toBe("delivered");
    const recipients = fake.json().recipients as { oncall: { name: string }; users: { id: string; roles: string[] }[] };
    expect(recipients.oncall.name).toBe("Payments primary");
    // Digest preference applies to email only; the muted approver is left out of non-critical notifications.
    expect(recipients.users.map((u) => u.id).sort()).toEqual([approver.id, digest.id, requester.id].sort());

    const [page] = await routeAt(eventFor(svc, "deployment.requested", { severity: "critical", data }), new Date());
    expect(await processDelivery(getDb(), page.id, { visibilityWaitMs: 0 })).toBe("delivered");
    expect((fake.json().recipients as { users: unknown[] }).users).toHaveLength(4);
  });

  it("email: daily-digest users get a grouped row for tomorrow's digest instead of immediate mail", async () => {
    const svc = await makeService();
    const [u1, u2] = await Promise.all([makeUser("approver"), makeUser("approver")]);
    await setPreferences(getDb(), { id: u1.id, label: u1.name }, { emailDigest: "daily" });
    await setPreferences(getDb(), { id: u2.id, label: u2.name }, { emailDigest: "daily" });
    const mail = await makeChannel("email", { password: "" }, { host: "127.0.0.1", port: 2525, from: "pier@example.com", to: [] });
    await makeRoute({ name: "mail", channelIds: [mail.id], roleRecipients: ["eligible_approvers"] });
    const [d] = await routeAt(eventFor(svc, "deployment.requested", { severity: "medium", data: { eligibleApproverIds: [u1.id, u2.id] } }), new Date());
    expect(await processDelivery(getDb(), d.id, { visibilityWaitMs: 0 })).toBe("suppressed");
    expect((await getDb().delivery.findUniqueOrThrow({ where: { id: d.id } })).lastError).toBe("recipients get a daily digest instead");
    const digests = await getDb().delivery.findMany({ where: { idempotencyKey: { startsWith: `${d.id}` } } });
    const rows = await getDb().delivery.findMany({ where: { groupKey: { startsWith: `digest:${mail.id}:` } } });
    expect(digests).toHaveLength(0);
    expect(rows.map((r) => r.recipient).sort()).toEqual([`user:${u1.email}`, `user:${u2.email}`].sort());
    expect(rows.every((r) => r.status === "grouped" && r.nextAttemptAt!.getUTCHours() === 8)).toBe(true);
  });
});
