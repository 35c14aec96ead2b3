// Database faults between the pool and Postgres (a TCP proxy the test switches): while the database refuses, is
// silent, or has failed over (old connections dead, new ones fine), calls fail within the configured timeouts
// instead of hanging, and once it answers again the same handle works, with no restart.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TcpProxy } from "../../test/support/tcp-proxy";
import { closeDb, createDb, sql, transaction, type Db } from "./index";

let proxy: TcpProxy;
const handles: Db[] = [];

beforeAll(async () => {
  const target = new URL(process.env.DATABASE_URL!);
  proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
});

afterAll(async () => {
  proxy.set("pass");
  await Promise.allSettled(handles.map((h) => closeDb(h)));
  await proxy.stop();
});

/** A handle through the proxy: 3 connections, 2 s to connect, statements cut at 1 s (the client gives up at 2 s). */
function proxiedDb() {
  const db = createDb(proxy.url(process.env.DATABASE_URL!), 3, { connectTimeoutMs: 2000, statementTimeoutMs: 1000, idleInTransactionTimeoutMs: 2000 });
  handles.push(db);
  return db;
}

const ping = (db: Db) => sql<{ one: number }>`SELECT 1 AS one`.execute(db.kysely);

async function timed(fn: () => Promise<unknown>) {
  const started = Date.now();
  try {
    await fn();
    return { ok: true, ms: Date.now() - started };
  } catch (err) {
    return { ok: false, ms: Date.now() - started, err };
  }
}

/** Fills the pool with `n` open connections (n concurrent calls). */
async function warm(db: Db, n = 3) {
  await Promise.all(Array.from({ length: n }, () => transaction(db, async (tx) => sql`SELECT pg_sleep(0.05)`.execute(tx))));
}

/** Calls until one succeeds (at most `tries`); returns how many failed first. */
async function failuresUntilOk(fn: () => Promise<unknown>, tries = 10) {
  for (let i = 0; i < tries; i++) if ((await timed(fn)).ok) return i;
  throw new Error(`still failing after ${tries} calls`);
}

describe("database timeouts", () => {
  it("sets the session's statement and idle-in-transaction timeouts", async () => {
    const db = proxiedDb();
    const { rows } = await sql<{
      s: string;
      i: string;
    }>`SELECT current_setting('statement_timeout') AS s, current_setting('idle_in_transaction_session_timeout') AS i`.execute(db.kysely);
    expect(rows[0]).toEqual({ s: "1s", i: "2s" });
    // A statement longer than the timeout is cancelled by Postgres.
    const slow = await timed(() => sql`SELECT pg_sleep(5)`.execute(db.kysely));
    expect(slow.ok).toBe(false);
    expect(slow.ms).toBeLessThan(2500);
    expect((await ping(db)).rows[0].one).toBe(1);
  });

  it("refused connections fail at once and the handle works when the database is back", async () => {
    const db = proxiedDb();
    proxy.set("refuse");
    const refused = await timed(() => ping(db));
    expect(refused.ok).toBe(false);
    expect(refused.ms).toBeLessThan(1000);
    proxy.set("pass");
    expect((await ping(db)).rows[0].one).toBe(1);
  });

  it("a silent database fails calls within the timeouts (not minutes), then recovers", async () => {
    const db = proxiedDb();
    await warm(db);
    proxy.set("blackhole");
    // Calls on the open connections: the client gives up at statement timeout + 1 s and drops the connection; a
    // call that then needs a new one waits at most the connect timeout more (Prisma's may).
    const onOpen = await Promise.all([timed(() => ping(db)), timed(() => ping(db)), timed(() => db.user.count())]);
    for (const r of onOpen) {
      expect(r.ok).toBe(false);
      expect(r.ms).toBeLessThan(2000 + 2000 + 1000);
    }
    // A new connection cannot be opened: the connect timeout.
    const fresh = await timed(() => ping(db));
    expect(fresh.ok).toBe(false);
    expect(fresh.ms).toBeLessThan(2000 + 1000);
    proxy.set("pass");
    expect(await failuresUntilOk(() => ping(db))).toBe(0);
    expect(await db.user.count()).toBeGreaterThanOrEqual(0);
  });

  it("after a failover (old connections dead, new ones fine) the pool replaces its dead connections", async () => {
    const db = proxiedDb();
    await warm(db);
    proxy.set("failover");
    const started = Date.now();
    // Each dead connection costs at most one call (statement timeout + 1 s), then is evicted; new ones work.
    const failed = await failuresUntilOk(() => Promise.all([ping(db), db.user.count(), transaction(db, async (tx) => sql`SELECT 1`.execute(tx))]));
    expect(failed).toBeLessThanOrEqual(3);
    expect(Date.now() - started).toBeLessThan(10_000);
    // Healthy afterwards: the whole pool's worth of concurrent calls succeeds.
    const after = await Promise.all([timed(() => ping(db)), timed(() => ping(db)), timed(() => db.user.count())]);
    expect(after.every((r) => r.ok)).toBe(true);
  });
});
