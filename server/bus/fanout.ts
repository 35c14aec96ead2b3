// Delivers each outbox event to every subscriber, each at most once (a ConsumedEvent marker keyed by outbox id,
// written in the same transaction as the subscriber's effect). A domain subscribes by adding an entry to SUBSCRIBERS.
import type { Db, Tx } from "../db";
import { markConsumed, markOutboxProcessed, type OutboxBatchJobData, type OutboxJobData } from "./outbox";
import { sqlTransaction, type AnyTx, type SqlTx } from "../sql";
import { microBatcher, perKey } from "./micro-batch";
import type { PierEvent } from "./events";

type Event = PierEvent & { id: string };

type Handlers<T> = {
  /** Runs inside a transaction together with the consumed-marker. */
  handle: (tx: T, event: Event, db: Db) => Promise<void>;
  /**
   * Optional: several events in one transaction (with their markers). May return work to run once that
   * transaction has committed (e.g. queueing jobs for the rows it wrote); if that work is lost, the domain's
   * sweeper must be able to redo it.
   */
  handleMany?: (tx: T, events: Event[], db: Db) => Promise<(() => Promise<unknown>) | void>;
};

export type Subscriber = {
  /** Stable name: part of the idempotency key. */
  name: string;
  /** Whether it handles this event (an event it does not want costs it no transaction). */
  wants: (type: string, event: PierEvent) => boolean;
} & (
  | ({ sql?: false } & Handlers<Tx>)
  /** Handlers written in plain SQL (server/sql.ts) get a plain-SQL transaction: no Prisma on the hot path. */
  | ({ sql: true } & Handlers<SqlTx>)
);

const SUBSCRIBERS: Subscriber[] = [];

export function registerSubscriber(s: Subscriber) {
  if (!SUBSCRIBERS.some((x) => x.name === s.name)) SUBSCRIBERS.push(s);
}

export function subscribers(): readonly Subscriber[] {
  return SUBSCRIBERS;
}

const toEvent = (job: OutboxJobData): Event => ({ ...(job.payload as unknown as PierEvent), id: job.outboxId });

/**
 * Runs the subscriber on the events it has not consumed yet, in one transaction with their consumed-markers (a
 * retry after a crash either finds the markers and skips, or redoes everything), then the after-commit work.
 */
async function consume(db: Db, s: Subscriber, events: Event[]) {
  const run = async <T extends AnyTx>(tx: T, h: Handlers<T>) => {
    const fresh = await markConsumed(tx, s.name, events.map((e) => e.id));
    const todo = events.filter((e) => fresh.has(e.id));
    if (todo.length === 0) return undefined;
    if (h.handleMany) return h.handleMany(tx, todo, db);
    for (const e of todo) await h.handle(tx, e, db);
    return undefined;
  };
  const after = s.sql ? await sqlTransaction(db, (tx) => run(tx, s)) : await db.$transaction((tx) => run(tx, s));
  if (after) await after();
}

/** Events together: one transaction per interested subscriber for all of them, one UPDATE marking them processed. */
async function processMany(db: Db, jobs: OutboxJobData[], list: readonly Subscriber[]) {
  const events = [...new Map(jobs.map((j) => [j.outboxId, toEvent(j)])).values()];
  for (const s of list) {
    const wanted = events.filter((e) => s.wants(e.type, e));
    if (wanted.length > 0) await consume(db, s, wanted);
  }
  await markOutboxProcessed(db, ...events.map((e) => e.id));
}

/** Several events together; if that fails (one bad event, a conflict), each on its own: errors per event. */
async function processTogether(db: Db, jobs: OutboxJobData[], list: readonly Subscriber[]): Promise<(unknown | null)[]> {
  if (jobs.length > 1) {
    try {
      await processMany(db, jobs, list);
      return jobs.map(() => null);
    } catch {
      // fall through: one at a time
    }
  }
  return Promise.all(
    jobs.map((j) =>
      processMany(db, [j], list).then(
        () => null,
        (err: unknown) => err ?? new Error("outbox job failed"),
      ),
    ),
  );
}

// Concurrent single-event jobs of one process are handled together (a micro-batch).
const batchFor = perKey((db: Db) => microBatcher((jobs: OutboxJobData[]) => processTogether(db, jobs, SUBSCRIBERS), 100));

/**
 * The events-queue job handler: one event, or a batch the dispatcher put in one job. A batch job fails (and is
 * retried) if any of its events failed; the events that went through are skipped on the retry (their markers).
 */
export async function processOutboxJob(db: Db, job: OutboxJobData | OutboxBatchJobData, list: readonly Subscriber[] = SUBSCRIBERS) {
  const errors =
    "batch" in job || list !== SUBSCRIBERS ? await processTogether(db, "batch" in job ? job.batch : [job], list) : [await batchFor(db)(job)];
  const failed = errors.filter((e) => e !== null);
  if (failed.length > 0) throw failed[0] instanceof Error ? failed[0] : new Error(`${failed.length} of ${errors.length} events failed`);
}
