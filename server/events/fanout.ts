// Delivers each outbox event to every subscriber, each at most once (a ConsumedEvent marker keyed by outbox id,
// written in the same transaction as the subscriber's effect). A domain subscribes by adding an entry to SUBSCRIBERS.
import type { Db, Tx } from "../db";
import { consumeOnce, markOutboxProcessed, type OutboxJobData } from "../outbox/outbox";
import { microBatcher, perKey } from "./micro-batch";
import type { PierEvent } from "./pier-events";

type Event = PierEvent & { id: string };

export type Subscriber = {
  /** Stable name: part of the idempotency key. */
  name: string;
  wants: (type: string) => boolean;
  /** Runs inside a transaction together with the consumed-marker. */
  handle: (tx: Tx, event: Event, db: Db) => Promise<void>;
  /**
   * Optional: several events in one transaction (with their markers). May return work to run once that
   * transaction has committed (e.g. queueing jobs for the rows it wrote); if that work is lost, the domain's
   * sweeper must be able to redo it.
   */
  handleMany?: (tx: Tx, events: Event[], db: Db) => Promise<(() => Promise<unknown>) | void>;
};

const SUBSCRIBERS: Subscriber[] = [];

export function registerSubscriber(s: Subscriber) {
  if (!SUBSCRIBERS.some((x) => x.name === s.name)) SUBSCRIBERS.push(s);
}

export function subscribers(): readonly Subscriber[] {
  return SUBSCRIBERS;
}

const toEvent = (job: OutboxJobData): Event => ({ ...(job.payload as unknown as PierEvent), id: job.outboxId });

/** One job on its own: every interested subscriber in its own transaction, then the outbox row is marked processed. */
async function processOne(db: Db, job: OutboxJobData, list: readonly Subscriber[]) {
  const event = toEvent(job);
  for (const s of list) {
    if (!s.wants(event.type)) continue;
    await consumeOnce(db, s.name, job.outboxId, (tx) => s.handle(tx, event, db));
  }
  await markOutboxProcessed(db, job.outboxId);
}

/** The jobs of one tick: one transaction per subscriber for all of them, one UPDATE marking them processed. */
async function processMany(db: Db, jobs: OutboxJobData[], list: readonly Subscriber[]) {
  const events = [...new Map(jobs.map((j) => [j.outboxId, toEvent(j)])).values()];
  for (const s of list) {
    const wanted = events.filter((e) => s.wants(e.type));
    if (wanted.length === 0) continue;
    const after = await db.$transaction(async (tx) => {
      const fresh = await tx.$queryRaw<{ eventId: string }[]>`
        INSERT INTO "ConsumedEvent" (consumer, "eventId") SELECT ${s.name}, unnest(${wanted.map((e) => e.id)}::text[])
        ON CONFLICT DO NOTHING RETURNING "eventId"`;
      const ids = new Set(fresh.map((f) => f.eventId));
      const todo = wanted.filter((e) => ids.has(e.id));
      if (todo.length === 0) return undefined;
      if (s.handleMany) return s.handleMany(tx, todo, db);
      for (const e of todo) await s.handle(tx, e, db);
      return undefined;
    });
    if (after) await after();
  }
  await db.$executeRaw`
    UPDATE "OutboxEvent" SET "processedAt" = ${new Date()} WHERE id = ANY(${events.map((e) => e.id)}) AND "processedAt" IS NULL`;
}

// Concurrent jobs of one process are handled together. If the batch fails (one bad event, a conflict), each job
// is redone on its own, so one failing event fails only its own job.
const batchFor = perKey((db: Db) =>
  microBatcher(async (jobs: OutboxJobData[]) => {
    if (jobs.length > 1) {
      try {
        await processMany(db, jobs, SUBSCRIBERS);
        return jobs.map(() => null);
      } catch {
        // fall through: one at a time
      }
    }
    return Promise.all(
      jobs.map((j) =>
        processOne(db, j, SUBSCRIBERS).then(
          () => null,
          (err: unknown) => err ?? new Error("outbox job failed"),
        ),
      ),
    );
  }, 100),
);

/** The events-queue job handler. */
export async function processOutboxJob(db: Db, job: OutboxJobData, list: readonly Subscriber[] = SUBSCRIBERS) {
  if (list !== SUBSCRIBERS) return processOne(db, job, list);
  const err = await batchFor(db)(job);
  if (err) throw err;
}
