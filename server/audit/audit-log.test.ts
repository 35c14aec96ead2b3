import { describe, expect, it } from "vitest";
import { getDb } from "../db";
import { canonicalJson, DeferredAudit, recordAudit, verifyAuditChain } from "./audit-log";

const actor = { id: null, label: "test" };

async function appendMany(n: number) {
  const db = getDb();
  for (let i = 0; i < n; i++) {
    await db.$transaction((tx) =>
      recordAudit(tx, { actor, action: "thing.changed", subjectType: "thing", subjectId: `t${i}`, before: { n: i }, after: { n: i + 1, at: new Date(0) } }),
    );
  }
}

describe("audit chain", () => {
  it("canonical JSON ignores key order", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(canonicalJson({ a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 }));
  });

  it("verifies an intact chain, including concurrent appends", async () => {
    await appendMany(3);
    const db = getDb();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        db.$transaction((tx) => recordAudit(tx, { actor, action: "race", subjectType: "thing", subjectId: `r${i}` })),
      ),
    );
    const result = await verifyAuditChain(db, 7);
    expect(result).toMatchObject({ ok: true, checked: 23 });
  });

  it("a deferred batch appends in order, chained to concurrent single appends, and the chain verifies", async () => {
    const db = getDb();
    const before = await db.auditEvent.count();
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        db.$transaction(async (tx) => {
          const audit = new DeferredAudit();
          audit.add({ actor, action: "batch.first", subjectType: "batch", subjectId: `b${i}`, after: { step: 1, at: new Date(0) } });
          audit.add({ actor, action: "batch.second", subjectType: "batch", subjectId: `b${i}`, before: { step: 1 }, after: { step: 2 } });
          await recordAudit(tx, { actor, action: "single", subjectType: "batch", subjectId: `s${i}` });
          await audit.flush(tx);
          await audit.flush(tx); // already flushed: writes nothing more
        }),
      ),
    );
    const rows = await db.auditEvent.findMany({ where: { subjectType: "batch" }, orderBy: { seq: "asc" } });
    expect(rows).toHaveLength(24);
    expect(await db.auditEvent.count()).toBe(before + 24);
    for (let i = 0; i < 8; i++) {
      const mine = rows.filter((r) => r.subjectId === `b${i}`);
      expect(mine.map((r) => r.action)).toEqual(["batch.first", "batch.second"]);
      expect(mine[1].prevHash).toBe(mine[0].hash);
      expect(mine[0].after).toEqual({ step: 1, at: new Date(0).toISOString() });
      expect(mine[0].before).toBeNull();
    }
    expect(await verifyAuditChain(db, 5)).toMatchObject({ ok: true });
  });

  it("detects a modified row", async () => {
    const db = getDb();
    const rows = await db.auditEvent.findMany({ orderBy: { seq: "asc" } });
    await db.$executeRaw`UPDATE "AuditEvent" SET after = '{"n": 999}' WHERE seq = ${rows[1].seq}`;
    const result = await verifyAuditChain(db);
    expect(result).toMatchObject({ ok: false, brokenAtSeq: rows[1].seq, problem: "modified" });
    await db.$executeRaw`DELETE FROM "AuditEvent"`;
  });

  it("detects a deleted row", async () => {
    await appendMany(4);
    const db = getDb();
    const rows = await db.auditEvent.findMany({ orderBy: { seq: "asc" } });
    await db.auditEvent.delete({ where: { seq: rows[2].seq } });
    const result = await verifyAuditChain(db);
    expect(result).toMatchObject({ ok: false, brokenAtSeq: rows[3].seq, problem: "missing-predecessor" });
  });

  it("rolls back with the transaction it belongs to", async () => {
    const db = getDb();
    const before = await db.auditEvent.count();
    await expect(
      db.$transaction(async (tx) => {
        await recordAudit(tx, { actor, action: "doomed", subjectType: "thing", subjectId: "x" });
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await db.auditEvent.count()).toBe(before);
  });
});
