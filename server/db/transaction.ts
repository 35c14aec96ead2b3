// Transactions on Kysely, with the writes nothing reads back sent at commit. A transaction is one Kysely
// connection (BEGIN … COMMIT); `tx` is a Kysely bound to it plus two explicit after-commit APIs:
//  - tx.deferred: writes (outbox rows, audit records, a row's coalesced updates) collected and sent with COMMIT in
//    one message, so a transaction that writes many pays one round trip and the locks they take are held only while
//    Postgres runs that message (a contended one, the audit chain's head, not even until the disk: see Coalesced). They are only ever sent with COMMIT, never if the
//    transaction rolls back, and mean the same for every caller. The types enforce "nothing reads it back": a
//    deferred write is an INSERT/UPDATE/DELETE without RETURNING, and deferring returns nothing.
//  - tx.afterCommit: work to run once the transaction has committed (queueing jobs, dropping caches).
//  - tx.wakeAfterCommit(name): once committed, wake the loops waiting for this kind of work (invalidation.ts).
//  - tx.afterRollback: work to run if it does not commit (giving back what the transaction reserved in memory).
import {
  CompiledQuery,
  type DeleteQueryBuilder,
  type DeleteResult,
  type InsertQueryBuilder,
  type InsertResult,
  type Kysely,
  type RawBuilder,
  type UpdateQueryBuilder,
  type UpdateResult,
} from "kysely";
import type { DB } from "@/generated/kysely/types";
import { inlineQuery } from "./inline";

/** A statement written with Kysely's `sql` tag that returns no rows (what the query builder cannot express). */
export type DeferredStatement = { readonly deferredStatement: RawBuilder<never> };
/** Marks a `sql` statement as a deferred write: it must return no rows (no RETURNING, no final SELECT). */
export const deferredStatement = (statement: RawBuilder<unknown>): DeferredStatement => ({ deferredStatement: statement as RawBuilder<never> });

/** What may be deferred: a write whose result nobody sees. */
type DeferredWrite =
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  | InsertQueryBuilder<DB, any, InsertResult>
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  | UpdateQueryBuilder<DB, any, any, UpdateResult>
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  | DeleteQueryBuilder<DB, any, DeleteResult>
  | DeferredStatement;

/**
 * Several deferred changes of one thing (a row) folded into one write: `merge` combines a later item into the
 * earlier one, `write` makes the statement at commit. Declare one per kind, as a module constant.
 *
 * `contended`: the write locks a row that every transaction of its kind waits for (the audit chain's head). Such a
 * write goes last, just before COMMIT, and the transaction releases its locks before its commit is flushed to disk
 * (early lock release, see commitMessage): the next one in line waits for this one's COMMIT to be logged, not for
 * the disk.
 */
export type Coalesced<T> = { merge: (earlier: T, later: T) => T; write: (item: T, db: Kysely<DB>) => DeferredWrite; contended?: true };

interface Deferred {
  /** Sends `write` with this transaction's COMMIT (in the order deferred). */
  write(write: DeferredWrite): void;
  /** Like write(), but items deferred under the same key of the same kind become one write (at the first's place). */
  coalesce<T>(kind: Coalesced<T>, key: string, item: T): void;
}

/** A transaction: Kysely on the transaction's connection, its deferred writes, its after-commit work. */
export type Tx = Kysely<DB> & {
  readonly deferred: Deferred;
  afterCommit(work: () => unknown): void;
  /** After commit, wakes every process's loops registered with onWake(name) (no-op where nobody wakes). */
  wakeAfterCommit(name: string): void;
  /** Runs `work` if the transaction rolls back (it threw, or its COMMIT failed); never after a commit. */
  afterRollback(work: () => void): void;
};

type Pending = { write: DeferredWrite } | { kind: Coalesced<unknown>; item: unknown };

class PendingWrites implements Deferred {
  constructor(private readonly db: Kysely<DB>) {}
  private readonly list: Pending[] = [];
  private readonly byKey = new Map<Coalesced<unknown>, Map<string, { kind: Coalesced<unknown>; item: unknown }>>();
  write(write: DeferredWrite) {
    this.list.push({ write });
  }
  coalesce<T>(kind: Coalesced<T>, key: string, item: T) {
    const k = kind as Coalesced<unknown>;
    let keys = this.byKey.get(k);
    if (!keys) this.byKey.set(k, (keys = new Map()));
    const seen = keys.get(key);
    if (seen) {
      seen.item = k.merge(seen.item, item);
      return;
    }
    const entry = { kind: k, item: item as unknown };
    keys.set(key, entry);
    this.list.push(entry);
  }
  /**
   * The last message: the writes (values inlined; contended ones last, see Coalesced) and COMMIT. With a contended
   * write, the transaction commits with synchronous_commit off, so Postgres releases its locks as soon as the
   * commit record is in the WAL, without waiting for the disk; the same message then waits for the disk before
   * it answers: the next statement runs in a transaction of its own, synchronously committed, whose commit record
   * comes after this one's, and a WAL flush is sequential — when it answers, this commit is durable too. The caller
   * thus hears of the commit only once it is on disk, as before. What waited on the row (the next appender of the
   * chain) builds on a commit that may not be flushed yet, but WAL order makes its own commit depend on this one's:
   * a crash loses both or neither, so the chain keeps no gap. Others may read this commit's rows before they are
   * on disk (milliseconds; a crash then undoes them, as a rollback would).
   */
  commitMessage(): string {
    const compile = (w: DeferredWrite): CompiledQuery => ("deferredStatement" in w ? w.deferredStatement.compile(this.db) : w.compile());
    const text = (p: Pending) => `${inlineQuery(compile("write" in p ? p.write : p.kind.write(p.item, this.db)))};\n`;
    const contended = (p: Pending) => "kind" in p && p.kind.contended === true;
    const last = this.list.filter(contended);
    if (!last.length) return `${this.list.map(text).join("")}COMMIT`;
    return [
      "SET LOCAL synchronous_commit = off;\n",
      ...this.list.filter((p) => !contended(p)).map(text),
      ...last.map(text),
      "COMMIT;\n",
      // A transactional WAL record makes the statement's own transaction write, so its commit waits for the flush.
      "SELECT pg_logical_emit_message(true, 'pier.commit-flushed', '')",
    ].join("");
  }
}

/**
 * Runs `fn` in a transaction (READ COMMITTED, like Prisma's): committed with the deferred writes when it resolves,
 * rolled back (deferred writes never sent, after-commit work never run) when it throws.
 */
export async function runTransaction<T>(kysely: Kysely<DB>, fn: (tx: Tx) => Promise<T>, wake?: (name: string) => void): Promise<T> {
  const afterCommit: (() => unknown)[] = [];
  const afterRollback: (() => void)[] = [];
  const wakes = new Set<string>();
  const result = await kysely.connection().execute(async (conn) => {
    const pending = new PendingWrites(conn);
    await conn.executeQuery(CompiledQuery.raw("BEGIN"));
    const tx = Object.assign(conn, {
      deferred: pending as Deferred,
      afterCommit: (work: () => unknown) => void afterCommit.push(work),
      wakeAfterCommit: (name: string) => void wakes.add(name),
      afterRollback: (work: () => void) => void afterRollback.push(work),
    }) as Tx;
    try {
      const value = await fn(tx);
      await conn.executeQuery(CompiledQuery.raw(pending.commitMessage()));
      return value;
    } catch (err) {
      // A failed ROLLBACK means the connection is gone; the pool wrapper has marked it for discarding.
      await conn.executeQuery(CompiledQuery.raw("ROLLBACK")).catch(() => undefined);
      for (const work of afterRollback) work();
      throw err;
    }
  });
  if (wake) for (const name of wakes) wake(name);
  for (const work of afterCommit) await work();
  return result;
}
