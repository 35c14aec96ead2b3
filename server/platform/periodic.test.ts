// Periodic loops with several worker processes (two Db handles here, as two processes would have): a loop under a
// lease never runs in two processes at once, and a holder that dies frees the lease at once. The outbox
// dispatcher takes no lease: concurrent dispatchers partition the rows (FOR UPDATE SKIP LOCKED), so each row goes
// to its queue once.
import type { Queue } from "bullmq";
import { afterAll, describe, expect, it } from "vitest";
import { closeDb, createDb, sql, transaction, type Db } from "../db";
import { dispatchOutbox, writeOutbox } from "../bus/outbox";
import { startPeriodic, withLease } from "./periodic";

const handles: Db[] = [];
const processDb = () => {
  const db = createDb(process.env.DATABASE_URL!, 4);
  handles.push(db);
  return db;
};

afterAll(async () => {
  await Promise.all(handles.map((h) => closeDb(h)));
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("periodic loops with N processes", () => {
  it("a leased loop runs in one process at a time", async () => {
    const [a, b] = [processDb(), processDb()];
    let active = 0;
    let maxActive = 0;
    const runs = { a: 0, b: 0 };
    const work = (who: "a" | "b") => async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      runs[who]++;
      await sleep(40);
      active--;
    };
    const stops = [startPeriodic("test-loop", 5, work("a"), { lease: a }), startPeriodic("test-loop", 5, work("b"), { lease: b })];
    await sleep(1000);
    await Promise.all(stops.map((s) => s()));
    expect(maxActive).toBe(1);
    expect(runs.a + runs.b).toBeGreaterThan(5);
  });

  it("without a lease the same two loops overlap (what the lease prevents)", async () => {
    let active = 0;
    let maxActive = 0;
    const work = async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      await sleep(40);
      active--;
    };
    const stops = [startPeriodic("test-unleased", 5, work), startPeriodic("test-unleased", 5, work)];
    await sleep(300);
    await Promise.all(stops.map((s) => s()));
    expect(maxActive).toBe(2);
  });

  it("a lease held by a process whose connection dies is free at once", async () => {
    const [a, b] = [processDb(), processDb()];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let holderPid = 0;
    const holding = withLease(a, "test-crash", async () => {
      // The lease's connection is the one in a transaction holding our advisory lock.
      const { rows } = await sql<{
        pid: number;
      }>`SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = ${0x50_49_45_52}::oid LIMIT 1`.execute(b.kysely);
      holderPid = rows[0].pid;
      await gate;
    });
    await sleepUntil(() => holderPid !== 0);
    expect((await withLease(b, "test-crash", async () => "ran")).held).toBe(false);
    // The holder "crashes": its connection goes away.
    await sql`SELECT pg_terminate_backend(${holderPid})`.execute(b.kysely);
    // Free as soon as the backend is gone (it exits asynchronously: a few milliseconds).
    let taken: Awaited<ReturnType<typeof withLease<string>>> = { held: false };
    const deadline = Date.now() + 2000;
    while (!taken.held && Date.now() < deadline) {
      taken = await withLease(b, "test-crash", async () => "ran");
      if (!taken.held) await sleep(20);
    }
    expect(taken).toEqual({ held: true, value: "ran" });
    release();
    await holding.catch(() => undefined);
  });

  it("two dispatchers at once send every outbox row once", async () => {
    const [a, b] = [processDb(), processDb()];
    await transaction(a, async (tx) => {
      for (let i = 0; i < 300; i++) writeOutbox(tx, { queue: "test-partition", type: "test.partition", payload: { i } });
    });
    const added = new Map<string, number>();
    const queue = {
      async addBulk(jobs: { data: { outboxId: string } }[]) {
        await sleep(20);
        for (const j of jobs) added.set(j.data.outboxId, (added.get(j.data.outboxId) ?? 0) + 1);
        return [];
      },
    } as unknown as Queue;
    const drain = async (db: Db) => {
      let total = 0;
      for (;;) {
        const r = await dispatchOutbox(db, { batchSize: 25, queueFor: async () => queue });
        total += r.dispatched;
        if (r.dispatched === 0) return total;
      }
    };
    const [fromA, fromB] = await Promise.all([drain(a), drain(b)]);
    expect(fromA + fromB).toBe(300);
    expect(fromA).toBeGreaterThan(0);
    expect(fromB).toBeGreaterThan(0);
    expect(added.size).toBe(300);
    expect([...added.values()].every((n) => n === 1)).toBe(true);
  });
});

async function sleepUntil(cond: () => boolean, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(10);
  }
}
