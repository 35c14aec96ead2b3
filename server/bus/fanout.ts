// Delivers each outbox event to every subscriber that takes its type, each at most once (a ConsumedEvent marker
// keyed by outbox id, written in the same transaction as the subscriber's effect). The subscribers are listed in
// server/subscriptions.ts.
import { transaction, type Db, type Tx } from "../db";
import {
  consumedKey,
  markConsumed,
  markConsumedByMany,
  markOutboxProcessed,
  markOutboxProcessedAtCommit,
  type OutboxBatchJobData,
  type OutboxJobData,
} from "./outbox";
import { microBatcher, perKey } from "./micro-batch";
import type { PierEvent, PierEventOf, PierEventType } from "./events";

/** An event as subscribers get it: with its outbox id. */
export type DeliveredEvent<T extends PierEventType = PierEventType> = PierEventOf<T> & { id: string };
type AnyDelivered = PierEvent & { id: string };

/**
 * Runs inside one transaction together with the events' consumed-markers; a single event is a batch of one. Work
 * for after the commit (queueing jobs for the rows it wrote) goes to tx.afterCommit; if that work is lost, the
 * domain's sweeper must be able to redo it.
 */
export type SubscriberHandler<T extends PierEventType> = (tx: Tx, events: DeliveredEvent<T>[], db: Db) => Promise<void>;

export type Subscriber = {
  /** Stable name: part of the idempotency key. */
  readonly name: string;
  /** The event types it takes (an event it does not take costs it no transaction). */
  readonly types: ReadonlySet<PierEventType>;
  takes(event: AnyDelivered): boolean;
  handle(tx: Tx, events: AnyDelivered[], db: Db): Promise<void>;
};

/** A subscriber to `types`: its handler gets those events only, typed. */
export function subscriber<const T extends PierEventType>(name: string, types: readonly T[], handle: SubscriberHandler<T>): Subscriber {
  const set: ReadonlySet<PierEventType> = new Set<PierEventType>(types);
  const takes = (event: AnyDelivered): event is DeliveredEvent<T> & AnyDelivered => set.has(event.type);
  return { name, types: set, takes, handle: (tx, events, db) => handle(tx, events.filter(takes), db) };
}

const toEvent = (job: OutboxJobData): AnyDelivered => ({ ...(job.payload as PierEvent), id: job.outboxId });

/**
 * Runs the subscriber on the events it has not consumed yet, in one transaction with their consumed-markers (a
 * retry after a crash either finds the markers and skips, or redoes everything), then the after-commit work.
 */
async function consume(db: Db, s: Subscriber, events: AnyDelivered[]) {
  await transaction(db, async (tx) => {
    const fresh = await markConsumed(
      tx,
      s.name,
      events.map((e) => e.id),
    );
    const todo = events.filter((e) => fresh.has(e.id));
    if (todo.length > 0) await s.handle(tx, todo, db);
  });
}

/**
 * Events together, every subscriber on its own: one transaction per interested subscriber for all of them, one
 * UPDATE marking them processed. The slow path, taken when the shared transaction failed: a subscriber that keeps
 * failing holds up only itself (the others commit and are skipped on the job's retry).
 */
async function processSeparately(db: Db, events: AnyDelivered[], list: readonly Subscriber[]) {
  for (const s of list) {
    const wanted = events.filter((e) => s.takes(e));
    if (wanted.length > 0) await consume(db, s, wanted);
  }
  await markOutboxProcessed(
    db.kysely,
    events.map((e) => e.id),
  );
}

/**
 * Events together, every interested subscriber in one transaction: one statement writes all their consumed-markers,
 * each subscriber handles the events it had not consumed, and the rows are marked processed with the COMMIT. Five
 * subscribers of an event cost one BEGIN … COMMIT instead of five (plus the UPDATE), which is most of the
 * statements routing an event takes. If anything fails the whole transaction rolls back and the caller falls back to
 * processSeparately.
 */
async function processShared(db: Db, events: AnyDelivered[], list: readonly Subscriber[]) {
  const wanted = list.map((s) => ({ s, events: events.filter((e) => s.takes(e)) })).filter((w) => w.events.length > 0);
  // Events nobody takes: only marked processed.
  if (wanted.length === 0)
    return markOutboxProcessed(
      db.kysely,
      events.map((e) => e.id),
    );
  await transaction(db, async (tx) => {
    const fresh = await markConsumedByMany(
      tx,
      wanted.flatMap((w) => w.events.map((e) => ({ consumer: w.s.name, eventId: e.id }))),
    );
    for (const w of wanted) {
      const todo = w.events.filter((e) => fresh.has(consumedKey(w.s.name, e.id)));
      if (todo.length > 0) await w.s.handle(tx, todo, db);
    }
    markOutboxProcessedAtCommit(
      tx,
      events.map((e) => e.id),
    );
  });
}

const distinctEvents = (jobs: OutboxJobData[]) => [...new Map(jobs.map((j) => [j.outboxId, toEvent(j)])).values()];

/**
 * Several events in one shared transaction; if that fails (one bad event, one failing subscriber, a conflict), each
 * event on its own with each subscriber in its own transaction: errors per event.
 */
async function processTogether(db: Db, jobs: OutboxJobData[], list: readonly Subscriber[]): Promise<(unknown | null)[]> {
  try {
    await processShared(db, distinctEvents(jobs), list);
    return jobs.map(() => null);
  } catch {
    // fall through: one at a time, subscribers apart
  }
  return Promise.all(
    jobs.map((j) =>
      processSeparately(db, [toEvent(j)], list).then(
        () => null,
        (err: unknown) => err ?? new Error("outbox job failed"),
      ),
    ),
  );
}

// Concurrent single-event jobs of one process are handled together (a micro-batch), per database and subscriber list.
const batchFor = perKey((db: Db) => perKey((list: readonly Subscriber[]) => microBatcher((jobs: OutboxJobData[]) => processTogether(db, jobs, list), 100)));

/**
 * The events-queue job handler: one event, or a batch the dispatcher put in one job. A batch job fails (and is
 * retried) if any of its events failed; the events that went through are skipped on the retry (their markers).
 */
export async function processOutboxJob(db: Db, job: OutboxJobData | OutboxBatchJobData, list: readonly Subscriber[]) {
  const errors = "batch" in job ? await processTogether(db, job.batch, list) : [await batchFor(db)(list)(job)];
  const failed = errors.filter((e) => e !== null);
  if (failed.length > 0) throw failed[0] instanceof Error ? failed[0] : new Error(`${failed.length} of ${errors.length} events failed`);
}
