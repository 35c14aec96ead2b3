// From an event to Delivery rows: evaluate the routes, then decide per (route, channel) whether the notification
// goes now, waits for its group, waits out quiet hours, is scheduled as an escalation, or is suppressed (silence,
// quiet-hours drop, repeat interval, disabled channel). The real path and the route test share planDeliveries.
import type { ChannelType } from "@/generated/prisma/enums";
import { newId, prepared, sql, type Db, type DB, type Kysely, type Selectable, type Tx } from "../db";
import type { PierEventShape } from "../bus/events";
import { jsonWithEvent } from "./channels/event-json";
import { cached } from "./config-cache";
import type { DeliveryRow } from "./delivery";
import { enqueueDeliveries } from "./delivery-queue";
import type { DirectSends } from "./direct-send";
import { toRouteConfig, toSilenceConfig, type RoleRecipient, type RouteConfig, type SilenceConfig } from "./route-config";
import { evaluateRoutes, groupKeyFor, throttleKeyFor, type Evaluation } from "./route-evaluation";

type ChannelRef = Pick<Selectable<DB["NotificationChannel"]>, "id" | "name" | "type" | "enabled">;
export type RoutingConfig = { routes: RouteConfig[]; silences: SilenceConfig[]; channels: Map<string, ChannelRef> };

export type DeliveryPayload = {
  event: PierEventShape;
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

/** Enabled routes (in evaluation order), the silences active at `now`, every channel. Read inside or outside a transaction. */
export async function loadRoutingConfig(db: Kysely<DB>, now: Date): Promise<RoutingConfig> {
  // One after another: a transaction's connection runs one statement at a time anyway (and pg warns otherwise).
  const routes = await db.selectFrom("NotificationRoute").selectAll().where("enabled", "=", true).orderBy("position").orderBy("createdAt").execute();
  const silences = await db.selectFrom("Silence").selectAll().where("startsAt", "<=", now).where("endsAt", ">", now).execute();
  const channels = await db.selectFrom("NotificationChannel").select(["id", "name", "type", "enabled"]).execute();
  return { routes: routes.map(toRouteConfig), silences: silences.map(toSilenceConfig), channels: new Map(channels.map((c) => [c.id, c])) };
}

/** When a new member of `groupKey` should be flushed: with the open group, or group_wait / group_interval. */
async function groupFlushTime(db: Kysely<DB>, route: RouteConfig, groupKey: string, now: Date): Promise<Date> {
  // Flushed members keep their flush time in nextAttemptAt (see sweeper.flushGroups). Both in one statement.
  const row = await db
    .selectNoFrom((eb) => [
      eb
        .selectFrom("Delivery")
        .select((d) => d.fn.min("nextAttemptAt").as("at"))
        .where("groupKey", "=", groupKey)
        .where("status", "=", "grouped")
        .as("open"),
      eb
        .selectFrom("Delivery")
        .select((d) => d.fn.max("nextAttemptAt").as("at"))
        .where("groupKey", "=", groupKey)
        .where("status", "not in", ["grouped", "suppressed", "held"])
        .where("nextAttemptAt", "is not", null)
        .as("last"),
    ])
    .executeTakeFirstOrThrow();
  if (row.open) return row.open;
  const nextAfterLast = row.last ? row.last.getTime() + route.groupIntervalSec * 1000 : 0;
  return new Date(Math.max(now.getTime() + route.groupWaitSec * 1000, nextAfterLast));
}

async function throttled(db: Kysely<DB>, route: RouteConfig, throttleKey: string, now: Date) {
  if (route.repeatIntervalSec <= 0) return false;
  const since = new Date(now.getTime() - route.repeatIntervalSec * 1000);
  const recent = await db
    .selectFrom("Delivery")
    .select((eb) => eb.lit(1).as("one"))
    .where("throttleKey", "=", throttleKey)
    .where("createdAt", ">=", since)
    .where("status", "<>", "suppressed")
    .limit(1)
    .executeTakeFirst();
  return recent !== undefined;
}

export async function planDeliveries(
  db: Kysely<DB>,
  event: PierEventShape & { id: string },
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

type DeliveryArrays = {
  ids: string[];
  keys: string[];
  eventIds: string[];
  eventTypes: string[];
  routeIds: (string | null)[];
  channelIds: string[];
  recipients: string[];
  statuses: string[];
  attempts: number[];
  errors: (string | null)[];
  groupKeys: (string | null)[];
  throttleKeys: (string | null)[];
  nextAttempts: (string | null)[];
  payloads: string[];
  at: Date;
};

// One INSERT … SELECT FROM unnest(arrays) for any number of rows: one statement text, built and compiled once.
const INSERT_DELIVERIES = prepared((db, p: DeliveryArrays) =>
  db
    .insertInto("Delivery")
    .columns([
      "id",
      "idempotencyKey",
      "eventId",
      "eventType",
      "routeId",
      "channelId",
      "recipient",
      "status",
      "attempts",
      "lastError",
      "groupKey",
      "throttleKey",
      "nextAttemptAt",
      "payload",
      "createdAt",
      "updatedAt",
    ])
    .expression(
      sql<Record<string, unknown>>`SELECT v.id, v.key, v."eventId", v."eventType", v."routeId", v."channelId", v.recipient, v.status, v.attempts, v.err,
        v."groupKey", v."throttleKey", v.next::timestamp, v.payload::jsonb, ${p.at}::timestamp, ${p.at}::timestamp
      FROM unnest(${p.ids}::text[], ${p.keys}::text[], ${p.eventIds}::text[], ${p.eventTypes}::text[], ${p.routeIds}::text[], ${p.channelIds}::text[],
        ${p.recipients}::text[], ${p.statuses}::text[], ${p.attempts}::int[], ${p.errors}::text[], ${p.groupKeys}::text[], ${p.throttleKeys}::text[],
        ${p.nextAttempts}::text[], ${p.payloads}::text[])
        AS v(id, key, "eventId", "eventType", "routeId", "channelId", recipient, status, attempts, err, "groupKey", "throttleKey", next, payload)`,
    )
    .onConflict((oc) => oc.column("idempotencyKey").doNothing())
    .returning(["id", "status", "channelId"]),
);

/**
 * Inserts the plan; rows already there (same idempotency key: a re-processed event) are left alone. One multi-row
 * INSERT: this runs for every event. With `direct`, pending rows that get an in-flight slot are written already
 * claimed ("sending", attempts 1) and sent by this process once the transaction commits (direct-send.ts); slots of
 * rows not written (there already, or rolled back) are given back.
 */
async function insertDeliveries(tx: Tx, plan: PlannedDelivery[], direct?: Direct) {
  if (plan.length === 0) return [];
  const at = new Date();
  const ids = plan.map(() => newId());
  const claimed = plan.map((p) => p.status === "pending" && direct !== undefined && direct.sends.reserve(p.channelId));
  const statuses = plan.map((p, i) => (claimed[i] ? "sending" : p.status));
  const payloads = plan.map((p) => jsonWithEvent(p.payload));
  const created = await INSERT_DELIVERIES.execute(tx, {
    ids,
    keys: plan.map((p) => p.idempotencyKey),
    eventIds: plan.map((p) => p.eventId),
    eventTypes: plan.map((p) => p.eventType),
    routeIds: plan.map((p) => p.routeId),
    channelIds: plan.map((p) => p.channelId),
    recipients: plan.map((p) => p.recipient),
    statuses,
    attempts: claimed.map((c) => (c ? 1 : 0)),
    errors: plan.map((p) => p.lastError ?? null),
    groupKeys: plan.map((p) => p.groupKey ?? null),
    throttleKeys: plan.map((p) => p.throttleKey ?? null),
    nextAttempts: plan.map((p) => (p.nextAttemptAt ? p.nextAttemptAt.toISOString() : null)),
    payloads,
    at,
  });
  const typeOf = new Map(plan.map((p) => [p.channelId, p.channelType]));
  if (direct && claimed.includes(true)) {
    const written = new Set(created.map((c) => c.id));
    const rows: DeliveryRow[] = [];
    plan.forEach((p, i) => {
      if (!claimed[i]) return;
      if (!written.has(ids[i])) return direct.sends.release(p.channelId);
      rows.push({ ...p, id: ids[i] });
      tx.afterRollback(() => direct.sends.release(p.channelId));
    });
    if (rows.length > 0) tx.afterCommit(() => direct.sends.send(direct.db, rows));
  }
  return created.map((c) => ({ ...c, channelType: typeOf.get(c.channelId)! }));
}

type Created = Awaited<ReturnType<typeof insertDeliveries>>;

/** Where routing may send first attempts itself: the process's direct sender and its database handle. */
type Direct = { sends: DirectSends; db: Db };

/**
 * Queues the first attempts of the pending rows once the transaction has committed, so a worker never looks for a
 * row it cannot see yet (if the jobs are lost, the sweeper queues the pending rows).
 */
function enqueueAfterCommit(tx: Tx, created: Created) {
  const pending = created.filter((c) => c.status === "pending").map((c) => ({ id: c.id, channelType: c.channelType, attempts: 0 }));
  if (pending.length > 0) tx.afterCommit(() => enqueueDeliveries(pending));
}

type RouteOptions = { cacheMs?: number; direct?: Direct };

/** The outbox subscriber's work for one event, inside its transaction: route it, write the deliveries, queue them. */
export async function routeEvent(tx: Tx, event: PierEventShape & { id: string }, now: Date, opts: RouteOptions = {}) {
  // Silences are filtered by time when loaded, so the cached copy is keyed to the cache window's start.
  const config = await cached("routing-config", () => loadRoutingConfig(tx, now), opts.cacheMs ?? 0);
  if (config.routes.length === 0) return [];
  const { plan } = await planDeliveries(tx, event, config, now);
  const created = await insertDeliveries(tx, plan, opts.direct);
  enqueueAfterCommit(tx, created);
  return created;
}

/** Several events in the subscriber's transaction: one plan per event, one INSERT for all of them. */
export async function routeEvents(tx: Tx, events: (PierEventShape & { id: string })[], now: Date, opts: RouteOptions = {}) {
  const config = await cached("routing-config", () => loadRoutingConfig(tx, now), opts.cacheMs ?? 0);
  if (config.routes.length === 0) return [];
  // Grouping and the repeat interval read the rows earlier events wrote: then each event's rows go in before the
  // next event is planned, exactly as when events are routed one by one.
  const dependent = config.routes.some((r) => r.groupBy.length > 0 || r.repeatIntervalSec > 0);
  const created: Created = [];
  let plan: PlannedDelivery[] = [];
  for (const event of events) {
    plan.push(...(await planDeliveries(tx, event, config, now)).plan);
    if (dependent) {
      created.push(...(await insertDeliveries(tx, plan, opts.direct)));
      plan = [];
    }
  }
  created.push(...(await insertDeliveries(tx, plan, opts.direct)));
  enqueueAfterCommit(tx, created);
  return created;
}
