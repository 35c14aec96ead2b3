// The delivery log: every notification with its status, attempts and last answer, and a manual retry.
import { z } from "zod";
import { recordAudit, type Actor } from "../audit/audit-log";
import { transaction, type Db } from "../db";
import { badRequest, notFound } from "../errors";
import { enqueueDeliveries } from "./delivery-queue";

const DELIVERY_STATUSES = ["pending", "retrying", "sending", "delivered", "dead", "suppressed", "held", "grouped", "merged", "scheduled"] as const;

export const deliveryFilterSchema = z.object({
  status: z.enum(DELIVERY_STATUSES).optional(),
  channelId: z.string().optional(),
  eventType: z.string().max(100).optional(),
  cursor: z.string().optional(),
  limit: z.number().int().min(1).max(200).default(50),
});

export async function listDeliveries(db: Db, input: z.input<typeof deliveryFilterSchema>) {
  const f = deliveryFilterSchema.parse(input);
  const rows = await db.delivery.findMany({
    where: { status: f.status, channelId: f.channelId, eventType: f.eventType },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: f.limit + 1,
    ...(f.cursor ? { cursor: { id: f.cursor }, skip: 1 } : {}),
    select: {
      id: true,
      eventId: true,
      eventType: true,
      routeId: true,
      recipient: true,
      status: true,
      attempts: true,
      lastStatusCode: true,
      lastError: true,
      groupKey: true,
      nextAttemptAt: true,
      deliveredAt: true,
      createdAt: true,
      updatedAt: true,
      channel: { select: { id: true, name: true, type: true } },
    },
  });
  const routeIds = [...new Set(rows.map((r) => r.routeId).filter((x): x is string => !!x))];
  const routes = new Map(
    (await db.notificationRoute.findMany({ where: { id: { in: routeIds } }, select: { id: true, name: true } })).map((r) => [r.id, r.name]),
  );
  const page = rows.slice(0, f.limit).map((r) => ({ ...r, routeName: r.routeId ? (routes.get(r.routeId) ?? "(deleted route)") : null }));
  return { items: page, nextCursor: rows.length > f.limit ? page[page.length - 1].id : null };
}

export async function deliveryCounts(db: Db) {
  const rows = await db.delivery.groupBy({ by: ["status"], _count: { _all: true } });
  return Object.fromEntries(rows.map((r) => [r.status, r._count._all])) as Record<string, number>;
}

/**
 * Sends a dead delivery again. Attempts restart from zero; the idempotency key stays the same, so receivers that
 * deduplicate on it can still tell it is the same notification. A suppressed delivery is never retried: it was held
 * back on purpose (a silence, quiet hours, a repeat interval, the recipients' mutes), and a retry would override that.
 */
export async function retryDelivery(db: Db, actor: Actor, id: string) {
  const row = await transaction(db, async (tx) => {
    const before = await tx
      .selectFrom("Delivery as d")
      .innerJoin("NotificationChannel as c", "c.id", "d.channelId")
      .select(["d.status", "d.attempts", "d.lastError", "c.type as channelType", "c.enabled as channelEnabled"])
      .where("d.id", "=", id)
      .executeTakeFirst();
    if (!before) throw notFound("Delivery");
    if (before.status === "suppressed") {
      throw badRequest(`This delivery was suppressed on purpose (${before.lastError ?? "no reason recorded"}); it is not retried`, "id");
    }
    if (before.status !== "dead") throw badRequest(`Only dead deliveries can be retried (this one is ${before.status})`, "id");
    if (!before.channelEnabled) throw badRequest("The channel is disabled: enable it first", "id");
    tx.deferred.write(
      tx
        .updateTable("Delivery")
        .set({ status: "pending", attempts: 0, nextAttemptAt: null, lastError: `manual retry by ${actor.label}`, updatedAt: new Date() })
        .where("id", "=", id),
    );
    recordAudit(tx, {
      actor,
      action: "notification.delivery_retried",
      subjectType: "delivery",
      subjectId: id,
      before: { status: before.status, attempts: before.attempts, lastError: before.lastError },
      after: { status: "pending" },
    });
    return { id, channelType: before.channelType };
  });
  // A unique job id per manual retry: the delivery's earlier jobs may still be in Redis's failed set.
  await enqueueDeliveries([{ id: row.id, channelType: row.channelType, attempts: 0, suffix: `m${Date.now()}` }]);
  return { id: row.id, status: "pending" as const };
}
