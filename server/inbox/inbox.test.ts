// The in-app inbox: items from the outbox events (approval needed → eligible approvers; decided/finished → the
// requester; incident → the owning team), idempotent on re-delivery, read state, and that only the owner may read
// or mark an item.
import { TRPCError } from "@trpc/server";
import { beforeAll, describe, expect, it } from "vitest";
import { getDb, transaction } from "../db";
import { processOutboxJob } from "../bus/fanout";
import { emitPierEvent } from "../bus/events";
import { SUBSCRIBERS } from "../subscriptions";
import { INBOX_SUBSCRIBER } from "./inbox-subscriber";
import { callerFor, makeUser } from "../../test/support/factories";
import { as, makeWorld, requestInput, type World } from "../../test/support/deployment-world";

const inboxOnly = SUBSCRIBERS.filter((s) => s.name === INBOX_SUBSCRIBER);

/** Delivers every outbox event not yet processed to the inbox subscriber (twice: a re-delivery adds nothing). */
async function deliver() {
  const db = getDb();
  const rows = await db.outboxEvent.findMany({ where: { processedAt: null }, orderBy: { createdAt: "asc" } });
  for (const row of rows) {
    const job = { outboxId: row.id, type: row.type, payload: row.payload as Record<string, unknown> };
    await processOutboxJob(db, job, inboxOnly);
    await processOutboxJob(db, job, inboxOnly);
  }
}

async function code(p: Promise<unknown>) {
  try {
    await p;
    return "OK";
  } catch (err) {
    return err instanceof TRPCError ? err.code : `unexpected: ${String(err)}`;
  }
}

let w: World;
beforeAll(async () => {
  w = await makeWorld({ policies: { dev: { requiredApprovals: 1, approverRole: "approver" } } });
});

describe("inbox items from events", () => {
  it("asks eligible approvers, tells the requester the decision, and clears the approval once decided", async () => {
    const dev = await as(w.developer);
    const { id } = await dev.deployments.create(requestInput(w, "dev", "2.0.0"));
    await deliver();
    const a1 = await as(w.approver1);
    const list = await a1.inbox.list();
    const item = list.items.find((i) => i.href === `/deployments/${id}`);
    expect(item).toMatchObject({ kind: "approval_needed", readAt: null, title: expect.stringContaining("2.0.0") });
    expect(list.unread).toBeGreaterThanOrEqual(1);
    // The requester may not approve their own request: no approval item for them.
    expect((await dev.inbox.list()).items.filter((i) => i.kind === "approval_needed" && i.href.endsWith(id))).toEqual([]);

    await a1.approvals.decide({ requestId: id, decision: "approve" });
    await deliver();
    const after = await (await as(w.approver2)).inbox.list();
    expect(after.items.find((i) => i.href.endsWith(id) && i.kind === "approval_needed")?.readAt).toBeInstanceOf(Date);
    const mine = await dev.inbox.list({ unreadOnly: true });
    expect(mine.items.map((i) => i.kind)).toContain("request_decided");
    // Each (user, event) once, however often the event is delivered.
    const rows = await getDb().inboxItem.findMany({ where: { userId: w.approver1.id, href: `/deployments/${id}` } });
    expect(rows).toHaveLength(1);
  });

  it("tells the requester their deployment finished or failed, and the owning team about an incident", async () => {
    const env = { id: w.envs.dev.id, name: "dev", isProduction: false };
    const service = { id: w.service.id, slug: w.service.slug, name: w.service.name, tier: 1, teamId: w.team.id, teamSlug: "payments" };
    const data = (requestId: string) => ({
      requestId,
      version: "3.1.0",
      previousVersion: "3.0.0",
      requesterId: w.developer.id,
      strategy: "rolling" as const,
      breakGlass: false,
      breakGlassReason: null,
      isRollback: false,
      rollbackOfId: null,
      url: "",
    });
    await transaction(getDb(), async (tx) => {
      emitPierEvent(tx, {
        type: "deployment.succeeded",
        severity: "info",
        subject: { service, environment: env },
        data: { ...data("r-ok"), status: "succeeded" },
      });
      emitPierEvent(tx, {
        type: "deployment.failed",
        severity: "high",
        subject: { service, environment: env },
        data: { ...data("r-bad"), status: "failed", message: "health check" },
      });
      emitPierEvent(tx, {
        type: "incident.detected",
        severity: "critical",
        subject: { service, environment: env, incidentId: "inc-1" },
        data: { incidentId: "inc-1", title: "Checkout down", detectedAt: new Date().toISOString(), deploymentId: null },
      });
      emitPierEvent(tx, {
        type: "deployment.failed",
        severity: "high",
        subject: { service, environment: env },
        data: { ...data("r-test"), status: "failed", test: true },
      });
    });
    await deliver();
    const dev = await as(w.developer);
    const items = (await dev.inbox.list()).items;
    expect(items.find((i) => i.href === "/deployments/r-ok")).toMatchObject({ kind: "deployment_finished" });
    expect(items.find((i) => i.href === "/deployments/r-bad")).toMatchObject({ kind: "deployment_failed", body: "health check" });
    expect(items.find((i) => i.kind === "incident")).toMatchObject({ title: expect.stringContaining("Checkout down"), href: `/services/${w.service.slug}` });
    expect(items.find((i) => i.href === "/deployments/r-test")).toBeUndefined();
    // An outsider (another team) hears nothing about the incident.
    expect((await (await as(w.outsider)).inbox.list()).items.find((i) => i.kind === "incident")).toBeUndefined();
  });
});

describe("inbox router", () => {
  it("lets only the owner mark items; anonymous callers get nothing", async () => {
    const dev = await as(w.developer);
    const { items, unread } = await dev.inbox.list({ unreadOnly: true });
    expect(unread).toBe(items.length);
    const target = items[0];

    const stranger = await callerFor((await makeUser("admin")).id);
    expect(await code(stranger.inbox.markRead({ ids: [target.id] }))).toBe("NOT_FOUND");
    expect((await stranger.inbox.list()).items.find((i) => i.id === target.id)).toBeUndefined();
    await stranger.inbox.markAllRead();
    expect((await getDb().inboxItem.findUniqueOrThrow({ where: { id: target.id } })).readAt).toBeNull();

    const anon = await callerFor(null);
    for (const p of [anon.inbox.list(), anon.inbox.unreadCount(), anon.inbox.markRead({ ids: [target.id] }), anon.inbox.markAllRead()]) {
      expect(await code(p)).toBe("UNAUTHORIZED");
    }
    expect(await code(dev.inbox.markRead({ ids: [] }))).toBe("BAD_REQUEST");
    // A mix of own and foreign ids changes nothing.
    const foreign = await getDb().inboxItem.findFirstOrThrow({ where: { userId: { not: w.developer.id } } });
    expect(await code(dev.inbox.markRead({ ids: [target.id, foreign.id] }))).toBe("NOT_FOUND");
    expect((await getDb().inboxItem.findUniqueOrThrow({ where: { id: target.id } })).readAt).toBeNull();

    const marked = await dev.inbox.markRead({ ids: [target.id] });
    expect(marked).toEqual({ updated: 1, unread: unread - 1 });
    expect(await dev.inbox.unreadCount()).toEqual({ unread: unread - 1 });
    await dev.inbox.markRead({ ids: [target.id], read: false });
    expect(await dev.inbox.unreadCount()).toEqual({ unread });
    await dev.inbox.markAllRead();
    expect(await dev.inbox.unreadCount()).toEqual({ unread: 0 });
  });
});

describe("home page attention", () => {
  it("lists my requests, my teams' failures and open incidents, and nothing of other teams' services", async () => {
    const db = getDb();
    const dev = await as(w.developer);
    const { id } = await dev.deployments.create(requestInput(w, "dev", "2.1.0"));
    await db.deploymentRequest.update({ where: { id }, data: { status: "failed", finishedAt: new Date() } });
    await db.incident.create({ data: { serviceId: w.service.id, title: "Latency spike", detectedAt: new Date(), source: "pier" } });
    await db.incident.create({ data: { serviceId: w.service.id, title: "Old one", detectedAt: new Date(), resolvedAt: new Date(), source: "pier" } });

    const mine = await dev.inbox.attention();
    expect(mine.myRequests.map((r) => r.id)).toContain(id);
    expect(mine.failures.map((r) => r.id)).toEqual([id]);
    expect(mine.incidents.map((i) => i.title)).toEqual(["Latency spike"]);
    expect(mine.activity.map((r) => r.id)).toContain(id);

    const other = await (await as(w.outsider)).inbox.attention();
    expect(other).toMatchObject({ myRequests: [], failures: [], incidents: [], activity: [] });
    expect(await code((await callerFor(null)).inbox.attention())).toBe("UNAUTHORIZED");
  });
});
