// First attempts sent by the worker process that routed them, without a delivery job. Routing reserves an
// in-flight slot for a pending delivery, writes the row already claimed ("sending", attempts 1) in its transaction,
// and sends it as soon as that commits: no BullMQ job to add and take, no reload, no claim — at hundreds of
// deliveries a second those cost more than the sends. Correctness does not depend on this process: the row in
// Postgres is the claim, so no job or sweeper sends it again while it is "sending", and if this process dies first the
// sweeper retries it after SENDING_LEASE_MS, as for a worker that died mid-send. Slots are bounded per channel and per
// process: a slow vendor fills its own slots and its further deliveries go through its queue as before, so it holds up
// neither routing (sends are not awaited by the events job) nor the other channels. Retries, rate-limit waits and the
// sweeper's re-enqueues still travel as jobs (delivery-queue.ts).
import type { Db } from "../db";
import { logger } from "../logger";
import { sendClaimedDelivery, type DeliveryDeps, type DeliveryRow } from "./delivery";

/**
 * In-flight direct sends per channel, and per process. A burst routes 50 events (150 deliveries of 3 routes) in one
 * transaction: with 64 slots most of them went through the queue (a job, a reload and a claim each, no fewer
 * requests in flight: a delivery job's deliveries are sent side by side too). 256 keeps a burst direct.
 */
const PER_CHANNEL = 256;
const PER_PROCESS = 1024;

type Limits = { perChannel: number; perProcess: number };

/** Routing's side: reserve before writing a row as claimed, then send it after the commit or give the slot back. */
export type DirectSends = {
  /** Takes a slot for one delivery on `channelId`; false when full (the delivery goes through its queue). */
  reserve(channelId: string): boolean;
  /** Gives back a slot reserved for a row that was not written (rolled back, or there already). */
  release(channelId: string): void;
  /** Sends rows written as claimed, after their transaction committed; each frees its slot when done. */
  send(db: Db, rows: DeliveryRow[]): void;
};

type Sender = DirectSends & { stop(): Promise<void> };

let current: Sender | undefined;

function sender(deps: DeliveryDeps, limits: Limits): Sender {
  const perChannel = new Map<string, number>();
  const inFlight = new Set<Promise<unknown>>();
  let total = 0;
  let stopping = false;
  const release = (channelId: string) => {
    total--;
    const n = (perChannel.get(channelId) ?? 1) - 1;
    if (n > 0) perChannel.set(channelId, n);
    else perChannel.delete(channelId);
  };
  return {
    reserve(channelId) {
      const n = perChannel.get(channelId) ?? 0;
      if (stopping || total >= limits.perProcess || n >= limits.perChannel) return false;
      perChannel.set(channelId, n + 1);
      total++;
      return true;
    },
    release,
    send(db, rows) {
      for (const row of rows) {
        const p = sendClaimedDelivery(db, row, deps)
          // Only a failure to write the outcome lands here (the database is away): the row stays "sending" and the
          // sweeper retries it after the lease.
          .catch((err: unknown) => logger.warn({ err: err instanceof Error ? err.message : String(err), deliveryId: row.id }, "direct send failed"))
          .finally(() => {
            inFlight.delete(p);
            release(row.channelId);
          });
        inFlight.add(p);
      }
    },
    async stop() {
      stopping = true;
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
  };
}

/**
 * Lets this process's routing send first attempts itself (the worker process calls it at start); returns the stop
 * function, which takes no more and waits for the sends in flight (graceful shutdown). Without it, routing queues
 * every delivery (tests, tools).
 */
export function startDirectSends(deps: DeliveryDeps = {}, limits: Limits = { perChannel: PER_CHANNEL, perProcess: PER_PROCESS }): () => Promise<void> {
  const s = sender(deps, limits);
  current = s;
  return async () => {
    await s.stop();
    if (current === s) current = undefined;
  };
}

/** The process's direct sender, when started. */
export function directSends(): DirectSends | undefined {
  return current;
}
