// Intake by group commit (./ingest.ts): concurrent deliveries go into Postgres together, each stored once, each
// answered only once its statement returned; repeats (in the same batch or a later one) are answered with the stored
// row and counted; a value Postgres refuses fails only its own request; an unreachable database fails every waiting
// request at once with the error the intake turns into a 503.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TcpProxy } from "../../test/support/tcp-proxy";
import { closeDb, createDb, getDb, sql } from "../db";
import { classifyFailure } from "../platform/failures";
import { storeInboundEvents, type IncomingEvent } from "./ingest";

const event = (externalId: string, extra: Partial<IncomingEvent> = {}): IncomingEvent => ({
  externalId,
  type: "pipeline",
  payload: { object_kind: "pipeline", id: externalId },
  occurredAt: new Date("2026-11-30T10:00:00Z"),
  ...extra,
});

/** The rows of `source` by external id, with the transaction that wrote each (xmin: one per statement here). */
async function rows(source: string) {
  const { rows } = await sql<{ id: string; externalId: string; duplicates: number; tx: string }>`
    SELECT id, "externalId", duplicates, xmin::text AS tx FROM "InboundEvent" WHERE source = ${source} ORDER BY "externalId"`.execute(getDb().kysely);
  return rows;
}

describe("inbound events by group commit", () => {
  it("stores concurrent deliveries once each, in as many statements as lanes, repeats answered with the stored row", async () => {
    const db = getDb();
    // 30 deliveries at once: 24 distinct GitLab ids, 6 repeats of some of them inside the same burst, and a
    // CDEvents request of three events (one a repeat of its own source's first delivery).
    const ids = Array.from({ length: 24 }, (_, i) => `gc-${String(i).padStart(2, "0")}`);
    const burst = [...ids, "gc-00", "gc-05", "gc-05", "gc-10", "gc-23", "gc-23"].map((id) => storeInboundEvents(db, "gc-gitlab", [event(id)]));
    const multi = storeInboundEvents(db, "gc-cdevents", [event("c-1"), event("c-2"), event("c-3")]);
    const answers = await Promise.all(burst);
    const multiAnswer = await multi;

    const stored = await rows("gc-gitlab");
    expect(stored.map((r) => r.externalId)).toEqual(ids);
    // Two lanes: the rows came from at most two INSERT statements, not 30 (rows counted as repeated since carry
    // the UPDATE's transaction instead).
    expect(new Set(stored.filter((r) => r.duplicates === 0).map((r) => r.tx)).size).toBeLessThanOrEqual(2);
    const idOf = new Map(stored.map((r) => [r.externalId, r.id]));
    // The first of each id is new, every later one a duplicate naming the stored row.
    const firsts = answers.slice(0, 24).map((a) => a[0]);
    expect(firsts.every((a, i) => !a.duplicate && a.id === idOf.get(ids[i]))).toBe(true);
    const repeats = answers.slice(24).map((a) => a[0]);
    expect(repeats.map((a) => [a.externalId, a.duplicate, a.id === idOf.get(a.externalId)])).toEqual([
      ["gc-00", true, true],
      ["gc-05", true, true],
      ["gc-05", true, true],
      ["gc-10", true, true],
      ["gc-23", true, true],
      ["gc-23", true, true],
    ]);
    expect(Object.fromEntries(stored.filter((r) => r.duplicates > 0).map((r) => [r.externalId, r.duplicates]))).toEqual({
      "gc-00": 1,
      "gc-05": 2,
      "gc-10": 1,
      "gc-23": 2,
    });
    expect(multiAnswer.map((a) => [a.externalId, a.duplicate])).toEqual([
      ["c-1", false],
      ["c-2", false],
      ["c-3", false],
    ]);
    expect((await rows("gc-cdevents")).map((r) => r.externalId)).toEqual(["c-1", "c-2", "c-3"]);
  });

  it("answers a repeat in a later batch with the stored row, counting it, and a request mixing new and repeated events per event", async () => {
    const db = getDb();
    const [first] = await storeInboundEvents(db, "gc-later", [event("l-1")]);
    const [again] = await storeInboundEvents(db, "gc-later", [event("l-1")]);
    expect(again).toEqual({ id: first.id, externalId: "l-1", duplicate: true });
    const mixed = await storeInboundEvents(db, "gc-later", [event("l-2"), event("l-1")]);
    expect(mixed.map((m) => [m.externalId, m.duplicate, m.duplicate ? m.id === first.id : true])).toEqual([
      ["l-2", false, true],
      ["l-1", true, true],
    ]);
    expect((await rows("gc-later")).find((r) => r.externalId === "l-1")?.duplicates).toBe(2);
  });

  it("a value Postgres refuses fails only the request that sent it; its batch neighbours are stored", async () => {
    const db = getDb();
    const results = await Promise.allSettled([
      storeInboundEvents(db, "gc-refuse", [event("ok-1")]),
      // NUL cannot be stored in text: Postgres refuses the statement (SQLSTATE 22021), as for any unstorable value.
      storeInboundEvents(db, "gc-refuse", [event("bad-1", { type: "pipe\u0000line" })]),
      storeInboundEvents(db, "gc-refuse", [event("ok-2"), event("ok-3")]),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(classifyFailure((results[1] as PromiseRejectedResult).reason)).toBe("invalid_data");
    expect((await rows("gc-refuse")).map((r) => r.externalId)).toEqual(["ok-1", "ok-2", "ok-3"]);
  });
});

describe("inbound events when the database is unreachable", () => {
  let proxy: TcpProxy;
  beforeAll(async () => {
    const target = new URL(process.env.DATABASE_URL!);
    proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
  });
  afterAll(() => proxy.stop());

  it("fails every waiting request with the batch's connection error (a 503 at the edge), none stored, then recovers", async () => {
    const db = createDb(proxy.url(process.env.DATABASE_URL!), 2, { connectTimeoutMs: 2000 });
    try {
      proxy.set("refuse");
      const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => storeInboundEvents(db, "gc-down", [event(`down-${i}`)])));
      const errors = results.map((r) => (r.status === "rejected" ? r.reason : null));
      expect(errors.every((e) => e !== null && classifyFailure(e) === "unavailable")).toBe(true);
      // One error per batch (two lanes), shared by its requests: nobody was tried again on its own.
      expect(new Set(errors).size).toBeLessThanOrEqual(2);
      expect(await rows("gc-down")).toEqual([]);

      proxy.set("pass");
      const [back] = await storeInboundEvents(db, "gc-down", [event("down-0")]);
      expect(back.duplicate).toBe(false);
      expect((await rows("gc-down")).map((r) => r.externalId)).toEqual(["down-0"]);
    } finally {
      await closeDb(db);
    }
  });
});
