// Transactional outbox (ARCHITECTURE rule 4): state changes write an OutboxEvent in their own transaction;
// the dispatcher moves unsent rows into BullMQ with job id = outbox id. Rows dispatched but never processed
// (Redis flushed, worker lost) are dispatched again; consumers are idempotent, so nothing is lost or doubled.
import type { Queue } from "bullmq";
import { anyOf, leads, newId, onWake, resign, prepared, sql, transaction, type Coalesced, type Db, type DB, type Kysely, type Tx } from "../db";
import { logger } from "../logger";
import { startPeriodic } from "../platform/periodic";
import { QUEUES, addReplacingFinished, closeQueues, getReadyQueue } from "../platform/queues";

export type OutboxMessage = { type: string; payload: Record<string, unknown>; queue?: string };
export type OutboxJobData = { outboxId: string; type: string; payload: Record<string, unknown> };
/** Several outbox rows in one job (queues listed in OUTBOX_BATCH_QUEUES). */
export type OutboxBatchJobData = { batch: OutboxJobData[] };

/**
 * Queues whose consumer takes outbox rows in batches: the dispatcher puts up to OUTBOX_ROWS_PER_JOB rows of one
 * dispatch in a job, so a burst of events costs a few BullMQ jobs rather than one each. Consumers must be
 * idempotent per row (they are: consumed-markers), since a re-dispatch may batch rows differently.
 */
const OUTBOX_BATCH_QUEUES: ReadonlySet<string> = new Set([QUEUES.events]);
const OUTBOX_ROWS_PER_JOB = 50;

type OutboxRow = { id: string; queue: string; type: string; payload: Record<string, unknown> };

function jobsFor(queueName: string, rows: OutboxRow[]) {
  const data = (row: OutboxRow): OutboxJobData => ({ outboxId: row.id, type: row.type, payload: row.payload });
  if (!OUTBOX_BATCH_QUEUES.has(queueName) || rows.length === 1)
    return rows.map((row) => ({ name: row.type, data: data(row) as OutboxJobData | OutboxBatchJobData, opts: { jobId: row.id } }));
  const jobs: { name: string; data: OutboxJobData | OutboxBatchJobData; opts: { jobId: string } }[] = [];
  for (let i = 0; i < rows.length; i += OUTBOX_ROWS_PER_JOB) {
    const part = rows.slice(i, i + OUTBOX_ROWS_PER_JOB);
    jobs.push({ name: "batch", data: { batch: part.map(data) }, opts: { jobId: `b-${part[0].id}-${part.length}` } });
  }
  return jobs;
}

type OutboxInsert = OutboxMessage & { id: string };

/** Committing outbox rows wakes the dispatchers of every worker process (their poll is the fallback). */
const OUTBOX_WAKE = "outbox";

/** A transaction's outbox rows, inserted by one statement at commit. */
const OUTBOX_INSERT: Coalesced<OutboxInsert[]> = {
  merge: (earlier, later) => [...earlier, ...later],
  write: (rows, db) =>
    db.insertInto("OutboxEvent").values(rows.map((m) => ({ id: m.id, queue: m.queue ?? QUEUES.events, type: m.type, payload: JSON.stringify(m.payload) }))),
};

/**
 * Writes an outbox row with the caller's transaction (a deferred write: all of a transaction's rows go in one
 * INSERT sent with its COMMIT); its id comes back at once.
 */
export function writeOutbox(tx: Tx, message: OutboxMessage): { id: string } {
  const id = newId();
  tx.deferred.coalesce(OUTBOX_INSERT, "outbox", [{ ...message, id }]);
  tx.wakeAfterCommit(OUTBOX_WAKE);
  return { id };
}

// The dispatcher's and consumers' statements run on every tick and every event: built and compiled once.
/**
 * Takes a batch of due rows for this dispatcher in one statement (no transaction held open while the jobs are
 * added): marks them dispatched (one more attempt) and returns them with their attempts and dispatch time as they
 * were. FOR UPDATE SKIP LOCKED partitions the rows between dispatchers running at the same moment; once it
 * returns, the rows are not due again for redeliverMs.
 */
const TAKE_DUE_OUTBOX_ROWS = prepared((db, p: { redeliverBefore: Date; redeliverMs: number; now: Date; batchSize: number }) =>
  db
    .with("due", (w) =>
      w
        .selectFrom("OutboxEvent")
        .select(["id", "attempts", "dispatchedAt"])
        .where("processedAt", "is", null)
        .where((eb) =>
          eb.or([
            eb("dispatchedAt", "is", null),
            eb.and([
              eb("dispatchedAt", "<", p.redeliverBefore),
              // Backoff for a row whose jobs keep running without processing it (a poison event): 1, 2, 4 … 60 delays.
              sql<boolean>`"dispatchedAt" + ${p.redeliverMs}::int * least(power(2, greatest(attempts - 1, 0)), 60) * interval '1 millisecond' < ${p.now}::timestamp`,
            ]),
          ]),
        )
        .orderBy("createdAt")
        .orderBy("id")
        .limit(p.batchSize)
        .forUpdate()
        .skipLocked(),
    )
    .updateTable("OutboxEvent as o")
    .from("due")
    .set((eb) => ({ dispatchedAt: p.now, attempts: eb("o.attempts", "+", 1) }))
    .whereRef("o.id", "=", "due.id")
    .returning(["o.id", "o.queue", "o.type", "o.payload", "o.createdAt", "due.attempts", "due.dispatchedAt"]),
);

/** Rows whose jobs could not be added (Redis unreachable): their attempt and dispatch time as before, and why. */
const RELEASE_UNSENT = prepared((db, p: { ids: string[]; attempts: number[]; dispatchedAt: (string | null)[]; error: string }) =>
  db
    .updateTable("OutboxEvent as o")
    .from(
      sql<{ id: string; attempts: number; dispatchedAt: string | null }>`unnest(${p.ids}::text[], ${p.attempts}::int[], ${p.dispatchedAt}::text[])`.as<"v">(
        sql`v(id, attempts, "dispatchedAt")`,
      ),
    )
    .set((eb) => ({ attempts: eb.ref("v.attempts"), dispatchedAt: eb.cast<Date>("v.dispatchedAt", "timestamp"), lastError: p.error }))
    .whereRef("o.id", "=", "v.id"),
);

const MARK_PROCESSED = prepared((db, p: { outboxIds: string[]; now: Date }) =>
  db.updateTable("OutboxEvent").set({ processedAt: p.now }).where("id", "=", anyOf(p.outboxIds)).where("processedAt", "is", null),
);

const MARK_CONSUMED_BY_MANY = prepared((db, p: { consumers: string[]; eventIds: string[] }) =>
  db
    .insertInto("ConsumedEvent")
    .columns(["consumer", "eventId"])
    .expression(sql<{ consumer: string; eventId: string }>`SELECT * FROM unnest(${p.consumers}::text[], ${p.eventIds}::text[])`)
    .onConflict((oc) => oc.doNothing())
    .returning(["consumer", "eventId"]),
);

export type DispatchOptions = {
  batchSize?: number;
  /**
   * A dispatched row not processed after this long is dispatched again; a row whose re-dispatched job ran and still
   * did not process it waits twice as long each time (at most 60 times this).
   */
  redeliverAfterMs?: number;
  queueFor?: (name: string) => Promise<Queue>;
  /** Consumes some of one queue's rows in this process instead of queueing them (startOutboxDispatcher's `direct`). */
  direct?: DirectConsumer;
};

/**
 * Rows of `queue` this process may consume itself, as the queue's worker would (`consume` gets the job data a
 * batching queue's job carries, and throws if any row failed).
 */
export type DirectOutbox = { queue: string; consume: (data: OutboxBatchJobData) => Promise<void> };

/**
 * The dispatching process consumes a trickle of fresh rows of one queue itself instead of adding jobs: at one or
 * two events per dispatch, a BullMQ job's add, take and finish cost the workers more than routing the event, and
 * add two Redis hops to every event's latency. One batch is consumed at a time; rows dispatched meanwhile wait for
 * it and go together as the next batch (no fixed window: the busier, the larger the batches). The row is already
 * marked dispatched (its state is in Postgres, not in a job): if consuming fails, the batch goes to the queue as a
 * job (BullMQ's retries with backoff, any process); if this process dies first, the rows are dispatched again after
 * the redelivery delay, and the consumers' markers keep that exactly-once. A dispatch of more than DIRECT_MAX_ROWS
 * fresh rows (a burst), and rows that would make the waiting batch larger than a job's, go to the queue as before,
 * so a burst is still spread over every worker process.
 */
type DirectConsumer = DirectOutbox & { waiting: OutboxRow[]; running?: Promise<void> };

/** A dispatch of more fresh rows than this is a burst: it goes to the queue, where every worker process shares it. */
const DIRECT_MAX_ROWS = 10;

/** Takes `rows` (fresh rows of direct.queue) to consume here if they fit; returns the rows left for the queue. */
function consumeDirectly(direct: DirectConsumer, rows: OutboxRow[], queueFor: (name: string) => Promise<Queue>): OutboxRow[] {
  if (rows.length > DIRECT_MAX_ROWS || direct.waiting.length + rows.length > OUTBOX_ROWS_PER_JOB) return rows;
  direct.waiting.push(...rows);
  direct.running ??= drainDirect(direct, queueFor);
  return [];
}

async function drainDirect(direct: DirectConsumer, queueFor: (name: string) => Promise<Queue>) {
  while (direct.waiting.length > 0) {
    const part = direct.waiting.splice(0, OUTBOX_ROWS_PER_JOB);
    const data: OutboxBatchJobData = { batch: part.map((row) => ({ outboxId: row.id, type: row.type, payload: row.payload })) };
    await direct
      .consume(data)
      .catch(async () => {
        await (await queueFor(direct.queue)).addBulk(jobsFor(direct.queue, part));
      })
      // Redis is away too: the rows are dispatched again after the redelivery delay.
      .catch((err: unknown) => logger.warn({ err: err instanceof Error ? err.message : String(err), rows: part.length }, "outbox direct consume failed"));
  }
  direct.running = undefined;
}

/** `full`: the batch took batchSize rows, so more may be due (a smaller batch took every row due and unlocked). */
export type DispatchResult = { dispatched: number; failed: number; error?: string; full: boolean };

type DueRow = OutboxRow & { attempts: number; createdAt: Date; dispatchedAt: Date | null };

const byAge = (a: DueRow, b: DueRow) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * Moves one batch of due outbox rows into their queues. Safe to run from several processes at once: each takes the
 * rows it dispatches with FOR UPDATE SKIP LOCKED, so concurrent dispatchers partition the rows. The rows are marked
 * dispatched before their jobs are added (one statement, no transaction left open meanwhile, so a consumer that
 * gets a job at once never waits for the dispatcher's commit): if the jobs cannot be added, the rows get their
 * attempt and dispatch time back, with the error; if this process dies in between, they are dispatched again
 * after the redelivery delay, as rows whose jobs Redis lost are.
 *
 * A row seen before (dispatched, or older than the redelivery delay) may have a job of its id that already ran and
 * failed (its retries spent while the database was down): BullMQ would ignore the add, and the row would wait
 * forever. Such adds go through addReplacingFinished, which removes the finished job first; a job still waiting,
 * delayed or running is left alone (and the row's attempt is not counted, only its dispatch time renewed).
 */
export async function dispatchOutbox(db: Db, opts: DispatchOptions = {}): Promise<DispatchResult> {
  const batchSize = opts.batchSize ?? 200;
  const redeliverMs = opts.redeliverAfterMs ?? 60_000;
  const now = new Date();
  const redeliverBefore = new Date(now.getTime() - redeliverMs);
  const queueFor = opts.queueFor ?? ((name: string) => getReadyQueue(name));
  const rows = ((await TAKE_DUE_OUTBOX_ROWS.execute(db.kysely, { redeliverBefore, redeliverMs, now, batchSize })) as DueRow[]).sort(byAge);
  if (rows.length === 0) return { dispatched: 0, failed: 0, full: false };
  // One addBulk per queue (a pipeline round trip, not one per row). Job ids make a repeated add a no-op, and
  // batching queues get a job per OUTBOX_ROWS_PER_JOB rows.
  const sent: string[] = [];
  const stillQueued: string[] = [];
  let error: string | undefined;
  const byQueue = new Map<string, { fresh: DueRow[]; seen: DueRow[] }>();
  for (const row of rows) {
    const group = byQueue.get(row.queue) ?? { fresh: [], seen: [] };
    (row.attempts > 0 || row.createdAt < redeliverBefore ? group.seen : group.fresh).push(row);
    byQueue.set(row.queue, group);
  }
  for (const [queueName, group] of byQueue) {
    const { seen } = group;
    let { fresh } = group;
    if (opts.direct?.queue === queueName && fresh.length > 0) {
      const left = new Set(consumeDirectly(opts.direct, fresh, queueFor));
      sent.push(...fresh.filter((r) => !left.has(r)).map((r) => r.id));
      fresh = fresh.filter((r) => left.has(r));
    }
    try {
      const queue = await queueFor(queueName);
      if (fresh.length > 0) await queue.addBulk(jobsFor(queueName, fresh));
      sent.push(...fresh.map((r) => r.id));
      if (seen.length > 0) {
        const jobs = jobsFor(queueName, seen);
        const live = await addReplacingFinished(queue, jobs);
        for (const job of jobs) {
          const ids = "batch" in job.data ? job.data.batch.map((r) => r.outboxId) : [job.data.outboxId];
          (live.has(job.opts.jobId) ? stillQueued : sent).push(...ids);
        }
      }
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
      break; // Redis is unreachable: leave the rest for the next round.
    }
  }
  // A job of the row was still queued or running: not an attempt, only the dispatch time renewed.
  if (stillQueued.length > 0) {
    await db.kysely
      .updateTable("OutboxEvent")
      .set((eb) => ({ attempts: eb("attempts", "-", 1) }))
      .where("id", "=", anyOf(stillQueued))
      .execute();
  }
  const failed = rows.length - sent.length - stillQueued.length;
  if (error) {
    const done = new Set([...sent, ...stillQueued]);
    const unsent = rows.filter((r) => !done.has(r.id));
    await RELEASE_UNSENT.execute(db.kysely, {
      ids: unsent.map((r) => r.id),
      attempts: unsent.map((r) => r.attempts),
      dispatchedAt: unsent.map((r) => r.dispatchedAt?.toISOString() ?? null),
      error: error.slice(0, 500),
    });
    logger.warn({ err: error, pending: failed }, "outbox dispatch paused: queue unreachable");
    // A BullMQ producer created while Redis was down never recovers: start from fresh connections next round.
    if (!opts.queueFor) await closeQueues();
  }
  return { dispatched: sent.length, failed, error, full: rows.length === batchSize };
}

/** Marks outbox rows processed (their consumers finished). */
export async function markOutboxProcessed(db: Kysely<DB>, outboxIds: string[]) {
  await MARK_PROCESSED.execute(db, { outboxIds, now: new Date() });
}

/**
 * Records that `consumer` consumed these events, in the caller's transaction (with the effect), and returns the
 * ids it had not consumed before: only those need the effect. A retry after a crash either finds the markers
 * (skip) or redoes everything.
 */
export async function markConsumed(tx: Tx, consumer: string, eventIds: string[]): Promise<Set<string>> {
  const fresh = await markConsumedByMany(
    tx,
    eventIds.map((eventId) => ({ consumer, eventId })),
  );
  return new Set(eventIds.filter((id) => fresh.has(consumedKey(consumer, id))));
}

/**
 * markConsumed for several consumers at once (one statement): `pairs` are (consumer, eventId); returns the pairs
 * not consumed before, as `consumedKey(consumer, eventId)`. Written in a fixed order, so two transactions marking
 * overlapping sets wait for each other instead of deadlocking.
 */
export async function markConsumedByMany(tx: Tx, pairs: { consumer: string; eventId: string }[]): Promise<Set<string>> {
  const sorted = [...pairs].sort((a, b) => (a.eventId === b.eventId ? cmp(a.consumer, b.consumer) : cmp(a.eventId, b.eventId)));
  const fresh = await MARK_CONSUMED_BY_MANY.execute(tx, { consumers: sorted.map((p) => p.consumer), eventIds: sorted.map((p) => p.eventId) });
  return new Set(fresh.map((f) => consumedKey(f.consumer, f.eventId)));
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export const consumedKey = (consumer: string, eventId: string) => `${consumer}\u0000${eventId}`;

/** Marks outbox rows processed with the caller's transaction's COMMIT (its consumers' effects are in it). */
export function markOutboxProcessedAtCommit(tx: Tx, outboxIds: string[]) {
  tx.deferred.write(tx.updateTable("OutboxEvent").set({ processedAt: new Date() }).where("id", "=", anyOf(outboxIds)).where("processedAt", "is", null));
}

/** Runs `effect` at most once per (consumer, eventId): the marker is written in the effect's transaction. */
export async function consumeOnce<T>(
  db: Db,
  consumer: string,
  eventId: string,
  effect: (tx: Tx) => Promise<T>,
): Promise<{ skipped: true } | { skipped: false; result: T }> {
  return transaction(db, async (tx) => {
    if ((await markConsumed(tx, consumer, [eventId])).size === 0) return { skipped: true as const };
    return { skipped: false as const, result: await effect(tx) };
  });
}

/**
 * Drains the outbox (in batches) at least every `intervalMs`; used by the worker process. One worker process, the
 * dispatch leader (`leads`), also drains it whenever any process commits outbox rows — woken over LISTEN/NOTIFY, so
 * an event reaches its queue in milliseconds. Only the leader answers wakes, so a wake costs one dispatch however
 * many workers run; the others keep polling (they share a backlog through SKIP LOCKED, and the first to poll after
 * the leader is gone takes over). A run drains in batches until one comes back short of batchSize: that one took
 * every row due then, and a row committed since wakes the loop again (a wake during a run runs it once more), so
 * the empty round that used to end each run (a statement for every wake) is not needed. With `direct`, the leader
 * consumes a trickle of fresh events itself (see DirectConsumer).
 */
export function startOutboxDispatcher(
  db: Db,
  intervalMs: number,
  { direct: directOutbox, ...rest }: Omit<DispatchOptions, "direct"> & { direct?: DirectOutbox } = {},
) {
  const direct: DirectConsumer | undefined = directOutbox && { ...directOutbox, waiting: [] };
  const opts: DispatchOptions = { ...rest, direct };
  let stopping = false;
  let stopWaking = () => {};
  const stop = startPeriodic(
    "outbox dispatcher",
    intervalMs,
    async () => {
      leads(db, OUTBOX_WAKE); // a poll by a process that does not lead: take over if nobody does
      let result: DispatchResult;
      do {
        result = await dispatchOutbox(db, opts);
      } while (!stopping && result.full && result.dispatched > 0 && !result.error);
    },
    { wakeOn: (wakeNow) => (stopWaking = onWake(db, OUTBOX_WAKE, () => !stopping && leads(db, OUTBOX_WAKE) && wakeNow())) },
  );
  return {
    async stop() {
      stopping = true;
      stopWaking();
      await stop();
      await direct?.running;
      await resign(db, OUTBOX_WAKE);
    },
  };
}
