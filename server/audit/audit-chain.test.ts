// The audit chain's defences: the database refuses rewrites (triggers), signed checkpoints catch a chain rewritten
// with valid hashes, scheduled checks report a break once through the outbox, and only admins see or run them.
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getDb, sql, transaction } from "../db";
import { resetEnvForTests } from "../env";
import { NOTIFICATION_SUBSCRIBER } from "../notifications/subscriber";
import { routeEvent } from "../notifications/routing";
import { SUBSCRIBERS } from "../subscriptions";
import type { PierEventShape } from "../bus/events";
import { asSuperuser, wipeAuditLog } from "../../test/support/audit-tampering";
import { callerFor, callerWithRole } from "../../test/support/factories";
import { makeChannel, makeRoute } from "../../test/support/notification-fixtures";
import { auditHash, recordAudit, verifyAuditChain, verifyChain } from "./audit-log";
import { checkAuditChain, runScheduledChainCheck } from "./chain-check";
import { exportCheckpoints } from "./checkpoints";

const KEY = "test-checkpoint-key-0123456789abcdef0123456789";
const actor = { id: null, label: "test" };
const saved = process.env.PIER_AUDIT_CHECKPOINT_KEY;

beforeAll(() => {
  process.env.PIER_AUDIT_CHECKPOINT_KEY = KEY;
  resetEnvForTests();
});
afterAll(() => {
  if (saved === undefined) delete process.env.PIER_AUDIT_CHECKPOINT_KEY;
  else process.env.PIER_AUDIT_CHECKPOINT_KEY = saved;
  resetEnvForTests();
});
beforeEach(() => wipeAuditLog());

async function append(n: number, prefix = "t") {
  for (let i = 0; i < n; i++) {
    await transaction(getDb(), async (tx) =>
      recordAudit(tx, { actor, action: "thing.changed", subjectType: "thing", subjectId: `${prefix}${i}`, after: { n: i } }),
    );
  }
}

const rowsInOrder = () => getDb().kysely.selectFrom("AuditEvent").selectAll().orderBy("seq").execute();
const brokenEvents = () => getDb().kysely.selectFrom("OutboxEvent").selectAll().where("type", "=", "audit.chain_broken").execute();

/**
 * What an attacker with database write access (and no checkpoint key) does: change a record, then recompute every
 * hash after it and move the head, so that the hash chain itself is valid again.
 */
async function rewriteWithValidHashes(seq: string, after: unknown) {
  await asSuperuser(async (tx) => {
    const rows = await tx.selectFrom("AuditEvent").selectAll().orderBy("seq").execute();
    let prev = "0".repeat(64);
    let beforeLast = prev;
    for (const row of rows) {
      const changed = row.seq === seq;
      const fields = {
        actorId: row.actorId,
        actorLabel: row.actorLabel,
        action: row.action,
        subjectType: row.subjectType,
        subjectId: row.subjectId,
        before: row.before ?? null,
        after: changed ? after : (row.after ?? null),
        createdAt: row.createdAt,
      };
      const hash = auditHash(prev, fields);
      await tx
        .updateTable("AuditEvent")
        .set({ prevHash: prev, hash, ...(changed ? { after: JSON.stringify(after) } : {}) })
        .where("seq", "=", row.seq)
        .execute();
      beforeLast = prev;
      prev = hash;
    }
    await tx.updateTable("AuditHead").set({ hash: prev, prevHash: beforeLast }).execute();
  });
}

describe("the database guard", () => {
  it("refuses UPDATE, DELETE and TRUNCATE of audit records and checkpoints; appending still works", async () => {
    await append(3);
    await checkAuditChain(getDb(), "full");
    const db = getDb().kysely;
    const [first] = await rowsInOrder();
    await expect(db.updateTable("AuditEvent").set({ actorLabel: "mallory" }).where("seq", "=", first.seq).execute()).rejects.toThrow(
      /UPDATE on "AuditEvent" refused: the audit log is append-only/,
    );
    await expect(db.deleteFrom("AuditEvent").where("seq", "=", first.seq).execute()).rejects.toThrow(/DELETE on "AuditEvent" refused/);
    await expect(sql`TRUNCATE "AuditEvent"`.execute(db)).rejects.toThrow(/TRUNCATE on "AuditEvent" refused/);
    await expect(db.updateTable("AuditCheckpoint").set({ hash: "x" }).execute()).rejects.toThrow(/UPDATE on "AuditCheckpoint" refused/);
    await expect(db.deleteFrom("AuditCheckpoint").execute()).rejects.toThrow(/DELETE on "AuditCheckpoint" refused/);
    // Nothing changed, and the append statement (an upsert on the head) still goes through.
    expect((await rowsInOrder())[0]).toEqual(first);
    await append(2, "u");
    expect(await verifyAuditChain(getDb())).toMatchObject({ ok: true, checked: 5 });
  });

  it("lets the head only move forward, to a record that was appended", async () => {
    await append(2);
    const db = getDb().kysely;
    const head = await db.selectFrom("AuditHead").selectAll().executeTakeFirstOrThrow();
    const rows = await rowsInOrder();
    // Back to an earlier record (hiding the newest), sideways, or away: refused.
    await expect(db.updateTable("AuditHead").set({ hash: rows[0].hash, prevHash: rows[0].prevHash }).execute()).rejects.toThrow(
      /UPDATE on "AuditHead" refused: the chain head only moves forward/,
    );
    await expect(
      db
        .updateTable("AuditHead")
        .set({ hash: "f".repeat(64), prevHash: head.hash })
        .execute(),
    ).rejects.toThrow(/must name an appended record/);
    await expect(db.deleteFrom("AuditHead").execute()).rejects.toThrow(/DELETE on "AuditHead" refused/);
    await expect(sql`TRUNCATE "AuditHead"`.execute(db)).rejects.toThrow(/TRUNCATE on "AuditHead" refused/);
    expect(await db.selectFrom("AuditHead").selectAll().executeTakeFirstOrThrow()).toEqual(head);
  });
});

describe("signed checkpoints", () => {
  it("catch a chain recomputed with valid hashes after a change", async () => {
    await append(4);
    const first = await checkAuditChain(getDb(), "full");
    expect(first).toMatchObject({ ok: true, checked: 4, checkpointSeq: expect.any(String) });
    await append(3, "later");
    const rows = await rowsInOrder();
    await rewriteWithValidHashes(rows[1].seq, { n: 999 });
    // Every link and every record's hash is valid again: without checkpoints the rewrite would pass.
    const rewritten = await rowsInOrder();
    rewritten.forEach((r, i) => {
      expect(r.prevHash).toBe(i === 0 ? "0".repeat(64) : rewritten[i - 1].hash);
      expect(r.hash).toBe(auditHash(r.prevHash, { ...r, before: r.before ?? null, after: r.after ?? null, actorId: r.actorId, createdAt: r.createdAt }));
    });
    // The checkpoint signed at seq 4 names the hash the record had then.
    const result = await verifyAuditChain(getDb());
    expect(result).toMatchObject({
      ok: false,
      brokenAtSeq: BigInt(first!.checkpointSeq!),
      problem: "checkpoint-mismatch",
      record: { action: "thing.changed", subjectId: "t3" },
    });
    // The cheap incremental check finds it too (it checks every checkpoint's position).
    expect(await verifyChain(getDb().kysely, { incremental: true })).toMatchObject({ ok: false, problem: "checkpoint-mismatch" });
  });

  it("refuse a checkpoint not signed with the key (forged, or signed with another key)", async () => {
    await append(3);
    const rows = await rowsInOrder();
    // INSERT is allowed (it is how checkpoints are written): a forged one is caught by its signature.
    await getDb()
      .kysely.insertInto("AuditCheckpoint")
      .values({ seq: rows[1].seq, hash: rows[1].hash, signedAt: new Date(), signature: "ab".repeat(32) })
      .execute();
    expect(await verifyAuditChain(getDb())).toMatchObject({ ok: false, brokenAtSeq: BigInt(rows[1].seq), problem: "checkpoint-signature" });

    await wipeAuditLog();
    await append(2);
    expect(await checkAuditChain(getDb(), "full")).toMatchObject({ ok: true });
    process.env.PIER_AUDIT_CHECKPOINT_KEY = "another-key-".repeat(4);
    resetEnvForTests();
    try {
      expect(await verifyAuditChain(getDb())).toMatchObject({ ok: false, problem: "checkpoint-signature" });
    } finally {
      process.env.PIER_AUDIT_CHECKPOINT_KEY = KEY;
      resetEnvForTests();
    }
    expect(await verifyAuditChain(getDb())).toMatchObject({ ok: true, checked: 2 });
  });

  it("catch records cut off after a checkpoint even when the head was moved back", async () => {
    await append(3);
    const { checkpointSeq } = (await checkAuditChain(getDb(), "full"))!;
    const rows = await rowsInOrder();
    await asSuperuser(async (tx) => {
      await tx.deleteFrom("AuditEvent").where("seq", "=", rows[2].seq).execute();
      await tx.updateTable("AuditHead").set({ hash: rows[1].hash, prevHash: rows[0].hash }).execute();
    });
    expect(await verifyAuditChain(getDb())).toMatchObject({ ok: false, brokenAtSeq: BigInt(checkpointSeq!), problem: "truncated" });
  });

  it("export as JSON whose signatures check out with the key", async () => {
    await append(2);
    await checkAuditChain(getDb(), "full");
    await append(1, "x");
    await checkAuditChain(getDb(), "incremental");
    const doc = await exportCheckpoints(getDb().kysely);
    expect(doc).toMatchObject({ kind: "pier-audit-checkpoints", chain: { records: "3" }, signature: { algorithm: "HMAC-SHA256", developmentKey: false } });
    expect(doc.checkpoints).toHaveLength(2);
    const rows = await rowsInOrder();
    for (const c of doc.checkpoints) {
      expect(c.hash).toBe(rows.find((r) => r.seq === c.seq)?.hash);
      const mac = createHmac("sha256", KEY).update(`pier-audit-checkpoint/v1\n${c.seq}\n${c.hash}\n${c.signedAt}`).digest("hex");
      expect(c.signature).toBe(mac);
    }
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });
});

describe("scheduled verification", () => {
  it("walks only what is new since the last checkpoint, and all of it when a full check is due", async () => {
    await append(5);
    const first = await runScheduledChainCheck(getDb());
    expect(first).toMatchObject({ mode: "full", ok: true, checked: 5, fromSeq: null });
    await append(2, "n");
    const second = await runScheduledChainCheck(getDb());
    expect(second).toMatchObject({ mode: "incremental", ok: true, checked: 2, fromSeq: first!.checkpointSeq });
    // A day later the full walk is due again.
    const later = await runScheduledChainCheck(getDb(), new Date(Date.now() + 2 * 86_400_000));
    expect(later).toMatchObject({ mode: "full", ok: true, checked: 7 });
  });

  it("reports a break once, as a critical audit.chain_broken event that notification routing delivers", async () => {
    await append(3);
    await runScheduledChainCheck(getDb());
    await append(2, "n");
    const rows = await rowsInOrder();
    await asSuperuser((tx) => tx.updateTable("AuditEvent").set({ subjectId: "someone-else" }).where("seq", "=", rows[3].seq).execute());
    const report = await runScheduledChainCheck(getDb());
    expect(report).toMatchObject({ mode: "incremental", ok: false, checkpointSeq: null, break: { seq: rows[3].seq, problem: "modified" } });
    const events = await brokenEvents();
    expect(events).toHaveLength(1);
    const payload = events[0].payload as unknown as PierEventShape;
    expect(payload).toMatchObject({
      type: "audit.chain_broken",
      severity: "critical",
      labels: { type: "audit.chain_broken", severity: "critical" },
      data: { seq: rows[3].seq, problem: "modified", url: "/admin/audit-chain", record: { subjectId: "someone-else", action: "thing.changed" } },
    });
    // Not again while it stays broken the same way.
    expect(await runScheduledChainCheck(getDb())).toMatchObject({ ok: false });
    expect(await brokenEvents()).toHaveLength(1);

    // The notification subscriber takes it, and a route on severity delivers it.
    expect(SUBSCRIBERS.find((s) => s.name === NOTIFICATION_SUBSCRIBER)?.types.has("audit.chain_broken")).toBe(true);
    await getDb().notificationRoute.deleteMany();
    const channel = await makeChannel("webhook", { url: "https://hooks.example.test/pier", signingSecret: "signing-secret-123456", headers: {} });
    await makeRoute({ name: "critical", matchers: [{ label: "severity", op: "=", value: "critical" }], channelIds: [channel.id] });
    const routed = await transaction(getDb(), (tx) => routeEvent(tx, { ...payload, id: events[0].id } as Parameters<typeof routeEvent>[1], new Date()));
    expect(routed).toHaveLength(1);
    expect(await getDb().delivery.count({ where: { eventId: events[0].id, channelId: channel.id } })).toBe(1);
  });

  it("holds a lease: a check while another runs skips instead of running twice", async () => {
    await append(1);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const holder = transaction(getDb(), async (tx) => {
      await sql`SELECT pg_advisory_xact_lock(7401011)`.execute(tx);
      locked();
      await held;
    });
    await isLocked;
    expect(await runScheduledChainCheck(getDb())).toBeNull();
    release();
    await holder;
    expect(await runScheduledChainCheck(getDb())).toMatchObject({ ok: true });
  });
});

describe("audit chain API", () => {
  it("is for admins only", async () => {
    const reported = (await brokenEvents()).length;
    for (const role of ["developer", "approver"] as const) {
      const { caller } = await callerWithRole(role);
      await expect(caller.audit.chainStatus()).rejects.toMatchObject({ code: "FORBIDDEN" });
      await expect(caller.audit.verifyChain({ mode: "full" })).rejects.toMatchObject({ code: "FORBIDDEN" });
      await expect(caller.audit.exportCheckpoints()).rejects.toMatchObject({ code: "FORBIDDEN" });
    }
    const anonymous = await callerFor(null);
    await expect(anonymous.audit.chainStatus()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(anonymous.audit.verifyChain({ mode: "full" })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(anonymous.audit.exportCheckpoints()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    expect(await brokenEvents()).toHaveLength(reported);
    expect(await getDb().kysely.selectFrom("AuditChainStatus").selectAll().execute()).toHaveLength(0);
  });

  it("verifies on demand, says where and how the chain breaks, and records who asked", async () => {
    const { caller, user } = await callerWithRole("admin");
    await append(3);
    const ok = await caller.audit.verifyChain({ mode: "full" });
    expect(ok).toMatchObject({ mode: "full", ok: true, checked: 3, break: null });
    const status = await caller.audit.chainStatus();
    expect(status).toMatchObject({ full: { ok: true }, developmentKey: false, checkpoints: [{ seq: ok.checkpointSeq }] });
    expect(await getDb().auditEvent.count({ where: { action: "audit.chain_verified", actorId: user.id } })).toBe(1);

    const rows = await rowsInOrder();
    await asSuperuser((tx) => tx.deleteFrom("AuditEvent").where("seq", "=", rows[1].seq).execute());
    const broken = await caller.audit.verifyChain({ mode: "full" });
    expect(broken).toMatchObject({
      ok: false,
      break: {
        seq: rows[2].seq,
        problem: "missing-predecessor",
        record: { action: "thing.changed", subjectId: "t2", createdAt: rows[2].createdAt.toISOString() },
      },
    });
    expect((await caller.audit.chainStatus()).full).toMatchObject({ ok: false, break: { seq: rows[2].seq } });
    await expect(caller.audit.verifyChain({ mode: "sideways" as "full" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    expect((await caller.audit.exportCheckpoints()).checkpoints).toHaveLength(1);
  });
});
