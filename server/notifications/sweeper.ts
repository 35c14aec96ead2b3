// The notification sweeper, run every second by the worker process. Postgres holds every delivery's state, so
// this loop is what makes time-based behaviour happen and what repairs lost jobs:
//   held (quiet hours) → pending when the window ends; due groups → one digest; due escalations → sent if the
//   approval is still pending; deliveries stuck in "sending" (worker died) → retried; pending/retrying rows whose
//   job vanished (Redis flushed or down) → enqueued again (same job id, so a job still queued is not doubled).
import type { ChannelType } from "@/generated/prisma/enums";
import { startPeriodic } from "../platform/periodic";
import type { Db, Prisma } from "../db";
import type { PierEvent } from "../bus/events";
import { systemClock, type Clock } from "./clock";
import { enqueueDeliveries, type DeliveryJobRef } from "./delivery-queue";
import { digestTitle } from "./message";
import type { DeliveryPayload } from "./routing";

export type SweepOptions = {
  clock?: Clock;
  enqueue?: typeof enqueueDeliveries;
  batchSize?: number;
  /** A pending row this old (past its due time) is assumed to have lost its job. */
  lostAfterMs?: number;
  /** A row "sending" this long belonged to a worker that died mid-send. */
  stuckAfterMs?: number;
};

export type SweepResult = { released: number; escalated: number; groupsFlushed: number; reclaimed: number; requeued: number };

type Ref = { id: string; channelType: ChannelType; attempts: number };

export async function sweepNotifications(db: Db, opts: SweepOptions = {}): Promise<SweepResult> {
  const now = (opts.clock ?? systemClock).now();
  const enqueue = opts.enqueue ?? enqueueDeliveries;
  const batch = opts.batchSize ?? 500;

  const released = await db.$queryRaw<Ref[]>`
    UPDATE "Delivery" d SET status = 'pending', "nextAttemptAt" = NULL, "updatedAt" = ${now}
    FROM "NotificationChannel" c
    WHERE d."channelId" = c.id AND d.id IN (
      SELECT id FROM "Delivery" WHERE status = 'held' AND "nextAttemptAt" <= ${now}
      ORDER BY "nextAttemptAt" LIMIT ${batch} FOR UPDATE SKIP LOCKED)
    RETURNING d.id, c.type::text AS "channelType", d.attempts`;

  const escalated = await releaseEscalations(db, now, batch);
  const flushed = await flushGroups(db, now);

  const reclaimed = await db.$executeRaw`
    UPDATE "Delivery" SET status = 'retrying', "nextAttemptAt" = ${now}, "updatedAt" = ${now},
      "lastError" = 'worker stopped while sending; retrying'
    WHERE status = 'sending' AND "updatedAt" < ${new Date(now.getTime() - (opts.stuckAfterMs ?? 5 * 60_000))}`;

  const lostBefore = new Date(now.getTime() - (opts.lostAfterMs ?? 10_000));
  const lost = await db.$queryRaw<Ref[]>`
    SELECT d.id, c.type::text AS "channelType", d.attempts FROM "Delivery" d
    JOIN "NotificationChannel" c ON c.id = d."channelId"
    WHERE d.status IN ('pending', 'retrying') AND COALESCE(d."nextAttemptAt", d."updatedAt") <= ${lostBefore}
    ORDER BY COALESCE(d."nextAttemptAt", d."updatedAt") LIMIT ${batch}`;

  const refs: DeliveryJobRef[] = [...released, ...escalated, ...flushed, ...lost];
  if (refs.length > 0) await enqueue(refs);
  return { released: released.length, escalated: escalated.length, groupsFlushed: flushed.length, reclaimed, requeued: lost.length };
}

/** Escalations whose time has come: sent only if the approval they are about is still pending. */
async function releaseEscalations(db: Db, now: Date, batch: number): Promise<Ref[]> {
  return db.$transaction(async (tx) => {
    const due = await tx.$queryRaw<(Ref & { payload: DeliveryPayload })[]>`
      SELECT d.id, c.type::text AS "channelType", d.attempts, d.payload FROM "Delivery" d
      JOIN "NotificationChannel" c ON c.id = d."channelId"
      WHERE d.status = 'scheduled' AND d."nextAttemptAt" <= ${now}
      ORDER BY d."nextAttemptAt" LIMIT ${batch} FOR UPDATE OF d SKIP LOCKED`;
    if (due.length === 0) return [];
    const requestIds = [...new Set(due.map((d) => d.payload.event.subject.deploymentRequestId).filter((x): x is string => !!x))];
    const requests = await tx.deploymentRequest.findMany({ where: { id: { in: requestIds } }, select: { id: true, status: true } });
    const status = new Map(requests.map((r) => [r.id, r.status]));
    const send: Ref[] = [];
    for (const d of due) {
      const s = status.get(d.payload.event.subject.deploymentRequestId ?? "");
      if (s === "pending_approval") {
        await tx.delivery.update({ where: { id: d.id }, data: { status: "pending", nextAttemptAt: null } });
        send.push({ id: d.id, channelType: d.channelType, attempts: d.attempts });
      } else {
        await tx.delivery.update({
          where: { id: d.id },
          data: { status: "suppressed", lastError: s ? `no escalation needed: request is ${s}` : "no escalation needed: request not found" },
        });
      }
    }
    return send;
  });
}

/** Each due group becomes one message: the oldest member carries the digest, the others are marked merged. */
async function flushGroups(db: Db, now: Date): Promise<Ref[]> {
  const keys = await db.$queryRaw<{ groupKey: string }[]>`
    SELECT DISTINCT "groupKey" FROM "Delivery" WHERE status = 'grouped' AND "nextAttemptAt" <= ${now} LIMIT 100`;
  const leaders: Ref[] = [];
  for (const { groupKey } of keys) {
    const leader = await db.$transaction(async (tx) => {
      const members = await tx.$queryRaw<(Ref & { payload: DeliveryPayload })[]>`
        SELECT d.id, c.type::text AS "channelType", d.attempts, d.payload FROM "Delivery" d
        JOIN "NotificationChannel" c ON c.id = d."channelId"
        WHERE d."groupKey" = ${groupKey} AND d.status = 'grouped' AND d."nextAttemptAt" <= ${now}
        ORDER BY d."createdAt", d.id FOR UPDATE OF d SKIP LOCKED`;
      if (members.length === 0) return null;
      const [first, ...rest] = members;
      const digest = members.map((m) => ({ eventId: m.payload.event.id ?? "", type: m.payload.event.type, title: digestTitle(m.payload.event as PierEvent) }));
      await tx.delivery.update({
        where: { id: first.id },
        data: { status: "pending", nextAttemptAt: now, payload: { ...first.payload, kind: "digest", digest } as unknown as Prisma.InputJsonObject },
      });
      if (rest.length > 0) {
        await tx.delivery.updateMany({
          where: { id: { in: rest.map((m) => m.id) } },
          data: { status: "merged", nextAttemptAt: now, lastError: `sent in digest ${first.id}` },
        });
      }
      return { id: first.id, channelType: first.channelType, attempts: first.attempts };
    });
    if (leader) leaders.push(leader);
  }
  return leaders;
}

/** Runs the sweep every `intervalMs` until stopped (the worker process's background loop). */
export function startNotificationSweeper(db: Db, intervalMs = 1000, opts: SweepOptions = {}) {
  return startPeriodic("notification sweep", intervalMs, () => sweepNotifications(db, opts));
}
