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
  /** Batches written at once, at most. */
  lanes: number;
  /** Items per batch, at most. */
  maxBatch: number;
  /**
   * With a key, an item always goes to the lane of `laneKey(item)`, so two lanes never hold the same row locks
   * (rollout steps). Without one, every item joins one queue: a second lane starts only while a full batch waits
   * behind a running one, so batches stay as large as the load makes them (half-size batches from two lanes taking
   * turns would double the writes — each a statement and a WAL flush — for the same work).
   */
  laneKey?: (item: T) => string;
  /** An item's share of a batch (e.g. the events a request holds); a batch holds at most `maxWeight` (one item always fits). */
  weight?: (item: T) => number;
  maxWeight?: number;
  /** Waits this long before writing a batch that is not full: for writes nobody waits on, fewer and larger ones. */
  lingerMs?: number;
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

/** Items waiting for a batch, and the batches being written from them. */
type Queue<T, R> = { waiting: Pending<T, R>[]; weight: number; writers: number; maxWriters: number };

/**
 * `lanes` batches run at once (see `laneKey` for which). `write` returns one result per item, in order. A batch that
 * fails is written again item by item, so one bad item (a conflict in its rollout, a value the database refuses)
 * cannot take its neighbours' work down with it — unless `splitOnFailure(err)` says the failure is not the items'
 * doing (the database is unreachable): then every item of the batch fails with that error at once, rather than each
 * waiting for its own failure.
 */
export function groupCommit<T, R>(opts: GroupCommitOptions<T, R>): GroupCommit<T, R> {
  const keyed = opts.laneKey !== undefined;
  const queues: Queue<T, R>[] = Array.from({ length: keyed ? opts.lanes : 1 }, () => ({
    waiting: [],
    weight: 0,
    writers: 0,
    maxWriters: keyed ? 1 : opts.lanes,
  }));
  const weightOf = opts.weight ?? (() => 1);
  const maxWeight = opts.maxWeight ?? Infinity;
  const full = (q: Queue<T, R>) => q.waiting.length >= opts.maxBatch || q.weight >= maxWeight;

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

  /** The next batch: up to maxBatch items and maxWeight, in arrival order. */
  function take(q: Queue<T, R>) {
    let n = 0;
    let weight = 0;
    while (n < q.waiting.length && n < opts.maxBatch) {
      const w = weightOf(q.waiting[n].item);
      if (n > 0 && weight + w > maxWeight) break;
      weight += w;
      n++;
    }
    q.weight -= weight;
    return q.waiting.splice(0, n);
  }

  async function drain(q: Queue<T, R>) {
    try {
      for (;;) {
        if (opts.lingerMs && !full(q)) await new Promise((r) => setTimeout(r, opts.lingerMs));
        // A second writer may find the batch it was started for already taken by the first.
        if (!q.waiting.length) break;
        await writeBatch(take(q));
        // Another writer takes what is left unless a full batch is waiting for this one.
        if (!q.waiting.length || (q.writers > 1 && !full(q))) break;
      }
    } finally {
      q.writers--;
    }
  }

  return {
    submit(item) {
      const q = queues[keyed ? laneOf(opts.laneKey!(item), opts.lanes) : 0];
      return new Promise<R>((resolve, reject) => {
        q.waiting.push({ item, resolve, reject });
        q.weight += weightOf(item);
        if (q.writers > 0 && (q.writers >= q.maxWriters || !full(q))) return;
        // Started a moment later, so items submitted in the same turn (a wave's steps) share the first batch.
        q.writers++;
        queueMicrotask(() => void drain(q));
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
