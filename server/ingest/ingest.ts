// Intake side of ingestion: store accepted events durably (idempotent by source + event id), enqueue them for
// the ingest worker (refusals: ./rejections.ts). Redis being down never loses an event:
// it stays "pending" in Postgres and the worker's sweeper enqueues it later.
import { randomUUID } from "node:crypto";
import { anyOf, sql, type Db } from "../db";
import { logger } from "../logger";
import { QUEUES, addReplacingFinished, getReadyQueue } from "../platform/queues";

export type IncomingEvent = {
  externalId: string;
  type: string;
  specVersion?: string | null;
  payload: unknown;
  /** When the sender says it happened (null when the event carries no time of its own). */
  occurredAt?: Date | null;
  /** False for a CDEvents type the declared spec release does not define. */
  knownType?: boolean;
};
export type StoredEvent = { id: string; externalId: string; duplicate: boolean };

export type IngestJobData = { inboundEventId: string };

/** Inserts the events that are new (ON CONFLICT DO NOTHING on source+externalId) and enqueues them. */
export async function storeInboundEvents(db: Db, source: string, events: IncomingEvent[]): Promise<StoredEvent[]> {
  // One statement whatever the number of events (unnest of parallel arrays): the ingest hot path. receivedAt is
  // set in UTC explicitly, whatever the session's TimeZone.
  const ids = events.map(() => randomUUID());
  const created = await db.kysely
    .insertInto("InboundEvent")
    .columns(["id", "source", "externalId", "type", "specVersion", "payload", "receivedAt", "occurredAt", "knownType"])
    .expression(
      sql`SELECT u.id, ${source}, u.ext, u.type, u.spec, u.payload::jsonb, (now() AT TIME ZONE 'UTC'), u.occurred::timestamp, u.known
          FROM unnest(${ids}::text[], ${events.map((e) => e.externalId)}::text[], ${events.map((e) => e.type)}::text[],
                      ${events.map((e) => e.specVersion ?? null)}::text[], ${events.map((e) => JSON.stringify(e.payload))}::text[],
                      ${events.map((e) => e.occurredAt?.toISOString() ?? null)}::text[], ${events.map((e) => e.knownType ?? true)}::boolean[])
            AS u(id, ext, type, spec, payload, occurred, known)`,
    )
    .onConflict((oc) => oc.columns(["source", "externalId"]).doNothing())
    .returning(["id", "externalId"])
    .execute();
  const fresh = new Map(created.map((c) => [c.externalId, c.id]));
  let existing = new Map<string, string>();
  if (fresh.size < events.length) {
    // Counted for Admin → Integrations (accepted / refused / duplicate) in the statement that finds them.
    const dupes = await db.kysely
      .updateTable("InboundEvent")
      .set({ duplicates: sql<number>`duplicates + 1`, lastDuplicateAt: sql<Date>`(now() AT TIME ZONE 'UTC')` })
      .where("source", "=", source)
      .where("externalId", "=", anyOf(events.filter((e) => !fresh.has(e.externalId)).map((e) => e.externalId)))
      .returning(["id", "externalId"])
      .execute();
    existing = new Map(dupes.map((d) => [d.externalId, d.id]));
  }
  await enqueueInbound(created.map((c) => c.id));
  return events.map((e) =>
    fresh.has(e.externalId)
      ? { id: fresh.get(e.externalId)!, externalId: e.externalId, duplicate: false }
      : { id: existing.get(e.externalId) ?? "", externalId: e.externalId, duplicate: true },
  );
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
