// Sends one Delivery. The row in Postgres is the source of truth: a job only says "look at this delivery".
// Claiming flips pending|retrying → sending in one conditional UPDATE, so duplicate jobs (re-enqueued by the
// sweeper after a Redis flush, or a stale retry) find nothing to claim and never send twice.
import type { ChannelType } from "@/generated/prisma/enums";
import { recordAudit, systemActor } from "../audit/audit-log";
import { anyOf, newId, prepared, sql, transaction, type Db, type DB, type Selectable } from "../db";
import { logger } from "../logger";
import { loadAllowList } from "../platform/outbound-url";
import { decryptJson } from "../platform/secrets";
import { DEFAULT_RATE_PER_MINUTE, type SendOutcome } from "./channels/channel-types";
import { sendToChannel } from "./channels/send";
import { systemClock, type Clock } from "./clock";
import { cached, CONFIG_CACHE_MS, forgetChannel, listenForConfigChanges } from "./config-cache";
import { enqueueDeliveries } from "./delivery-queue";
import { composeMessage, templateFor } from "./message";
import type { RateLimiter } from "./rate-limit";
import { microBatcher, perKey } from "../bus/micro-batch";
import { resolveRecipients } from "./recipients";
import { retryDelayMs } from "./retry-policy";
import type { DeliveryPayload } from "./routing";

export type DeliveryDeps = {
  clock?: Clock;
  fetch?: typeof fetch;
  rateLimiter?: RateLimiter;
  random?: () => number;
  timeoutMs?: number;
  /** How long to wait for a row whose job was queued before its transaction committed. */
  visibilityWaitMs?: number;
  /** How long channel, template and allow-list reads may be reused (default CONFIG_CACHE_MS; 0 = always read). */
  cacheMs?: number;
  /** Re-enqueue retries (default); tests drive attempts by hand instead. */
  enqueue?: typeof enqueueDeliveries;
};

export type DeliveryResult = "missing" | "skipped" | "not_due" | "rate_limited" | "delivered" | "retrying" | "dead" | "suppressed";

const nextDigestTime = (now: Date) => {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), 8));
  if (d <= now) d.setUTCDate(d.getUTCDate() + 1);
  return d;
};

// The hot statements of a delivery (one of each per tick), built and compiled once.
const SELECT_DELIVERIES = prepared((db, p: { ids: string[] }) => db.selectFrom("Delivery").selectAll().where("id", "=", anyOf(p.ids)));

const CLAIM_DELIVERIES = prepared((db, p: { ids: string[]; now: Date }) =>
  db
    .updateTable("Delivery")
    .set((eb) => ({ status: "sending", attempts: eb("attempts", "+", 1), updatedAt: p.now }))
    .where("id", "=", anyOf(p.ids))
    .where("status", "in", ["pending", "retrying"])
    .returning("id"),
);

type FinishArrays = {
  ids: string[];
  statuses: string[];
  errors: (string | null)[];
  codes: (number | null)[];
  delivered: (string | null)[];
  next: (string | null)[];
  unclaimed: boolean[];
  now: Date;
};

const FINISH_DELIVERIES = prepared((db, p: FinishArrays) => {
  const results = sql<{
    id: string;
    status: string;
    err: string | null;
    code: number | null;
    delivered: string | null;
    next: string | null;
    unclaimed: boolean;
  }>`unnest(
      ${p.ids}::text[], ${p.statuses}::text[], ${p.errors}::text[], ${p.codes}::int[], ${p.delivered}::text[], ${p.next}::text[], ${p.unclaimed}::boolean[])`.as<"v">(
    sql`v(id, status, err, code, delivered, next, unclaimed)`,
  );
  return db
    .updateTable("Delivery as d")
    .from(results)
    .set((eb) => ({
      status: eb.ref("v.status"),
      lastError: eb.ref("v.err"),
      lastStatusCode: eb.ref("v.code"),
      deliveredAt: eb.fn.coalesce(eb.cast<Date>("v.delivered", "timestamp"), "d.deliveredAt"),
      nextAttemptAt: eb.fn.coalesce(eb.cast<Date>("v.next", "timestamp"), "d.nextAttemptAt"),
      updatedAt: p.now,
    }))
    .whereRef("d.id", "=", "v.id")
    .where((eb) => eb.or([eb("d.status", "=", "sending"), eb.and([eb.ref("v.unclaimed"), eb("d.status", "in", ["pending", "retrying"])])]));
});

// Rows for the jobs in flight in this process, read with one statement per tick.
const selectDeliveries = perKey((db: Db) =>
  microBatcher(async (ids: string[]) => {
    const rows = await SELECT_DELIVERIES.execute(db.kysely, { ids: [...new Set(ids)] });
    const byId = new Map(rows.map((r) => [r.id, r]));
    // Each caller gets its own copy: they go on to use it independently.
    return ids.map((id) => (byId.has(id) ? { ...byId.get(id)! } : null));
  }),
);

async function loadDelivery(db: Db, id: string, waitMs: number) {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const row = await selectDeliveries(db)(id);
    if (row || Date.now() >= deadline) return row ?? null;
    await new Promise((r) => setTimeout(r, 15));
  }
}

/**
 * Claims (pending|retrying → sending, one more attempt) the deliveries of one tick in one conditional UPDATE. Only
 * the row's first claimer in the batch gets it, so duplicate jobs in the same tick still cannot both send.
 */
const claimDeliveries = perKey((db: Db) =>
  microBatcher(async (ids: string[]) => {
    const claimed = await CLAIM_DELIVERIES.execute(db.kysely, { ids: [...new Set(ids)], now: new Date() });
    const open = new Set(claimed.map((c) => c.id));
    return ids.map((id) => open.delete(id));
  }),
);

/** The channel with its secret decrypted on first use (cached with it: not once per delivery). */
async function loadChannel(db: Db, id: string) {
  const channel = await db.kysely.selectFrom("NotificationChannel").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
  let plain: Record<string, unknown> | undefined;
  return { channel, secret: () => (plain ??= decryptJson<Record<string, unknown>>(channel.secretEncrypted)) };
}

export async function processDelivery(db: Db, deliveryId: string, deps: DeliveryDeps = {}): Promise<DeliveryResult> {
  const clock = deps.clock ?? systemClock;
  const enqueue = deps.enqueue ?? enqueueDeliveries;
  const row = await loadDelivery(db, deliveryId, deps.visibilityWaitMs ?? 2000);
  if (!row) return "missing";
  if (row.status !== "pending" && row.status !== "retrying") return "skipped";
  const now = clock.now();
  if (row.nextAttemptAt && row.nextAttemptAt.getTime() > now.getTime() + 100) return "not_due";
  const ch = await channelFor(db, row.channelId, deps);
  if (!ch.channel.enabled) return disabled(db, row.id, ch.channel, true);

  if (ch.perMinute && deps.rateLimiter) {
    const waitMs = await deps.rateLimiter.take(ch.channel.id, ch.perMinute, now.getTime());
    if (waitMs > 0) {
      // Not an attempt: the request never left. Come back when the channel's window opens.
      await db.kysely
        .updateTable("Delivery")
        .set({ nextAttemptAt: new Date(now.getTime() + waitMs), updatedAt: new Date() })
        .where("id", "=", row.id)
        .where("status", "=", row.status)
        .execute();
      await enqueue([{ id: row.id, channelType: ch.channel.type, attempts: row.attempts, delayMs: waitMs, suffix: `w${now.getTime() + waitMs}` }]);
      return "rate_limited";
    }
  }

  if (!(await claimDeliveries(db)(row.id))) return "skipped";
  return attempt(db, row, row.attempts + 1, ch, now, { ...deps, clock, enqueue });
}

/** A delivery as routing wrote it: what an attempt needs of the row. */
export type DeliveryRow = Pick<
  Selectable<DB["Delivery"]>,
  "id" | "idempotencyKey" | "eventId" | "eventType" | "routeId" | "channelId" | "groupKey" | "throttleKey" | "payload"
>;

/**
 * Sends a delivery that routing wrote already claimed ("sending", attempts 1) in this process — no job, no reload,
 * no claim (direct-send.ts). Disabled channels and rate limits are honoured as for a queued delivery: a delivery
 * over its channel's budget goes back to pending, not counted as an attempt, and waits for its window in a job.
 */
export async function sendClaimedDelivery(db: Db, row: DeliveryRow, deps: DeliveryDeps = {}): Promise<DeliveryResult> {
  const clock = deps.clock ?? systemClock;
  const enqueue = deps.enqueue ?? enqueueDeliveries;
  const now = clock.now();
  const ch = await channelFor(db, row.channelId, deps);
  if (!ch.channel.enabled) return disabled(db, row.id, ch.channel, false);
  if (ch.perMinute && deps.rateLimiter) {
    const waitMs = await deps.rateLimiter.take(ch.channel.id, ch.perMinute, now.getTime());
    if (waitMs > 0) {
      const { numUpdatedRows } = await db.kysely
        .updateTable("Delivery")
        .set((eb) => ({ status: "pending", attempts: eb("attempts", "-", 1), nextAttemptAt: new Date(now.getTime() + waitMs), updatedAt: new Date() }))
        .where("id", "=", row.id)
        .where("status", "=", "sending")
        .executeTakeFirst();
      if (numUpdatedRows > 0n)
        await enqueue([{ id: row.id, channelType: ch.channel.type, attempts: 0, delayMs: waitMs, suffix: `w${now.getTime() + waitMs}` }]);
      return "rate_limited";
    }
  }
  return attempt(db, row, 1, ch, now, { ...deps, clock, enqueue });
}

type ChannelForSend = Awaited<ReturnType<typeof loadChannel>> & { perMinute: number | null; settings: Record<string, unknown> };

/** The channel (cached, CONFIG_CACHE_MS) with its settings and per-minute budget. */
async function channelFor(db: Db, channelId: string, deps: DeliveryDeps): Promise<ChannelForSend> {
  const cacheMs = deps.cacheMs ?? CONFIG_CACHE_MS;
  if (cacheMs > 0) listenForConfigChanges(db);
  const loaded = await cached(`channel:${channelId}`, () => loadChannel(db, channelId), cacheMs);
  const settings = (loaded.channel.settings ?? {}) as Record<string, unknown>;
  const perMinute = typeof settings.ratePerMinute === "number" ? settings.ratePerMinute : DEFAULT_RATE_PER_MINUTE[loaded.channel.type];
  return { ...loaded, settings, perMinute };
}

async function disabled(db: Db, id: string, channel: { disabledReason: string | null }, unclaimed: boolean): Promise<DeliveryResult> {
  await finish(db, id, { status: "dead", lastError: `channel disabled${channel.disabledReason ? `: ${channel.disabledReason}` : ""}` }, unclaimed);
  return "dead";
}

/** One attempt of a claimed delivery: recipients, message, send, and the outcome written. */
async function attempt(
  db: Db,
  row: DeliveryRow,
  attemptNo: number,
  { channel, secret, settings }: ChannelForSend,
  now: Date,
  deps: DeliveryDeps & { clock: Clock; enqueue: typeof enqueueDeliveries },
): Promise<DeliveryResult> {
  const channelType: ChannelType = channel.type;
  const cacheMs = deps.cacheMs ?? CONFIG_CACHE_MS;
  let outcome: SendOutcome;
  try {
    const payload = row.payload as unknown as DeliveryPayload;
    const resolved = await resolveRecipients(db.kysely, payload.event, payload.roleRecipients ?? [], channelType, payload.onlyUserIds);
    if (resolved.dailyDigest.length > 0) await deferToDailyDigest(db, row, payload, resolved.dailyDigest, now);
    const emailTo = resolved.recipients.users.map((u) => u.email);
    if (channelType === "email" && emailTo.length === 0 && ((settings.to as string[] | undefined) ?? []).length === 0) {
      const why = resolved.dailyDigest.length ? "recipients get a daily digest instead" : "no recipients (muted or none resolved)";
      await finish(db, row.id, { status: "suppressed", lastError: why });
      return "suppressed";
    }
    const message = composeMessage(
      await cached(`template:${row.eventType}:${channelType}`, () => templateFor(db.kysely, row.eventType, channelType), cacheMs),
      channelType,
      payload.event,
      resolved.recipients,
      { deliveryId: row.id, idempotencyKey: row.idempotencyKey, threadKey: row.groupKey ?? row.throttleKey ?? row.eventId },
      payload,
    );
    outcome = await sendToChannel({ id: channel.id, type: channelType, secret: secret(), settings }, message, emailTo, {
      allowList: await cached("allow-list", () => loadAllowList(db.kysely), cacheMs),
      fetch: deps.fetch,
      timeoutMs: deps.timeoutMs,
    });
  } catch (err) {
    // Our own failure (bad stored config, undecryptable secret): retrying will not fix it.
    logger.error({ err, deliveryId: row.id }, "delivery could not be prepared");
    outcome = { kind: "permanent", error: `could not prepare: ${err instanceof Error ? err.message : String(err)}` };
  }
  return applyOutcome(db, { id: row.id, channelId: channel.id, channelType, channelUpdatedAt: channel.updatedAt }, attemptNo, outcome, deps);
}

/** A batch job: its deliveries side by side (their loads, claims and results still go in shared statements). */
export async function processDeliveries(db: Db, deliveryIds: string[], deps: DeliveryDeps = {}): Promise<DeliveryResult | DeliveryResult[]> {
  const results = await Promise.all(deliveryIds.map((id) => processDelivery(db, id, deps)));
  return results.length === 1 ? results[0] : results;
}

async function applyOutcome(
  db: Db,
  /** channelUpdatedAt: the channel's version the attempt used. */
  d: { id: string; channelId: string; channelType: ChannelType; channelUpdatedAt: Date },
  attempt: number,
  outcome: SendOutcome,
  deps: DeliveryDeps & { clock: Clock; enqueue: typeof enqueueDeliveries },
): Promise<DeliveryResult> {
  const now = deps.clock.now();
  const base = { lastStatusCode: outcome.statusCode ?? null, lastError: outcome.error?.slice(0, 1000) ?? null };
  if (outcome.kind === "delivered") {
    await finish(db, d.id, { ...base, status: "delivered", deliveredAt: now });
    return "delivered";
  }
  if (outcome.kind === "gone") {
    // Disable the channel only if it is still the version this attempt used: an admin who just fixed its URL (the
    // attempt may have used a cached copy) must not see it disabled by the old URL's 404. Then retry instead.
    const disabledReason = outcome.error ?? "endpoint gone";
    const disabled = await transaction(db, async (tx) => {
      const before = await tx.selectFrom("NotificationChannel").select(["enabled", "disabledReason"]).where("id", "=", d.channelId).executeTakeFirst();
      const { numUpdatedRows } = await tx
        .updateTable("NotificationChannel")
        .set({ enabled: false, disabledReason, updatedAt: new Date() })
        .where("id", "=", d.channelId)
        .where("updatedAt", "=", d.channelUpdatedAt)
        .executeTakeFirst();
      if (numUpdatedRows === 0n) return false;
      recordAudit(tx, {
        actor: systemActor("notifications"),
        action: "notification.channel_disabled",
        subjectType: "notification_channel",
        subjectId: d.channelId,
        before: before ?? null,
        after: { enabled: false, disabledReason },
      });
      tx.deferred.write(
        tx
          .updateTable("Delivery")
          .set({ ...base, status: "dead", updatedAt: new Date() })
          .where("id", "=", d.id)
          .where("status", "=", "sending"),
      );
      return true;
    });
    // After the commit, so no delivery in this process reloads the channel as it was.
    forgetChannel(d.channelId);
    if (disabled) return "dead";
    const retryAt = new Date(now.getTime() + 1000);
    await finish(db, d.id, { ...base, status: "retrying", nextAttemptAt: retryAt });
    await deps.enqueue([{ id: d.id, channelType: d.channelType, attempts: attempt, delayMs: 1000 }]);
    return "retrying";
  }
  const delay = outcome.kind === "retry" ? retryDelayMs(attempt, outcome.retryAfterMs, deps.random) : null;
  if (delay === null) {
    await finish(db, d.id, { ...base, status: "dead" });
    return "dead";
  }
  const nextAttemptAt = new Date(now.getTime() + delay);
  await finish(db, d.id, { ...base, status: "retrying", nextAttemptAt });
  await deps.enqueue([{ id: d.id, channelType: d.channelType, attempts: attempt, delayMs: delay }]);
  return "retrying";
}

type Finish = { status: string; lastError?: string | null; lastStatusCode?: number | null; deliveredAt?: Date; nextAttemptAt?: Date };

type FinishRow = Finish & { id: string; unclaimed: boolean };

// The results of one tick's attempts, written with one UPDATE … FROM unnest(…).
const finishDeliveries = perKey((db: Db) =>
  microBatcher(async (rows: FinishRow[]) => {
    const iso = (d?: Date) => (d ? d.toISOString() : null);
    // One row per attempt, as parallel arrays: the statement's text is the same whatever the batch's size.
    await FINISH_DELIVERIES.execute(db.kysely, {
      ids: rows.map((r) => r.id),
      statuses: rows.map((r) => r.status),
      errors: rows.map((r) => r.lastError ?? null),
      codes: rows.map((r) => r.lastStatusCode ?? null),
      delivered: rows.map((r) => iso(r.deliveredAt)),
      next: rows.map((r) => iso(r.nextAttemptAt)),
      unclaimed: rows.map((r) => r.unclaimed),
      now: new Date(),
    });
    return rows.map(() => undefined);
  }),
);

/** Writes the result of an attempt, only if the row is still the one this worker claimed (or not yet claimed). */
async function finish(db: Db, id: string, f: Finish, unclaimed = false) {
  await finishDeliveries(db)({ ...f, id, unclaimed });
}

/** Users on a daily email digest get their own grouped row, flushed once a day by the sweeper. */
async function deferToDailyDigest(
  db: Db,
  row: { id: string; idempotencyKey: string; eventId: string; eventType: string; routeId: string | null; channelId: string },
  payload: DeliveryPayload,
  users: { id: string; email: string }[],
  now: Date,
) {
  const day = now.toISOString().slice(0, 10);
  const at = new Date();
  await db.kysely
    .insertInto("Delivery")
    .values(
      users.map((u) => ({
        id: newId(),
        idempotencyKey: `${row.idempotencyKey}:digest:${u.id}`,
        eventId: row.eventId,
        eventType: row.eventType,
        routeId: row.routeId,
        channelId: row.channelId,
        recipient: `user:${u.email}`,
        status: "grouped",
        groupKey: `digest:${row.channelId}:${u.id}:${day}`,
        nextAttemptAt: nextDigestTime(now),
        payload: JSON.stringify({ ...payload, onlyUserIds: [u.id] }),
        updatedAt: at,
      })),
    )
    .onConflict((oc) => oc.doNothing())
    .execute();
}
