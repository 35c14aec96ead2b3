// Group commit: work items submitted while a write is in flight are written together by the next one. Used where
// many concurrent callers each need "my item is committed" and a commit per item costs more than the item: rollout
// steps (every audited transaction holds the audit chain's head row until its commit is flushed to disk; bench:rollout
// measured 45 s p95 of queueing with a transaction per step) and ingestion (a webhook is answered once its raw event
// is on disk: one fsync per batch of deliveries rather than per delivery). A lane runs one batch at a time; items
// that arrive meanwhile wait for the next batch, so the number of writes follows the load, not the item count.
import { logger } from "../logger";

type Pending<T, R> = { item: T; resolve: (r: R) => void; reject: (err: unknown) => void };

export type GroupCommit<T, R> = {
  /** Resolves with the item's result once the batch holding it has committed. */
  submit(item: T): Promise<R>;
};

type GroupCommitOptions<T, R> = {
  name: string;
  lanes: number;
  maxBatch: number;
  laneKey: (item: T) => string;
  write: (items: T[]) => Promise<R[]>;
  splitOnFailure?: (err: unknown) => boolean;
};

/**
 * One group commit per database handle, made on first use: batches never mix two databases (each test file and
 * benchmark has its own), and a handle that is dropped takes its lanes with it.
 */
export function groupCommitPerDb<D extends object, T, R>(
  opts: Omit<GroupCommitOptions<T, R>, "write"> & { write: (db: D, items: T[]) => Promise<R[]> },
): (db: D) => GroupCommit<T, R> {
  const made = new WeakMap<D, GroupCommit<T, R>>();
  return (db) => {
    let lanes = made.get(db);
    if (!lanes) {
      lanes = groupCommit({ ...opts, write: (items) => opts.write(db, items) });
      made.set(db, lanes);
    }
    return lanes;
  };
}

/**
 * `lanes` batches run at once; an item always goes to the lane of `laneKey(item)` (so two lanes never hold the same
 * row locks). `write` returns one result per item, in order. A batch that fails is written again item by item, so
 * one bad item (a conflict in its rollout, a value the database refuses) cannot take its neighbours' work down with
 * it — unless `splitOnFailure(err)` says the failure is not the items' doing (the database is unreachable): then
 * every item of the batch fails with that error at once, rather than each waiting for its own failure.
 */
export function groupCommit<T, R>(opts: GroupCommitOptions<T, R>): GroupCommit<T, R> {
  const queues = Array.from({ length: opts.lanes }, () => ({ waiting: [] as Pending<T, R>[], busy: false }));

  async function writeBatch(batch: Pending<T, R>[]) {
    try {
      const results = await opts.write(batch.map((p) => p.item));
      batch.forEach((p, i) => p.resolve(results[i]));
    } catch (err) {
      if (batch.length === 1) return batch[0].reject(err);
      if (opts.splitOnFailure && !opts.splitOnFailure(err)) {
        logger.warn({ err, batch: batch.length }, `${opts.name}: batch failed; failing each of its items`);
        for (const p of batch) p.reject(err);
        return;
      }
      logger.warn({ err, batch: batch.length }, `${opts.name}: batch failed; writing its items one by one`);
      for (const p of batch) await writeBatch([p]);
    }
  }

  async function drain(lane: (typeof queues)[number]) {
    try {
      while (lane.waiting.length) await writeBatch(lane.waiting.splice(0, opts.maxBatch));
    } finally {
      lane.busy = false;
    }
  }

  return {
    submit(item) {
      const lane = queues[laneOf(opts.laneKey(item), opts.lanes)];
      return new Promise<R>((resolve, reject) => {
        lane.waiting.push({ item, resolve, reject });
        if (lane.busy) return;
        // Started a moment later, so items submitted in the same turn (a wave's steps) share the first batch.
        lane.busy = true;
        queueMicrotask(() => void drain(lane));
      });
    },
  };
}

/** A stable lane for a key (FNV-1a), so the same rollout or step always lands in the same lane. */
function laneOf(key: string, lanes: number) {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) % lanes;
}
