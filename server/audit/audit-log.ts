// Tamper-evident audit log: each record carries the hash of the previous one (a hash chain).
// Appends are serialised with a transaction-scoped advisory lock so concurrent writers cannot fork the chain.
import { createHash } from "node:crypto";
import { Prisma, type Db, type Tx } from "../db";

export const AUDIT_GENESIS_HASH = "0".repeat(64);
const AUDIT_LOCK_KEY = 0x41554454; // "AUDT"

export type Actor = { id: string | null; label: string };
export const systemActor = (name: string): Actor => ({ id: null, label: `system:${name}` });

export type AuditEntry = {
  actor: Actor;
  action: string;
  subjectType: string;
  subjectId: string;
  before?: unknown;
  after?: unknown;
};

type HashedFields = {
  actorId: string | null;
  actorLabel: string;
  action: string;
  subjectType: string;
  subjectId: string;
  before: unknown;
  after: unknown;
  createdAt: Date;
};

/** JSON with object keys sorted, so the hash does not depend on jsonb's key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`)
    .join(",")}}`;
}

export function auditHash(prevHash: string, f: HashedFields): string {
  const body = canonicalJson({
    actorId: f.actorId,
    actorLabel: f.actorLabel,
    action: f.action,
    subjectType: f.subjectType,
    subjectId: f.subjectId,
    before: f.before,
    after: f.after,
    createdAt: f.createdAt.toISOString(),
  });
  return createHash("sha256").update(prevHash).update("\n").update(body).digest("hex");
}

/** Plain JSON (dates as ISO strings, undefined dropped): what Postgres will hand back. */
const toJson = (v: unknown) => (v === undefined ? null : JSON.parse(JSON.stringify(v)));

/** Appends an audit record. Call inside the transaction that makes the change. */
export async function recordAudit(tx: Tx, entry: AuditEntry) {
  await recordAudits(tx, [entry]);
}

/**
 * Appends several audit records in one go (in the given order), taking the chain lock once. Transactions that
 * change several things collect their entries in a DeferredAudit and flush it as their last statement: the global
 * chain lock is then held only for the lock, the head read and one insert before the commit, not for the whole
 * transaction, which is what serialises concurrent writers.
 */
export async function recordAudits(tx: Tx, entries: readonly AuditEntry[]) {
  if (entries.length === 0) return;
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${AUDIT_LOCK_KEY})`;
  // Raw SQL on this path: it runs in every state change, and Prisma's per-query compile dominates these tiny statements.
  const last = await tx.$queryRaw<{ hash: string }[]>`SELECT hash FROM "AuditEvent" ORDER BY seq DESC LIMIT 1`;
  let prevHash = last[0]?.hash ?? AUDIT_GENESIS_HASH;
  const createdAt = new Date();
  const rows = entries.map((entry) => {
    const fields: HashedFields = {
      actorId: entry.actor.id,
      actorLabel: entry.actor.label,
      action: entry.action,
      subjectType: entry.subjectType,
      subjectId: entry.subjectId,
      before: toJson(entry.before),
      after: toJson(entry.after),
      createdAt,
    };
    const hash = auditHash(prevHash, fields);
    const json = (v: unknown) => (v === null ? null : JSON.stringify(v));
    // createdAt goes in as ISO text read in UTC (how Prisma stores DateTime), whatever the session's time zone.
    const row = Prisma.sql`(${fields.actorId}, ${fields.actorLabel}, ${fields.action}, ${fields.subjectType}, ${fields.subjectId},
      ${json(fields.before)}::jsonb, ${json(fields.after)}::jsonb, (${createdAt.toISOString()}::timestamptz AT TIME ZONE 'UTC'), ${prevHash}, ${hash})`;
    prevHash = hash;
    return row;
  });
  // One multi-row INSERT: rows get their seq in list order, so the chain order is the order of `entries`.
  await tx.$executeRaw`
    INSERT INTO "AuditEvent" ("actorId", "actorLabel", action, "subjectType", "subjectId", before, after, "createdAt", "prevHash", hash)
    VALUES ${Prisma.join(rows)}`;
}

/** Audit entries collected during a transaction, appended together by flush() at its end (see recordAudits). */
export class DeferredAudit {
  private readonly entries: AuditEntry[] = [];
  add(entry: AuditEntry) {
    this.entries.push(entry);
  }
  async flush(tx: Tx) {
    const entries = this.entries.splice(0);
    await recordAudits(tx, entries);
  }
}

export type AuditVerification =
  | { ok: true; checked: number; headHash: string }
  | { ok: false; checked: number; brokenAtSeq: bigint; problem: "modified" | "missing-predecessor" };

/** Walks the whole chain in order: a modified row breaks its own hash, a deleted row breaks the next link. */
export async function verifyAuditChain(db: Db | Tx, batchSize = 2000): Promise<AuditVerification> {
  let prevHash = AUDIT_GENESIS_HASH;
  let checked = 0;
  let after: bigint | undefined;
  for (;;) {
    const rows = await db.auditEvent.findMany({
      where: after === undefined ? {} : { seq: { gt: after } },
      orderBy: { seq: "asc" },
      take: batchSize,
    });
    for (const row of rows) {
      if (row.prevHash !== prevHash) return { ok: false, checked, brokenAtSeq: row.seq, problem: "missing-predecessor" };
      const expected = auditHash(prevHash, {
        actorId: row.actorId,
        actorLabel: row.actorLabel,
        action: row.action,
        subjectType: row.subjectType,
        subjectId: row.subjectId,
        before: row.before ?? null,
        after: row.after ?? null,
        createdAt: row.createdAt,
      });
      if (expected !== row.hash) return { ok: false, checked, brokenAtSeq: row.seq, problem: "modified" };
      prevHash = row.hash;
      checked++;
    }
    if (rows.length < batchSize) return { ok: true, checked, headHash: prevHash };
    after = rows[rows.length - 1].seq;
  }
}
