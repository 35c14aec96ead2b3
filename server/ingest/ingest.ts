// Intake side of ingestion: store accepted events durably (idempotent by source + event id), enqueue them for
// the ingest worker (refusals: ./rejections.ts). Redis being down never loses an event:
// it stays "pending" in Postgres and the worker's sweeper enqueues it later.
//
// Group commit (server/platform/group-commit.ts): deliveries that arrive while an insert is in flight are written
// together by the next one — one multi-row INSERT … ON CONFLICT DO NOTHING RETURNING, autocommitted, so one WAL
// flush for the batch instead of one per request. A request is answered only once the statement holding its rows
// has returned (committed); each request's events stay in one statement (all or nothing, as before). The enqueue
// for the worker follows the commit without delaying the answer (coalesced too; best effort as before).
import { randomUUID } from "node:crypto";
import { sql, type Db } from "../db";
import { logger } from "../logger";
import { classifyFailure } from "../platform/failures";
import { groupCommit, groupCommitPerDb } from "../platform/group-commit";
import { QUEUES, addReplacingFinished, getReadyQueue } from "../platform/queues";

export type IncomingEvent = {
  externalId: string;
  type: string;
  specVersion?: string | null;
  payload: unknown;
  /**
   * The payload as JSON text, when the caller already has it parsed and checked (a webhook's body): stored as sent
   * rather than serialised again (numbers keep their digits; ~20 µs less per 6 KB GitLab hook).
   */
  payloadJson?: string;
  /** When the sender says it happened (null when the event carries no time of its own). */
  occurredAt?: Date | null;
  /** False for a CDEvents type the declared spec release does not define. */
  knownType?: boolean;
};
export type StoredEvent = { id: string; externalId: string; duplicate: boolean };

/** One event (the sweeper's and an admin's retries: job id = event id), or the events one intake batch stored. */
export type IngestJobData = { inboundEventId: string } | { inboundEventIds: string[] };

/** One request's events (a webhook delivery is one; a CDEvents array many). */
type Delivery = { source: string; events: IncomingEvent[] };

/**
 * Inserts at once at most this many batches per process (each takes a pool connection while its statement runs),
 * of at most this many requests and events each (a CDEvents request holds up to 1 MB of events). Every request joins
 * one queue (no lane key): the second lane only starts while a full batch waits, so small deliveries are written a
 * few per statement instead of two lanes taking turns with half as many each. Two batches that share keys still
 * cannot deadlock: each inserts its rows in key order.
 */
const INSERT_LANES = 2;
const MAX_BATCH = 64;
const MAX_BATCH_EVENTS = 1000;

const batcherFor = groupCommitPerDb<Db, Delivery, StoredEvent[]>({
  name: "inbound events",
  lanes: INSERT_LANES,
  maxBatch: MAX_BATCH,
  weight: (d) => d.events.length,
  maxWeight: MAX_BATCH_EVENTS,
  write: writeDeliveries,
  // A value Postgres refuses is one request's doing (its 422, the others stored); an unreachable database is
  // everyone's (each answered 503 now, not after its own connection timeout).
  splitOnFailure: (err) => classifyFailure(err) !== "unavailable",
});

/**
 * Stores one request's events: new ones are inserted (ON CONFLICT DO NOTHING on source+externalId) and enqueued;
 * repeats are counted on the stored row and answered with its id. Resolves once the rows are committed.
 */
export async function storeInboundEvents(db: Db, source: string, events: IncomingEvent[]): Promise<StoredEvent[]> {
  if (events.length === 0) return [];
  return batcherFor(db).submit({ source, events });
}

const keyOf = (source: string, externalId: string) => `${source}\u0001${externalId}`;

/** One row of the batch document: the payload's text is spliced in, not parsed and serialised again. */
function batchRow(r: { id: string; source: string; event: IncomingEvent; json: string }, ord: number) {
  const e = r.event;
  const occurred = e.occurredAt ? `"${e.occurredAt.toISOString()}"` : "null";
  return `{"id":"${r.id}","src":${JSON.stringify(r.source)},"ext":${JSON.stringify(e.externalId)},"type":${JSON.stringify(e.type)},"spec":${JSON.stringify(e.specVersion ?? null)},"occurred":${occurred},"known":${e.knownType ?? true},"ord":${ord},"payload":${r.json}}`;
}

/** One batch: one INSERT for every event of every delivery, then (only if there are repeats) one UPDATE counting them. */
async function writeDeliveries(db: Db, deliveries: Delivery[]): Promise<StoredEvent[][]> {
  // An undefined payload becomes null, which the NOT NULL column refuses (the request's 422), as before.
  const rows = deliveries.flatMap((d) =>
    d.events.map((e) => ({ source: d.source, event: e, id: randomUUID(), json: e.payloadJson ?? JSON.stringify(e.payload) ?? "null" })),
  );
  // One statement and one parameter whatever the number of events: the batch as one JSON document, which Postgres
  // parses once (jsonb_to_recordset) — each payload goes in as a JSON value, not as text escaped into an array literal
  // and parsed again. Rows go in key order, so two batches in flight (lanes, other processes) that share keys wait
  // for each other instead of deadlocking. receivedAt is set in UTC explicitly, whatever the session's TimeZone;
  // occurredAt is ISO text with Z, which a timestamp takes as the UTC wall time.
  const batch = `[${rows.map(batchRow).join(",")}]`;
  const created = await db.kysely
    .insertInto("InboundEvent")
    .columns(["id", "source", "externalId", "type", "specVersion", "payload", "receivedAt", "occurredAt", "knownType"])
    .expression(
      sql`SELECT u.id, u.src, u.ext, u.type, u.spec, u.payload, (now() AT TIME ZONE 'UTC'), u.occurred, u.known
          FROM jsonb_to_recordset(${batch}::jsonb)
            AS u(id text, src text, ext text, type text, spec text, payload jsonb, occurred timestamp, known boolean, ord int)
          ORDER BY u.src, u.ext, u.ord`,
    )
    .onConflict((oc) => oc.columns(["source", "externalId"]).doNothing())
    .returning("id")
    .execute();
  // The ids were made here, so the ones returned say exactly which rows were new (of a key sent twice in the batch,
  // the first: ties in the key order go by position).
  const inserted = new Set(created.map((c) => c.id));
  enqueueAfterCommit(rows.filter((r) => inserted.has(r.id)).map((r) => ({ id: r.id, bytes: r.json.length })));
  const storedId = new Map<string, string>(rows.filter((r) => inserted.has(r.id)).map((r) => [keyOf(r.source, r.event.externalId), r.id]));
  const repeats = new Map<string, { source: string; externalId: string; n: number }>();
  for (const r of rows) {
    if (inserted.has(r.id)) continue;
    const key = keyOf(r.source, r.event.externalId);
    const seen = repeats.get(key);
    if (seen) seen.n++;
    else repeats.set(key, { source: r.source, externalId: r.event.externalId, n: 1 });
  }
  if (repeats.size > 0) {
    // Counted for Admin → Integrations (accepted / refused / duplicate) in the statement that finds them.
    const list = [...repeats.values()];
    const { rows: counted } = await sql<{ id: string; source: string; externalId: string }>`
      UPDATE "InboundEvent" e SET duplicates = e.duplicates + d.n, "lastDuplicateAt" = (now() AT TIME ZONE 'UTC')
      FROM unnest(${list.map((r) => r.source)}::text[], ${list.map((r) => r.externalId)}::text[], ${list.map((r) => r.n)}::int[]) AS d(src, ext, n)
      WHERE e.source = d.src AND e."externalId" = d.ext
      RETURNING e.id, e.source, e."externalId"`.execute(db.kysely);
    for (const c of counted) storedId.set(keyOf(c.source, c.externalId), c.id);
  }
  let next = 0;
  return deliveries.map((d) =>
    d.events.map((e) => {
      const row = rows[next++];
      const fresh = inserted.has(row.id);
      return { id: fresh ? row.id : (storedId.get(keyOf(d.source, e.externalId)) ?? ""), externalId: e.externalId, duplicate: !fresh };
    }),
  );
}

/** A freshly stored event as the enqueue sees it: its id and its payload's size (JSON characters, = bytes for ASCII). */
type StoredForJob = { id: string; bytes: number };

/** Ids waiting for (or in) an enqueue; beyond the cap new ones are left to the sweeper (Redis down or slow). */
let enqueueBacklog = 0;
const MAX_ENQUEUE_BACKLOG = 50_000;
/**
 * Nobody waits on the enqueue, so it lingers 20 ms to gather more events per round trip, and hands them over as
 * batch jobs of up to INTAKE_JOB_EVENTS events and INTAKE_JOB_BYTES of payload rather than a job each: BullMQ's add
 * costs ~45 µs of this process and ~40 µs of Redis per job even in batches of 32, which at 10,000 events/s was a
 * core's worth. The worker applies a batch job's events one by one, each in its own transaction (ingest-worker.ts),
 * so a job per event is not needed for idempotency or for retries; several jobs keep the worker's concurrency busy
 * during a burst, and the byte cap keeps one job's run short (fifty 25 MB GitLab hooks would hold one job for
 * minutes, past its lock).
 */
const ENQUEUE_LINGER_MS = 20;
const INTAKE_JOB_EVENTS = 50;
const INTAKE_JOB_BYTES = 1024 * 1024;
const INTAKE_JOB_NAME = "inbound-batch";
const enqueuer = groupCommit<StoredForJob[], boolean>({
  name: "ingest enqueue",
  lanes: 1,
  maxBatch: 1000,
  weight: (events) => events.length,
  maxWeight: 1000,
  lingerMs: ENQUEUE_LINGER_MS,
  write: async (batches) => {
    const ok = await enqueueIntakeBatches(batches.flat());
    return batches.map(() => ok);
  },
});

/**
 * Stored events, in order, as the id lists of intake jobs: each at most `maxEvents` events and `maxBytes` of payload
 * (an event larger than that alone is a job of its own).
 */
export function intakeJobChunks(events: StoredForJob[], maxEvents = INTAKE_JOB_EVENTS, maxBytes = INTAKE_JOB_BYTES): string[][] {
  const chunks: string[][] = [];
  let chunk: string[] = [];
  let bytes = 0;
  for (const e of events) {
    if (chunk.length > 0 && (chunk.length >= maxEvents || bytes + e.bytes > maxBytes)) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(e.id);
    bytes += e.bytes;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/** Freshly stored events as batch jobs (the job id is the batch's first event id: each is stored once). */
async function enqueueIntakeBatches(events: StoredForJob[]): Promise<boolean> {
  try {
    const queue = await getReadyQueue(QUEUES.ingest, 500);
    const jobs = intakeJobChunks(events).map((ids) => ({
      name: INTAKE_JOB_NAME,
      data: { inboundEventIds: ids } satisfies IngestJobData,
      opts: { jobId: `batch-${ids[0]}` },
    }));
    await queue.addBulk(jobs);
    return true;
  } catch (err) {
    logger.warn({ err: err instanceof Error ? err.message : err, pending: events.length }, "ingest enqueue failed; the sweeper will retry");
    return false;
  }
}

/** Hands newly stored events to the ingest worker's queue without making the request wait for Redis. */
function enqueueAfterCommit(events: StoredForJob[]) {
  if (events.length === 0) return;
  if (enqueueBacklog + events.length > MAX_ENQUEUE_BACKLOG) {
    logger.warn({ backlog: enqueueBacklog }, "ingest enqueue backlog is full; the sweeper will enqueue the rest");
    return;
  }
  enqueueBacklog += events.length;
  void enqueuer.submit(events).finally(() => (enqueueBacklog -= events.length));
}

/** The states of a job that will still run: its events are not lost. */
const LIVE_JOB_STATES = ["active", "waiting", "prioritized", "delayed", "waiting-children"] as const;
const LIVE_SCAN_PAGE = 100;
const LIVE_SCAN_MAX_JOBS = 20_000;

/**
 * Which of `ids` a job that will still run (waiting, active, delayed for a retry, …) holds — an intake batch job or
 * an event's own job: the sweeper leaves those to their job instead of adding a job per event when the queue is
 * behind. Reads the queue's jobs oldest first — the sweeper asks about the oldest pending events, which sit in the
 * oldest jobs — page by page until every id is found, at most LIVE_SCAN_MAX_JOBS per state (beyond that an event is
 * re-enqueued as before: applying it twice is skipped by its status, only the job is extra).
 */
export async function idsInLiveJobs(ids: string[]): Promise<Set<string>> {
  const wanted = new Set(ids);
  const found = new Set<string>();
  if (wanted.size === 0) return found;
  const queue = await getReadyQueue(QUEUES.ingest, 500);
  for (let start = 0; start < LIVE_SCAN_MAX_JOBS && found.size < wanted.size; start += LIVE_SCAN_PAGE) {
    const jobs = await queue.getJobs([...LIVE_JOB_STATES], start, start + LIVE_SCAN_PAGE - 1, true);
    if (jobs.length === 0) break;
    for (const job of jobs) {
      // A job removed between listing and reading comes back empty.
      const data = job?.data as Partial<{ inboundEventId: string; inboundEventIds: string[] }> | undefined;
      for (const id of data?.inboundEventIds ?? (data?.inboundEventId ? [data.inboundEventId] : [])) if (wanted.has(id)) found.add(id);
    }
  }
  return found;
}

/**
 * Best effort: a failure leaves the rows pending for the sweeper. `suffix` makes a fresh job id for retries;
 * `replaceFinished` (the sweeper) replaces a failed job of the same id instead of letting BullMQ ignore the add.
 */
export async function enqueueInbound(ids: string[], suffix = "", opts: { replaceFinished?: boolean } = {}): Promise<boolean> {
  if (ids.length === 0) return true;
  try {
    const queue = await getReadyQueue(QUEUES.ingest, 500);
    const jobs = ids.map((id) => ({ name: "inbound", data: { inboundEventId: id } satisfies IngestJobData, opts: { jobId: id + suffix } }));
    if (opts.replaceFinished) await addReplacingFinished(queue, jobs);
    else await queue.addBulk(jobs);
    return true;
  } catch (err) {
    logger.warn({ err: err instanceof Error ? err.message : err, pending: ids.length }, "ingest enqueue failed; the sweeper will retry");
    return false;
  }
}
