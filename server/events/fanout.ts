// Delivers each outbox event to every subscriber, each at most once (consumeOnce keyed by outbox id).
// A domain subscribes by adding an entry to SUBSCRIBERS.
import type { Db, Tx } from "../db";
import { consumeOnce, markOutboxProcessed, type OutboxJobData } from "../outbox/outbox";
import type { PierEvent } from "./pier-events";

export type Subscriber = {
  /** Stable name: part of the idempotency key. */
  name: string;
  wants: (type: string) => boolean;
  /** Runs inside a transaction together with the consumed-marker. */
  handle: (tx: Tx, event: PierEvent & { id: string }, db: Db) => Promise<void>;
};

const SUBSCRIBERS: Subscriber[] = [];

export function registerSubscriber(s: Subscriber) {
  if (!SUBSCRIBERS.some((x) => x.name === s.name)) SUBSCRIBERS.push(s);
}

export function subscribers(): readonly Subscriber[] {
  return SUBSCRIBERS;
}

/** The events-queue job handler: every interested subscriber, then the outbox row is marked processed. */
export async function processOutboxJob(db: Db, job: OutboxJobData, list: readonly Subscriber[] = SUBSCRIBERS) {
  const event = { ...(job.payload as unknown as PierEvent), id: job.outboxId };
  for (const s of list) {
    if (!s.wants(event.type)) continue;
    await consumeOnce(db, s.name, job.outboxId, (tx) => s.handle(tx, event, db));
  }
  await markOutboxProcessed(db, job.outboxId);
}
