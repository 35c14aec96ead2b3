// The notification sweeper, run every second by the worker process. Postgres holds every delivery's state, so
// this loop is what makes time-based behaviour happen and what repairs lost jobs:
//   held (quiet hours) → pending when the window ends; due groups → one digest; due escalations → sent if the
//   approval is still pending; deliveries stuck in "sending" past SENDING_LEASE_MS (worker died) → retried; pending/retrying rows whose
//   job vanished (Redis flushed or down) → enqueued again (same job id, so a job still queued is not doubled; a failed one is replaced).
import type { ChannelType } from "@/generated/prisma/enums";
import { startPeriodic } from "../platform/periodic";
import { anyOf, transaction, type Db, type DB, type Kysely } from "../db";
import type { PierEventShape } from "../bus/events";
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

/**
 * A row stays "sending" only while its worker's request is in flight, and every send is aborted after at most
 * 10 s (channels/http-send.ts). Six times that, the worker that claimed it has died or lost its database: the row
 * is retried (at least once: the receiver may have had the first request — it carries the same idempotency key).
 */
export const SENDING_LEASE_MS = 60_000;

export type SweepResult = { released: number; escalated: number; groupsFlushed: number; reclaimed: number; requeued: number };

type Ref = { id: string; channelType: ChannelType; attempts: number };

export async function sweepNotifications(db: Db, opts: SweepOptions = {}): Promise<SweepResult> {
  const now = (opts.clock ?? systemClock).now();
  const enqueue = opts.enqueue ?? enqueueDeliveries;
  const batch = opts.batchSize ?? 500;

  const released = await db.kysely
    .updateTable("Delivery as d")
    .from("NotificationChannel as c")
    .set({ status: "pending", nextAttemptAt: null, updatedAt: now })
    .whereRef("d.channelId", "=", "c.id")
    .where("d.id", "in", (eb) =>
      eb
        .selectFrom("Delivery")
        .select("id")
        .where("status", "=", "held")
        .where("nextAttemptAt", "<=", now)
        .orderBy("nextAttemptAt")
        .limit(batch)
        .forUpdate()
        .skipLocked(),
    )
    .returning(["d.id", "c.type as channelType", "d.attempts"])
    .execute();

  const escalated = await releaseEscalations(db, now, batch);
  const flushed = await flushGroups(db, now);

  const { numUpdatedRows: reclaimed } = await db.kysely
    .updateTable("Delivery")
    .set({ status: "retrying", nextAttemptAt: now, updatedAt: now, lastError: "worker stopped while sending; retrying" })
    .where("status", "=", "sending")
    .where("updatedAt", "<", new Date(now.getTime() - (opts.stuckAfterMs ?? SENDING_LEASE_MS)))
    .executeTakeFirst();

  const lostBefore = new Date(now.getTime() - (opts.lostAfterMs ?? 10_000));
  const lost = await db.kysely
    .selectFrom("Delivery as d")
    .innerJoin("NotificationChannel as c", "c.id", "d.channelId")
    .select(["d.id", "c.type as channelType", "d.attempts"])
    .where("d.status", "in", ["pending", "retrying"])
    .where((eb) => eb(eb.fn.coalesce("d.nextAttemptAt", "d.updatedAt"), "<=", lostBefore))
    .orderBy((eb) => eb.fn.coalesce("d.nextAttemptAt", "d.updatedAt"))
    .limit(batch)
    .execute();

  const refs: DeliveryJobRef[] = [...released, ...escalated, ...flushed, ...lost];
  if (refs.length > 0) await enqueue(refs, { replaceFinished: true });
  return { released: released.length, escalated: escalated.length, groupsFlushed: flushed.length, reclaimed: Number(reclaimed), requeued: lost.length };
}

/** Deliveries due in a state the sweeper moves on, with their channel's type; locked (FOR UPDATE OF d SKIP LOCKED). */
const dueDeliveries = (db: Kysely<DB>, status: "scheduled" | "grouped", now: Date) =>
  db
    .selectFrom("Delivery as d")
    .innerJoin("NotificationChannel as c", "c.id", "d.channelId")
    .select(["d.id", "c.type as channelType", "d.attempts", "d.payload"])
    .where("d.status", "=", status)
    .where("d.nextAttemptAt", "<=", now)
    .forUpdate(["d"])
    .skipLocked();

const payloadOf = (row: { payload: unknown }) => row.payload as DeliveryPayload;

/** Escalations whose time has come: sent only if the approval they are about is still pending. */
async function releaseEscalations(db: Db, now: Date, batch: number): Promise<Ref[]> {
  return transaction(db, async (tx) => {
    const due = await dueDeliveries(tx, "scheduled", now).orderBy("d.nextAttemptAt").limit(batch).execute();
    if (due.length === 0) return [];
    const requestIds = [...new Set(due.map((d) => payloadOf(d).event.subject.deploymentRequestId).filter((x): x is string => !!x))];
    const requests = await tx.selectFrom("DeploymentRequest").select(["id", "status"]).where("id", "=", anyOf(requestIds)).execute();
    const status = new Map(requests.map((r) => [r.id, r.status]));
    const send: Ref[] = [];
    const at = new Date();
    // The decisions go with COMMIT: nothing in this transaction reads them back.
    for (const d of due) {
      const s = status.get(payloadOf(d).event.subject.deploymentRequestId ?? "");
      if (s === "pending_approval") {
        tx.deferred.write(tx.updateTable("Delivery").set({ status: "pending", nextAttemptAt: null, updatedAt: at }).where("id", "=", d.id));
        send.push({ id: d.id, channelType: d.channelType, attempts: d.attempts });
      } else {
        const lastError = s ? `no escalation needed: request is ${s}` : "no escalation needed: request not found";
        tx.deferred.write(tx.updateTable("Delivery").set({ status: "suppressed", lastError, updatedAt: at }).where("id", "=", d.id));
      }
    }
    return send;
  });
}

/** Each due group becomes one message: the oldest member carries the digest, the others are marked merged. */
async function flushGroups(db: Db, now: Date): Promise<Ref[]> {
  const keys = await db.kysely
    .selectFrom("Delivery")
    .select("groupKey")
    .distinct()
    .where("status", "=", "grouped")
    .where("nextAttemptAt", "<=", now)
    .limit(100)
    .execute();
  const leaders: Ref[] = [];
  for (const { groupKey } of keys) {
    if (groupKey === null) continue;
    const leader = await transaction(db, async (tx) => {
      const members = await dueDeliveries(tx, "grouped", now).where("d.groupKey", "=", groupKey).orderBy("d.createdAt").orderBy("d.id").execute();
      if (members.length === 0) return null;
      const [first, ...rest] = members;
      const digest = members.map((m) => {
        const event = payloadOf(m).event;
        return { eventId: event.id ?? "", type: event.type, title: digestTitle(event as PierEventShape) };
      });
      const at = new Date();
      const payload: DeliveryPayload = { ...payloadOf(first), kind: "digest", digest };
      tx.deferred.write(
        tx
          .updateTable("Delivery")
          .set({ status: "pending", nextAttemptAt: now, payload: JSON.stringify(payload), updatedAt: at })
          .where("id", "=", first.id),
      );
      if (rest.length > 0) {
        tx.deferred.write(
          tx
            .updateTable("Delivery")
            .set({ status: "merged", nextAttemptAt: now, lastError: `sent in digest ${first.id}`, updatedAt: at })
            .where("id", "=", anyOf(rest.map((m) => m.id))),
        );
      }
      return { id: first.id, channelType: first.channelType, attempts: first.attempts };
    });
    if (leader) leaders.push(leader);
  }
  return leaders;
}

/** Runs the sweep every `intervalMs` until stopped (the worker process's background loop). */
export function startNotificationSweeper(db: Db, intervalMs = 1000, opts: SweepOptions = {}) {
  return startPeriodic("notification sweep", intervalMs, () => sweepNotifications(db, opts), { lease: db });
}
