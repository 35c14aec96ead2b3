import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { getDb, sql, transaction, type Tx } from "../db";
import { asSuperuser, wipeAuditLog } from "../../test/support/audit-tampering";
import { auditHash, canonicalJson, recordAudit, recordAudits, verifyAuditChain } from "./audit-log";

const actor = { id: null, label: "test" };

async function appendMany(n: number) {
  const db = getDb();
  for (let i = 0; i < n; i++) {
    await transaction(db, async (tx) =>
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
      Array.from({ length: 20 }, (_, i) => transaction(db, async (tx) => recordAudit(tx, { actor, action: "race", subjectType: "thing", subjectId: `r${i}` }))),
    );
    const result = await verifyAuditChain(db, 7);
    expect(result).toMatchObject({ ok: true, checked: 23 });
  });

  it("a transaction's records go in one append at its end, in order, chained to concurrent appends", async () => {
    const db = getDb();
    const before = await db.auditEvent.count();
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        Promise.all([
          transaction(db, async (tx) => {
            recordAudit(tx, { actor, action: "batch.first", subjectType: "batch", subjectId: `b${i}`, after: { step: 1, at: new Date(0) } });
            recordAudits(tx, [
              { actor, action: "batch.second", subjectType: "batch", subjectId: `b${i}`, before: { step: 1 }, after: { step: 2 } },
              { actor, action: "batch.third", subjectType: "batch", subjectId: `b${i}` },
            ]);
            // Deferred: not in the table until the transaction's last statement.
            expect(await tx.selectFrom("AuditEvent").select("seq").where("subjectId", "=", `b${i}`).execute()).toHaveLength(0);
          }),
          transaction(db, async (tx) => recordAudit(tx, { actor, action: "single", subjectType: "batch", subjectId: `s${i}` })),
        ]),
      ),
    );
    const rows = await db.auditEvent.findMany({ where: { subjectType: "batch" }, orderBy: { seq: "asc" } });
    expect(rows).toHaveLength(32);
    expect(await db.auditEvent.count()).toBe(before + 32);
    for (let i = 0; i < 8; i++) {
      const mine = rows.filter((r) => r.subjectId === `b${i}`);
      expect(mine.map((r) => r.action)).toEqual(["batch.first", "batch.second", "batch.third"]);
      // One append: consecutive in the chain.
      expect(mine[1].seq).toBe(mine[0].seq + 1n);
      expect(mine[2].seq).toBe(mine[1].seq + 1n);
      expect(mine[1].prevHash).toBe(mine[0].hash);
      expect(mine[0].after).toEqual({ step: 1, at: new Date(0).toISOString() });
      expect(mine[0].before).toBeNull();
    }
    expect(await verifyAuditChain(db, 5)).toMatchObject({ ok: true });
  });

  it("records history at the time it happened (createdAt and hash), in the order appended", async () => {
    const db = getDb();
    const earlier = new Date("2026-01-02T03:04:05.678Z");
    const later = new Date("2026-01-02T04:00:00.001Z");
    const started = Date.now();
    const entries = [
      { actor, action: "history.later", subjectType: "history", subjectId: "h", at: later },
      { actor, action: "history.now", subjectType: "history", subjectId: "h", after: { n: 1 } },
      { actor, action: "history.earlier", subjectType: "history", subjectId: "h", before: { n: 0 }, at: earlier },
    ];
    // Recorded together, and one by one (folded into one append at commit): the same records either way.
    const runners = [(tx: Tx) => recordAudits(tx, entries), (tx: Tx) => entries.forEach((e) => recordAudit(tx, e))];
    for (const run of runners) await transaction(db, async (tx) => run(tx));
    const rows = await db.auditEvent.findMany({ where: { subjectType: "history" }, orderBy: { seq: "asc" } });
    expect(rows.map((r) => r.action)).toEqual(["history.later", "history.now", "history.earlier", "history.later", "history.now", "history.earlier"]);
    const expectedAt = [later, null, earlier];
    rows.forEach((r, i) => {
      // Without `at`: the time of the append.
      const createdAt = expectedAt[i % 3] ?? r.createdAt;
      if (expectedAt[i % 3] === null) expect(r.createdAt.getTime()).toBeGreaterThanOrEqual(started - 1);
      expect(r.createdAt).toEqual(createdAt);
      const fields = {
        actorId: r.actorId,
        actorLabel: r.actorLabel,
        action: r.action,
        subjectType: r.subjectType,
        subjectId: r.subjectId,
        before: r.before ?? null,
        after: r.after ?? null,
      };
      expect(r.hash).toBe(auditHash(r.prevHash, { ...fields, createdAt }));
    });
    expect(await verifyAuditChain(db, 4)).toMatchObject({ ok: true });
  });

  it("a transaction that fails writes no audit record", async () => {
    const db = getDb();
    const before = await db.auditEvent.count();
    await expect(
      transaction(db, async (tx) => {
        recordAudit(tx, { actor, action: "doomed", subjectType: "thing", subjectId: "y" });
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await db.auditEvent.count()).toBe(before);
  });

  it("detects a modified row", async () => {
    const db = getDb();
    const rows = await db.auditEvent.findMany({ orderBy: { seq: "asc" } });
    // The database refuses the change (append-only trigger); a superuser goes around it.
    await asSuperuser((tx) =>
      tx
        .updateTable("AuditEvent")
        .set({ after: JSON.stringify({ n: 999 }) })
        .where("seq", "=", rows[1].seq.toString())
        .execute(),
    );
    const result = await verifyAuditChain(db);
    expect(result).toMatchObject({
      ok: false,
      brokenAtSeq: rows[1].seq,
      problem: "modified",
      record: { action: rows[1].action, subjectType: rows[1].subjectType, subjectId: rows[1].subjectId, createdAt: rows[1].createdAt.toISOString() },
    });
    // Start the next test from an empty log: wiping the records means wiping the head too.
    await wipeAuditLog();
  });

  it("detects a deleted row", async () => {
    await appendMany(4);
    const db = getDb();
    const rows = await db.auditEvent.findMany({ orderBy: { seq: "asc" } });
    await asSuperuser((tx) => tx.deleteFrom("AuditEvent").where("seq", "=", rows[2].seq.toString()).execute());
    const result = await verifyAuditChain(db);
    expect(result).toMatchObject({ ok: false, brokenAtSeq: rows[3].seq, problem: "missing-predecessor", record: { subjectId: rows[3].subjectId } });
  });

  it("detects records cut off the end of the chain", async () => {
    const db = getDb();
    await wipeAuditLog();
    await appendMany(3);
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true, checked: 3 });
    const rows = await db.auditEvent.findMany({ orderBy: { seq: "asc" } });
    await asSuperuser((tx) => tx.deleteFrom("AuditEvent").where("seq", "=", rows[2].seq.toString()).execute());
    expect(await verifyAuditChain(db)).toMatchObject({ ok: false, checked: 2, brokenAtSeq: rows[1].seq + 1n, problem: "truncated", record: null });
    await asSuperuser((tx) => tx.deleteFrom("AuditEvent").execute());
    expect(await verifyAuditChain(db)).toMatchObject({ ok: false, checked: 0, problem: "truncated" });
  });

  it("a chain begun before the head existed continues from its newest record", async () => {
    const db = getDb();
    await wipeAuditLog();
    await appendMany(2);
    // As the migration that introduced the head found an existing log: records, no head row. Run its own SQL.
    await asSuperuser((tx) => tx.deleteFrom("AuditHead").execute());
    const migration = readFileSync(path.join(__dirname, "../../prisma/migrations/20261201131012_audit_head/migration.sql"), "utf8");
    await sql.raw(migration.slice(migration.indexOf("INSERT INTO"))).execute(db.kysely);
    await appendMany(2);
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true, checked: 4 });
  });

  it("rolls back with the transaction it belongs to", async () => {
    const db = getDb();
    const before = await db.auditEvent.count();
    await expect(
      transaction(db, async (tx) => {
        recordAudit(tx, { actor, action: "doomed", subjectType: "thing", subjectId: "x" });
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await db.auditEvent.count()).toBe(before);
  });
});
