// Tamper-evident audit log: each record carries the hash of the previous one (a hash chain).
// Appends are serialised on the chain's head row (see recordAudits) so concurrent writers cannot fork the chain.
import { createHash } from "node:crypto";
import type { RawBuilder } from "kysely";
import { deferredStatement, sql, type Coalesced, type Db, type Tx } from "../db";

const AUDIT_GENESIS_HASH = "0".repeat(64);

export type Actor = { id: string | null; label: string };
export const systemActor = (name: string): Actor => ({ id: null, label: `system:${name}` });

export type AuditEntry = {
  actor: Actor;
  action: string;
  subjectType: string;
  subjectId: string;
  before?: unknown;
  after?: unknown;
  /** When it happened, if earlier than now: only for recording history (seed/import); the chain order is still the order of appending. */
  at?: Date;
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

/** The canonical text of a record's hashed fields. */
function hashedBody(f: HashedFields): string {
  return canonicalJson({
    actorId: f.actorId,
    actorLabel: f.actorLabel,
    action: f.action,
    subjectType: f.subjectType,
    subjectId: f.subjectId,
    before: f.before,
    after: f.after,
    createdAt: f.createdAt.toISOString(),
  });
}

export function auditHash(prevHash: string, f: HashedFields): string {
  return createHash("sha256").update(prevHash).update("\n").update(hashedBody(f)).digest("hex");
}

/** Plain JSON (dates as ISO strings, undefined dropped): what Postgres will hand back. */
const toJson = (v: unknown) => (v === undefined ? null : JSON.parse(JSON.stringify(v)));

/** Appends an audit record, with the transaction's commit (a deferred write: see recordAudits). */
export function recordAudit(tx: Tx, entry: AuditEntry) {
  recordAudits(tx, [entry]);
}

/**
 * Appends several audit records (in the given order) with the transaction's commit. The chain's head is one row
 * ("AuditHead"), updated by the same statement that inserts the records: that statement waits for the previous
 * appender's row lock, then works on the head as that appender committed it (an upsert always sees the newest
 * version), computes the hashes in SQL and inserts the records. Appends are thus serialised by the head row's
 * lock, which, as a deferred write sent with COMMIT, is held only while Postgres runs that final message. All of a
 * transaction's records go in one append; none is readable before the commit.
 */
export function recordAudits(tx: Tx, entries: readonly AuditEntry[]) {
  if (entries.length > 0) tx.deferred.coalesce(AUDIT_APPEND, "chain", [...entries]);
}

/** sha256(prev || "\n" || body) as hex, in SQL: the same bytes auditHash() hashes. */
const chained = (prev: RawBuilder<unknown>, body: RawBuilder<unknown>) => sql`encode(sha256(convert_to(${prev} || chr(10) || ${body}, 'UTF8')), 'hex')`;

/**
 * The append statement. Written with the `sql` tag: a data-modifying WITH RECURSIVE whose upsert computes the
 * head from a correlated recursive subquery is beyond Kysely's builder. It returns no rows.
 */
const AUDIT_APPEND: Coalesced<AuditEntry[]> = {
  merge: (earlier, later) => [...earlier, ...later],
  write(entries) {
    const appendedAt = new Date();
    const json = (v: unknown) => (v === null ? null : JSON.stringify(v));
    const rows = entries.map((entry, i) => {
      const fields: HashedFields = {
        actorId: entry.actor.id,
        actorLabel: entry.actor.label,
        action: entry.action,
        subjectType: entry.subjectType,
        subjectId: entry.subjectId,
        before: toJson(entry.before),
        after: toJson(entry.after),
        createdAt: entry.at ?? appendedAt,
      };
      return sql`(${i + 1}::int, ${hashedBody(fields)}::text, ${fields.actorId}::text, ${fields.actorLabel}::text, ${fields.action}::text,
        ${fields.subjectType}::text, ${fields.subjectId}::text, ${json(fields.before)}::jsonb, ${json(fields.after)}::jsonb, ${fields.createdAt.toISOString()}::text)`;
    });
    // The hash after every record, starting from `start` (a correlated value: the head's hash before this append).
    const finalHash = (start: RawBuilder<unknown>) => sql`(WITH RECURSIVE c (n, hash) AS (
        SELECT 0, ${start} UNION ALL SELECT c.n + 1, ${chained(sql`c.hash`, sql`i.body`)} FROM c JOIN audit_input i ON i.n = c.n + 1)
      SELECT hash FROM c ORDER BY n DESC LIMIT 1)`;
    // createdAt goes in as ISO text read in UTC (how Prisma stores DateTime), whatever the session's time zone.
    return deferredStatement(sql`WITH RECURSIVE
      audit_input (n, body, actor_id, actor_label, action, subject_type, subject_id, before, after, created_at) AS (VALUES ${sql.join(rows)}),
      audit_head AS (
        INSERT INTO "AuditHead" (id, "prevHash", hash, "updatedAt") VALUES (1, ${AUDIT_GENESIS_HASH}::text, ${finalHash(sql`${AUDIT_GENESIS_HASH}::text`)}, now())
        ON CONFLICT (id) DO UPDATE SET "prevHash" = "AuditHead".hash, hash = ${finalHash(sql`"AuditHead".hash`)}, "updatedAt" = now()
        RETURNING "prevHash" AS h0),
      audit_chain (n, prev, hash) AS (
        SELECT 0, NULL::text, h0 FROM audit_head
        UNION ALL
        SELECT c.n + 1, c.hash, ${chained(sql`c.hash`, sql`i.body`)} FROM audit_chain c JOIN audit_input i ON i.n = c.n + 1)
      INSERT INTO "AuditEvent" ("actorId", "actorLabel", action, "subjectType", "subjectId", before, after, "createdAt", "prevHash", hash)
      SELECT i.actor_id, i.actor_label, i.action, i.subject_type, i.subject_id, i.before, i.after,
             (i.created_at::timestamptz AT TIME ZONE 'UTC'), c.prev, c.hash
        FROM audit_input i JOIN audit_chain c ON c.n = i.n
       ORDER BY i.n`);
  },
};

export type AuditVerification =
  | { ok: true; checked: number; headHash: string }
  | { ok: false; checked: number; brokenAtSeq: bigint; problem: "modified" | "missing-predecessor" | "truncated" };

/**
 * Walks the whole chain in order: a modified row breaks its own hash, a deleted row breaks the next link, and
 * records cut off the end leave the head pointing at a hash the walk never reaches ("truncated", reported at the
 * seq after the last record found). The head is read first: records appended during the walk come after it.
 */
export async function verifyAuditChain(db: Db, batchSize = 2000): Promise<AuditVerification> {
  const head = await db.kysely.selectFrom("AuditHead").select("hash").where("id", "=", 1).executeTakeFirst();
  let prevHash = AUDIT_GENESIS_HASH;
  let reachedHead = !head || head.hash === AUDIT_GENESIS_HASH;
  let checked = 0;
  let after: bigint | undefined;
  for (;;) {
    let query = db.kysely.selectFrom("AuditEvent").selectAll().orderBy("seq").limit(batchSize);
    if (after !== undefined) query = query.where("seq", ">", after.toString());
    const rows = await query.execute();
    for (const row of rows) {
      const seq = BigInt(row.seq);
      if (row.prevHash !== prevHash) return { ok: false, checked, brokenAtSeq: seq, problem: "missing-predecessor" };
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
      if (expected !== row.hash) return { ok: false, checked, brokenAtSeq: seq, problem: "modified" };
      prevHash = row.hash;
      reachedHead ||= row.hash === head?.hash;
      checked++;
    }
    const last = rows.at(-1);
    if (rows.length === batchSize && last) {
      after = BigInt(last.seq);
      continue;
    }
    if (!reachedHead) return { ok: false, checked, brokenAtSeq: (last ? BigInt(last.seq) : (after ?? 0n)) + 1n, problem: "truncated" };
    return { ok: true, checked, headHash: prevHash };
  }
}
