// From an event to Delivery rows: evaluate the routes, then decide per (route, channel) whether the notification
// goes now, waits for its group, waits out quiet hours, is scheduled as an escalation, or is suppressed (silence,
// quiet-hours drop, repeat interval, disabled channel). The real path and the route test share planDeliveries.
import type { ChannelType } from "@/generated/prisma/enums";
import type { NotificationRoute, Silence } from "@/generated/prisma/client";
import { join, newId, sql, sqlOf, type AnyTx } from "../sql";
import type { PierEvent } from "../bus/events";
import { cached } from "./config-cache";
import { enqueueDeliveries } from "./delivery-queue";
import { toRouteConfig, toSilenceConfig, type RoleRecipient, type RouteConfig, type SilenceConfig } from "./route-config";
import { evaluateRoutes, groupKeyFor, throttleKeyFor, type Evaluation } from "./route-evaluation";

export type ChannelRef = { id: string; name: string; type: ChannelType; enabled: boolean };
export type RoutingConfig = { routes: RouteConfig[]; silences: SilenceConfig[]; channels: Map<string, ChannelRef> };

export type DeliveryPayload = {
  event: PierEvent;
  routeName: string;
  roleRecipients: RoleRecipient[];
  kind: "notify" | "escalation" | "digest";
  /** Digest leaders: the events merged into this one message. */
  digest?: { eventId: string; type: string; title: string }[];
  /** Daily-digest deliveries go to these users only. */
  onlyUserIds?: string[];
};

export type PlannedDelivery = {
  idempotencyKey: string;
  eventId: string;
  eventType: string;
  routeId: string;
  routeName: string;
  channelId: string;
  channelName: string;
  channelType: ChannelType;
  recipient: string;
  status: "pending" | "grouped" | "held" | "scheduled" | "suppressed";
  lastError: string | null;
  groupKey: string | null;
  throttleKey: string | null;
  nextAttemptAt: Date | null;
  payload: DeliveryPayload;
};

export async function loadRoutingConfig(tx: AnyTx, now: Date): Promise<RoutingConfig> {
  // One after another: a transaction's connection runs one statement at a time anyway (and pg warns otherwise).
  const run = sqlOf(tx);
  const routes = await run.rows<NotificationRoute>(sql`SELECT * FROM "NotificationRoute" WHERE enabled ORDER BY position, "createdAt"`);
  const silences = await run.rows<Silence>(sql`SELECT * FROM "Silence" WHERE "startsAt" <= ${now} AND "endsAt" > ${now}`);
  const channels = await run.rows<ChannelRef>(sql`SELECT id, name, type::text AS type, enabled FROM "NotificationChannel"`);
  return { routes: routes.map(toRouteConfig), silences: silences.map(toSilenceConfig), channels: new Map(channels.map((c) => [c.id, c])) };
}

/** When a new member of `groupKey` should be flushed: with the open group, or group_wait / group_interval. */
async function groupFlushTime(tx: AnyTx, route: RouteConfig, groupKey: string, now: Date): Promise<Date> {
  // Flushed members keep their flush time in nextAttemptAt (see sweeper.flushGroups).
  const [row] = await sqlOf(tx).rows<{ open: Date | null; last: Date | null }>(sql`
    SELECT (SELECT min("nextAttemptAt") FROM "Delivery" WHERE "groupKey" = ${groupKey} AND status = 'grouped') AS open,
           (SELECT max("nextAttemptAt") FROM "Delivery"
             WHERE "groupKey" = ${groupKey} AND status NOT IN ('grouped', 'suppressed', 'held') AND "nextAttemptAt" IS NOT NULL) AS last`);
  if (row.open) return row.open;
  const nextAfterLast = row.last ? row.last.getTime() + route.groupIntervalSec * 1000 : 0;
  return new Date(Math.max(now.getTime() + route.groupWaitSec * 1000, nextAfterLast));
}

async function throttled(tx: AnyTx, route: RouteConfig, throttleKey: string, now: Date) {
  if (route.repeatIntervalSec <= 0) return false;
  const since = new Date(now.getTime() - route.repeatIntervalSec * 1000);
  const recent = await sqlOf(tx).rows(sql`
    SELECT 1 FROM "Delivery" WHERE "throttleKey" = ${throttleKey} AND "createdAt" >= ${since} AND status <> 'suppressed' LIMIT 1`);
  return recent.length > 0;
}

export async function planDeliveries(
  db: AnyTx,
  event: PierEvent & { id: string },
  config: RoutingConfig,
  now: Date,
): Promise<{ evaluation: Evaluation; plan: PlannedDelivery[] }> {
  const evaluation = evaluateRoutes(config.routes, config.silences, event, now);
  const plan: PlannedDelivery[] = [];
  for (const { route, silencedBy, quiet } of evaluation.decisions) {
    const payload: DeliveryPayload = { event, routeName: route.name, roleRecipients: route.roleRecipients, kind: "notify" };
    for (const channelId of route.channelIds) {
      const channel = config.channels.get(channelId);
      if (!channel) continue; // deleted since the route was saved
      const groupKey = groupKeyFor(route, channelId, event.labels);
      const throttleKey = throttleKeyFor(route, channelId, event.labels);
      const row: PlannedDelivery = {
        idempotencyKey: `${event.id}:${route.id}:${channelId}`,
        eventId: event.id,
        eventType: event.type,
        routeId: route.id,
        routeName: route.name,
        channelId,
        channelName: channel.name,
        channelType: channel.type,
        recipient: `channel:${channel.name}`,
        status: "pending",
        lastError: null,
        groupKey,
        throttleKey,
        nextAttemptAt: null,
        payload,
      };
      if (silencedBy) Object.assign(row, { status: "suppressed", lastError: `silenced: ${silencedBy.reason}` });
      else if (!channel.enabled) Object.assign(row, { status: "suppressed", lastError: "channel is disabled" });
      else if (quiet?.action === "drop") Object.assign(row, { status: "suppressed", lastError: "quiet hours: dropped" });
      else if (await throttled(db, route, throttleKey, now)) Object.assign(row, { status: "suppressed", lastError: "repeat interval: sent recently" });
      else if (quiet?.action === "hold") Object.assign(row, { status: "held", nextAttemptAt: quiet.endsAt });
      else if (groupKey) Object.assign(row, { status: "grouped", nextAttemptAt: await groupFlushTime(db, route, groupKey, now) });
      plan.push(row);
    }
    // Escalation: if the approval is still pending after N minutes, the next recipients hear about it.
    if (route.escalation && event.subject.deploymentRequestId && !silencedBy) {
      const esc = route.escalation;
      const due = new Date(new Date(event.occurredAt).getTime() + esc.afterMinutes * 60_000);
      for (const channelId of esc.channelIds) {
        const channel = config.channels.get(channelId);
        if (!channel) continue;
        plan.push({
          idempotencyKey: `${event.id}:${route.id}:escalation:${channelId}`,
          eventId: event.id,
          eventType: event.type,
          routeId: route.id,
          routeName: route.name,
          channelId,
          channelName: channel.name,
          channelType: channel.type,
          recipient: `escalation:${channel.name}`,
          status: "scheduled",
          lastError: null,
          groupKey: null,
          throttleKey: null,
          nextAttemptAt: due,
          payload: { ...payload, roleRecipients: esc.roleRecipients, kind: "escalation" },
        });
      }
    }
  }
  return { evaluation, plan };
}

/**
 * Inserts the plan; rows already there (same idempotency key: a re-processed event) are left alone. One raw
 * multi-row INSERT: this runs for every event, and Prisma's createManyAndReturn costs several times the CPU.
 */
export async function insertDeliveries(tx: AnyTx, plan: PlannedDelivery[]) {
  if (plan.length === 0) return [];
  const at = new Date();
  const values = plan.map(
    (p) => sql`(${newId()}, ${p.idempotencyKey}, ${p.eventId}, ${p.eventType}, ${p.routeId}, ${p.channelId}, ${p.recipient},
      ${p.status}, ${p.lastError}, ${p.groupKey}, ${p.throttleKey}, ${p.nextAttemptAt}::timestamp, ${JSON.stringify(p.payload)}::jsonb, ${at}::timestamp, ${at}::timestamp)`,
  );
  const created = await sqlOf(tx).rows<{ id: string; status: string; channelId: string }>(sql`
    INSERT INTO "Delivery" (id, "idempotencyKey", "eventId", "eventType", "routeId", "channelId", recipient, status, "lastError",
      "groupKey", "throttleKey", "nextAttemptAt", payload, "createdAt", "updatedAt")
    VALUES ${join(values)}
    ON CONFLICT ("idempotencyKey") DO NOTHING
    RETURNING id, status, "channelId"`);
  const typeOf = new Map(plan.map((p) => [p.channelId, p.channelType]));
  return created.map((c) => ({ ...c, channelType: typeOf.get(c.channelId)! }));
}

/** The outbox subscriber's work, inside its transaction: route the event, write the deliveries, queue them. */
export async function routeEvent(tx: AnyTx, event: PierEvent & { id: string }, now: Date, opts: { cacheMs?: number } = {}) {
  // Silences are filtered by time when loaded, so the cached copy is keyed to the cache window's start.
  const config = await cached("routing-config", () => loadRoutingConfig(tx, now), opts.cacheMs ?? 0);
  if (config.routes.length === 0) return [];
  const { plan } = await planDeliveries(tx, event, config, now);
  const created = await insertDeliveries(tx, plan);
  await enqueueDeliveries(created.filter((c) => c.status === "pending").map((c) => ({ id: c.id, channelType: c.channelType, attempts: 0 })));
  return created;
}

/**
 * Several events in the subscriber's transaction: one plan per event, one INSERT for all of them. The jobs are
 * queued by the returned function once the transaction has committed, so a worker never looks for a row it cannot
 * see yet (if they are lost, the sweeper queues the pending rows).
 */
export async function routeEvents(tx: AnyTx, events: (PierEvent & { id: string })[], now: Date, opts: { cacheMs?: number } = {}) {
  const config = await cached("routing-config", () => loadRoutingConfig(tx, now), opts.cacheMs ?? 0);
  if (config.routes.length === 0) return { created: [], enqueue: async () => true };
  // Grouping and the repeat interval read the rows earlier events wrote: then each event's rows go in before the
  // next event is planned, exactly as when events are routed one by one.
  const dependent = config.routes.some((r) => r.groupBy.length > 0 || r.repeatIntervalSec > 0);
  const created: Awaited<ReturnType<typeof insertDeliveries>> = [];
  let plan: PlannedDelivery[] = [];
  for (const event of events) {
    plan.push(...(await planDeliveries(tx, event, config, now)).plan);
    if (dependent) {
      created.push(...(await insertDeliveries(tx, plan)));
      plan = [];
    }
  }
  created.push(...(await insertDeliveries(tx, plan)));
  const pending = created.filter((c) => c.status === "pending").map((c) => ({ id: c.id, channelType: c.channelType, attempts: 0 }));
  return { created, enqueue: () => enqueueDeliveries(pending) };
}
