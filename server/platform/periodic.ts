// A background loop for the worker process: runs `work` now and then every `intervalMs` after each run ends
// (never overlapping itself); stop() waits for a run in progress. A failing run is logged and retried next tick.
//
// With N worker processes every loop runs N times. A loop whose work is not partitioned by row locks passes
// `lease: db`: each run then first takes a Postgres advisory lock for the loop's name (pg_try_advisory_xact_lock,
// in a transaction held open for the run), and a process that does not get it skips that run. So one run of the
// loop happens at a time across all processes; the lock goes with the transaction (commit, or a dead process's
// connection closing), so a crashed holder frees it at once. It works through PgBouncer in transaction mode.
// The loops (README "Running in production"):
//   outbox dispatcher      partitioned: FOR UPDATE SKIP LOCKED on the rows it dispatches (no lease)
//   deployment maintenance lease (schedules, expiry, stalled-run reconciler, target-queue sweep)
//   rollouts, target health lease (server/deployments/rollouts: soaks, analyses, stale steps; health polls)
//   notification sweep     lease (its row moves also use SKIP LOCKED)
//   ingest sweep           lease
import { sql, transaction, type Db } from "../db";
import { logger } from "../logger";

/** The advisory-lock class of periodic leases (two-key form: (class, hashtext(name))). */
const LEASE_CLASS = 0x50_49_45_52; // "PIER"

/**
 * Runs `work` while holding the lease `name` (no other process runs work under that name meanwhile); returns
 * held: false without running it when another process holds the lease.
 */
export async function withLease<T>(db: Db, name: string, work: () => Promise<T>): Promise<{ held: false } | { held: true; value: T }> {
  return transaction(db, async (tx) => {
    // The lock's transaction stays idle while `work` runs on other connections: exempt it from the idle timeout.
    await sql`SET LOCAL idle_in_transaction_session_timeout = 0`.execute(tx);
    const { rows } = await sql<{ ok: boolean }>`SELECT pg_try_advisory_xact_lock(${LEASE_CLASS}::int, hashtext(${name})) AS ok`.execute(tx);
    if (!rows[0]?.ok) return { held: false as const };
    return { held: true as const, value: await work() };
  });
}

export type PeriodicOptions = {
  /** Run under an advisory-lock lease on this database: one run at a time across every process. */
  lease?: Db;
};

export function startPeriodic(name: string, intervalMs: number, work: () => Promise<unknown>, opts: PeriodicOptions = {}): () => Promise<void> {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  const leased = opts.lease;
  const run = leased ? () => withLease(leased, `periodic:${name}`, work) : work;
  const tick = async () => {
    if (stopped) return;
    running = run().catch((err) => logger.error({ err, loop: name }, `${name} failed`));
    await running;
    if (!stopped) timer = setTimeout(tick, intervalMs);
  };
  timer = setTimeout(tick, 0);
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    await running;
  };
}
