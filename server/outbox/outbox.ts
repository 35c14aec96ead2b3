// Transactional outbox (ARCHITECTURE rule 4): state changes write an OutboxEvent in their own transaction;
// the dispatcher moves unsent rows into BullMQ with job id = outbox id. Rows dispatched but never processed
// (Redis flushed, worker lost) are dispatched again; consumers are idempotent, so nothing is lost or doubled.
import type { Queue } from "bullmq";
import type { Db, Tx } from "../db";
import { join, newId, raw, sql, sqlOf, sqlTransaction, type AnyTx, type DeferredWrite } from "../sql";
import { logger } from "../logger";
import { startPeriodic } from "../platform/periodic";
import { QUEUES, closeQueues, getReadyQueue } from "../platform/queues";

export type OutboxMessage = { type: string; payload: Record<string, unknown>; queue?: string };
export type OutboxJobData = { outboxId: string; type: string; payload: Record<string, unknown> };
/** Several outbox rows in one job (queues listed in OUTBOX_BATCH_QUEUES). */
export type OutboxBatchJobData = { batch: OutboxJobData[] };

/**
 * Queues whose consumer takes outbox rows in batches: the dispatcher puts up to OUTBOX_ROWS_PER_JOB rows of one
 * dispatch in a job, so a burst of events costs a few BullMQ jobs rather than one each. Consumers must be
 * idempotent per row (they are: consumed-markers), since a re-dispatch may batch rows differently.
 */
export const OUTBOX_BATCH_QUEUES: ReadonlySet<string> = new Set([QUEUES.events]);
export const OUTBOX_ROWS_PER_JOB = 50;

type OutboxRow = { id: string; queue: string; type: string; payload: Record<string, unknown> };

function jobsFor(queueName: string, rows: OutboxRow[]) {
  const data = (row: OutboxRow): OutboxJobData => ({ outboxId: row.id, type: row.type, payload: row.payload });
  if (!OUTBOX_BATCH_QUEUES.has(queueName) || rows.length === 1) return rows.map((row) => ({ name: row.type, data: data(row) as OutboxJobData | OutboxBatchJobData, opts: { jobId: row.id } }));
  const jobs: { name: string; data: OutboxJobData | OutboxBatchJobData; opts: { jobId: string } }[] = [];
  for (let i = 0; i < rows.length; i += OUTBOX_ROWS_PER_JOB) {
    const part = rows.slice(i, i + OUTBOX_ROWS_PER_JOB);
    jobs.push({ name: "batch", data: { batch: part.map(data) }, opts: { jobId: `b-${part[0].id}-${part.length}` } });
  }
  return jobs;
}

const OUTBOX_INSERT: DeferredWrite<OutboxMessage & { id: string }> = {
  name: "outbox",
  ctes: (rows, prefix) => [
    sql`${raw(`${prefix}insert`)} AS (INSERT INTO "OutboxEvent" (id, queue, type, payload) VALUES ${join(
      rows.map((m) => sql`(${m.id}::text, ${m.queue ?? QUEUES.events}::text, ${m.type}::text, ${JSON.stringify(m.payload)}::jsonb)`),
    )})`,
  ],
};

/**
 * Writes an outbox row inside the caller's transaction; its id comes back at once. Every state change writes one
 * or more, so it is a deferred write: in a sqlTransaction all of them go in one statement before COMMIT.
 */
export async function writeOutbox(tx: AnyTx, message: OutboxMessage): Promise<{ id: string }> {
  const id = newId();
  await sqlOf(tx).defer(OUTBOX_INSERT, { ...message, id });
  return { id };
}

export type DispatchOptions = {
  batchSize?: number;
  /** A dispatched row not processed after this long is dispatched again. */
  redeliverAfterMs?: number;
  queueFor?: (name: string) => Promise<Queue>;
};

export type DispatchResult = { dispatched: number; failed: number; error?: string };

/** Moves one batch of due outbox rows into their queues. Safe to run from several processes at once. */
export async function dispatchOutbox(db: Db, opts: DispatchOptions = {}): Promise<DispatchResult> {
  const batchSize = opts.batchSize ?? 200;
  const redeliverBefore = new Date(Date.now() - (opts.redeliverAfterMs ?? 60_000));
  const queueFor = opts.queueFor ?? ((name: string) => getReadyQueue(name));
  // Plain SQL: under load this runs every few milliseconds.
  return sqlTransaction(db, async (tx) => {
    const rows = await tx.rows<OutboxRow>(sql`
      SELECT id, queue, type, payload FROM "OutboxEvent"
      WHERE "processedAt" IS NULL AND ("dispatchedAt" IS NULL OR "dispatchedAt" < ${redeliverBefore})
      ORDER BY "createdAt", id
      LIMIT ${batchSize}
      FOR UPDATE SKIP LOCKED`);
    if (rows.length === 0) return { dispatched: 0, failed: 0 };
    // One addBulk per queue (a pipeline round trip, not one per row). Job ids make a repeated add a no-op, and
    // batching queues get a job per OUTBOX_ROWS_PER_JOB rows.
    const sent: string[] = [];
    let error: string | undefined;
    const byQueue = new Map<string, typeof rows>();
    for (const row of rows) byQueue.set(row.queue, [...(byQueue.get(row.queue) ?? []), row]);
    for (const [queueName, group] of byQueue) {
      try {
        const queue = await queueFor(queueName);
        await queue.addBulk(jobsFor(queueName, group));
        sent.push(...group.map((r) => r.id));
      } catch (err) {
        error = err instanceof Error ? err.message : String(err);
        break; // Redis is unreachable: leave the rest for the next round.
      }
    }
    if (sent.length > 0) {
      await tx.run(sql`UPDATE "OutboxEvent" SET "dispatchedAt" = ${new Date()}, attempts = attempts + 1 WHERE id = ANY(${sent}::text[])`);
    }
    const failed = rows.length - sent.length;
    if (error) {
      const unsent = rows.filter((r) => !sent.includes(r.id)).map((r) => r.id);
      await tx.run(sql`UPDATE "OutboxEvent" SET "lastError" = ${error.slice(0, 500)} WHERE id = ANY(${unsent}::text[])`);
      logger.warn({ err: error, pending: failed }, "outbox dispatch paused: queue unreachable");
      // A BullMQ producer created while Redis was down never recovers: start from fresh connections next round.
      if (!opts.queueFor) await closeQueues();
    }
    return { dispatched: sent.length, failed, error };
  });
}

/** Marks outbox rows processed (their consumers finished). */
export async function markOutboxProcessed(tx: AnyTx, ...outboxIds: string[]) {
  await sqlOf(tx).run(sql`UPDATE "OutboxEvent" SET "processedAt" = ${new Date()} WHERE id = ANY(${outboxIds}::text[]) AND "processedAt" IS NULL`);
}

/**
 * Records that `consumer` consumed these events, in the caller's transaction (with the effect), and returns the
 * ids it had not consumed before: only those need the effect. A retry after a crash either finds the markers
 * (skip) or redoes everything.
 */
export async function markConsumed(tx: AnyTx, consumer: string, eventIds: string[]): Promise<Set<string>> {
  const fresh = await sqlOf(tx).rows<{ eventId: string }>(sql`
    INSERT INTO "ConsumedEvent" (consumer, "eventId") SELECT ${consumer}, unnest(${eventIds}::text[])
    ON CONFLICT DO NOTHING RETURNING "eventId"`);
  return new Set(fresh.map((f) => f.eventId));
}

/** Runs `effect` at most once per (consumer, eventId): the marker is written in the effect's transaction. */
export async function consumeOnce<T>(
  db: Db,
  consumer: string,
  eventId: string,
  effect: (tx: Tx) => Promise<T>,
): Promise<{ skipped: true } | { skipped: false; result: T }> {
  return db.$transaction(async (tx) => {
    if ((await markConsumed(tx, consumer, [eventId])).size === 0) return { skipped: true as const };
    return { skipped: false as const, result: await effect(tx) };
  });
}

/** Polls the outbox until stopped (draining it in batches on each tick); used by the worker process. */
export function startOutboxDispatcher(db: Db, intervalMs: number, opts: DispatchOptions = {}) {
  let stopping = false;
  const stop = startPeriodic("outbox dispatcher", intervalMs, async () => {
    let result: DispatchResult;
    do {
      result = await dispatchOutbox(db, opts);
    } while (!stopping && result.dispatched > 0 && !result.error);
  });
  return {
    async stop() {
      stopping = true;
      await stop();
    },
  };
}
