// Tamper-evident audit log: each record carries the hash of the previous one (a hash chain).
// Appends are serialised on the chain's head row (see recordAudits) so concurrent writers cannot fork the chain.
import { createHash } from "node:crypto";
import type { RawBuilder } from "kysely";
import { deferredStatement, sql, type Coalesced, type Db, type DB, type Kysely, type Tx } from "../db";
import { checkCheckpoints, type CheckedCheckpoint } from "./checkpoints";

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
 * lock. As a contended deferred write (transaction.ts), the append is the last statement before COMMIT and the lock
 * is released once the commit is logged, before it is flushed to disk: the next appender chains onto a commit that
 * WAL order makes durable before its own, so a crash leaves no gap, and the caller still hears of the commit only
 * once it is on disk. All of a transaction's records go in one append; none is readable before the commit.
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
  // Every audited commit waits for the head row: it goes last and the lock is released before the WAL flush.
  contended: true,
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
    // Each step of a chain takes its record's body from one array (audit_bodies): joining audit_input on n instead
    // scanned every record at every step, quadratic in the batch (1,000 records: 0.3 s per chain, three chains).
    const body = sql`audit_bodies.bodies[c.n + 1]`;
    const last = sql`c.n < ${entries.length}`;
    // The hash after every record, starting from `start` (a correlated value: the head's hash before this append).
    const finalHash = (start: RawBuilder<unknown>) => sql`(WITH RECURSIVE c (n, hash) AS (
        SELECT 0, ${start} UNION ALL SELECT c.n + 1, ${chained(sql`c.hash`, body)} FROM c, audit_bodies WHERE ${last})
      SELECT hash FROM c ORDER BY n DESC LIMIT 1)`;
    // createdAt goes in as ISO text read in UTC (how Prisma stores DateTime), whatever the session's time zone.
    return deferredStatement(sql`WITH RECURSIVE
      audit_input (n, body, actor_id, actor_label, action, subject_type, subject_id, before, after, created_at) AS (VALUES ${sql.join(rows)}),
      audit_bodies (bodies) AS (SELECT array_agg(body ORDER BY n) FROM audit_input),
      audit_head AS (
        INSERT INTO "AuditHead" (id, "prevHash", hash, "updatedAt") VALUES (1, ${AUDIT_GENESIS_HASH}::text, ${finalHash(sql`${AUDIT_GENESIS_HASH}::text`)}, now())
        ON CONFLICT (id) DO UPDATE SET "prevHash" = "AuditHead".hash, hash = ${finalHash(sql`"AuditHead".hash`)}, "updatedAt" = now()
        RETURNING "prevHash" AS h0),
      audit_chain (n, prev, hash) AS (
        SELECT 0, NULL::text, h0 FROM audit_head
        UNION ALL
        SELECT c.n + 1, c.hash, ${chained(sql`c.hash`, body)} FROM audit_chain c, audit_bodies WHERE ${last})
      INSERT INTO "AuditEvent" ("actorId", "actorLabel", action, "subjectType", "subjectId", before, after, "createdAt", "prevHash", hash)
      SELECT i.actor_id, i.actor_label, i.action, i.subject_type, i.subject_id, i.before, i.after,
             (i.created_at::timestamptz AT TIME ZONE 'UTC'), c.prev, c.hash
        FROM audit_input i JOIN audit_chain c ON c.n = i.n
       ORDER BY i.n`);
  },
};

/** How the chain breaks (README, "What the audit chain proves"). */
export type ChainProblem =
  // A record's content no longer matches its own hash.
  | "modified"
  // A record does not link to the one before it: a record was deleted (or a link rewritten).
  | "missing-predecessor"
  // The chain ends before the head or a signed checkpoint: the newest records were cut off.
  | "truncated"
  // The chain no longer passes through a signed checkpoint's (seq, hash): rewritten, even with valid hashes.
  | "checkpoint-mismatch"
  // A checkpoint's signature is not valid with the configured key: forged or altered.
  | "checkpoint-signature";

/** The record where the chain breaks, as people read it (JSON-safe). */
export type BrokenRecord = { action: string; subjectType: string; subjectId: string; actorLabel: string; createdAt: string };

type CheckpointSummary = { total: number; bad: number; latest: { seq: string; signedAt: string } | null };

export type AuditVerification =
  | { ok: true; checked: number; headHash: string; head: { seq: string; hash: string } | null; fromSeq: string | null; checkpoints: CheckpointSummary }
  | {
      ok: false;
      checked: number;
      brokenAtSeq: bigint;
      problem: ChainProblem;
      detail: string;
      record: BrokenRecord | null;
      fromSeq: string | null;
      checkpoints: CheckpointSummary;
    };

type Break = { seq: bigint; problem: ChainProblem; detail: string; record: BrokenRecord | null };

const brokenRecord = (row: { action: string; subjectType: string; subjectId: string; actorLabel: string; createdAt: Date }): BrokenRecord => ({
  action: row.action,
  subjectType: row.subjectType,
  subjectId: row.subjectId,
  actorLabel: row.actorLabel,
  createdAt: row.createdAt.toISOString(),
});

const DETAIL: Record<"modified" | "missing-predecessor" | "truncated", string> = {
  modified: "The record's content no longer matches its hash: it was changed after it was appended.",
  "missing-predecessor": "The record does not link to the record before it: a record before it was deleted, or this one was altered.",
  truncated: "The chain ends before its head: the newest records were cut off.",
};

/**
 * Walks the whole chain in order (see verifyChain). Kept for the evidence export and the tests: the whole chain,
 * outside a transaction.
 */
export function verifyAuditChain(db: Db, batchSize = 2000): Promise<AuditVerification> {
  return verifyChain(db.kysely, { batchSize });
}

/**
 * Verifies the chain. A modified row breaks its own hash, a deleted row breaks the next link, and records cut off the
 * end leave the head pointing at a hash the walk never reaches ("truncated", reported at the seq after the last
 * record found). Then the signed checkpoints (checkpoints.ts): each must carry a valid signature and the chain must
 * still pass through its (seq, hash), so a chain recomputed with valid hashes after a change is detected at the
 * first checkpoint after the change. The first break by seq is reported. The head is read first: records appended
 * during the walk come after it.
 *
 * `incremental`: walk only from the newest good checkpoint (verified when it was written); the checkpoints
 * themselves are still all checked, which catches any rewrite that reached one of them.
 */
export async function verifyChain(reader: Kysely<DB>, opts: { batchSize?: number; incremental?: boolean } = {}): Promise<AuditVerification> {
  const batchSize = opts.batchSize ?? 2000;
  const head = await reader.selectFrom("AuditHead").select("hash").where("id", "=", 1).executeTakeFirst();
  const checkpoints = await checkCheckpoints(reader);
  const summary: CheckpointSummary = {
    total: checkpoints.length,
    bad: checkpoints.filter((c) => c.state !== "ok").length,
    latest: checkpoints.length ? { seq: checkpoints[checkpoints.length - 1].seq, signedAt: checkpoints[checkpoints.length - 1].signedAt.toISOString() } : null,
  };
  const from = opts.incremental ? [...checkpoints].reverse().find((c) => c.state === "ok") : undefined;
  const breaks: Break[] = [];
  const badCheckpoint = checkpoints.find((c) => c.state !== "ok");
  if (badCheckpoint) breaks.push(await checkpointBreak(reader, badCheckpoint));

  let prevHash = from?.hash ?? AUDIT_GENESIS_HASH;
  let reachedHead = !head || head.hash === AUDIT_GENESIS_HASH || head.hash === prevHash;
  let headSeq = head && from && head.hash === from.hash ? from.seq : null;
  let checked = 0;
  let after: bigint | undefined = from ? BigInt(from.seq) : undefined;
  walk: for (;;) {
    let query = reader.selectFrom("AuditEvent").selectAll().orderBy("seq").limit(batchSize);
    if (after !== undefined) query = query.where("seq", ">", after.toString());
    const rows = await query.execute();
    for (const row of rows) {
      const seq = BigInt(row.seq);
      if (row.prevHash !== prevHash) {
        breaks.push({ seq, problem: "missing-predecessor", detail: DETAIL["missing-predecessor"], record: brokenRecord(row) });
        break walk;
      }
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
      if (expected !== row.hash) {
        breaks.push({ seq, problem: "modified", detail: DETAIL.modified, record: brokenRecord(row) });
        break walk;
      }
      prevHash = row.hash;
      if (!reachedHead && row.hash === head?.hash) {
        reachedHead = true;
        headSeq = row.seq;
      }
      checked++;
    }
    const last = rows.at(-1);
    if (rows.length === batchSize && last) {
      after = BigInt(last.seq);
      continue;
    }
    if (!reachedHead) breaks.push({ seq: (last ? BigInt(last.seq) : (after ?? 0n)) + 1n, problem: "truncated", detail: DETAIL.truncated, record: null });
    break;
  }
  const fromSeq = from?.seq ?? null;
  const first = breaks.sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0))[0];
  if (first)
    return { ok: false, checked, brokenAtSeq: first.seq, problem: first.problem, detail: first.detail, record: first.record, fromSeq, checkpoints: summary };
  return { ok: true, checked, headHash: prevHash, head: head && headSeq ? { seq: headSeq, hash: head.hash } : null, fromSeq, checkpoints: summary };
}

/** What a checkpoint that fails says about the chain. */
async function checkpointBreak(reader: Kysely<DB>, c: CheckedCheckpoint): Promise<Break> {
  const row = await reader
    .selectFrom("AuditEvent")
    .select(["action", "subjectType", "subjectId", "actorLabel", "createdAt"])
    .where("seq", "=", c.seq)
    .executeTakeFirst();
  const record = row ? brokenRecord(row) : null;
  const signed = `signed ${c.signedAt.toISOString()}`;
  switch (c.state) {
    case "bad-signature":
      return {
        seq: BigInt(c.seq),
        problem: "checkpoint-signature",
        detail: `The checkpoint at this seq (${signed}) has no valid signature: it was forged or altered in the database, or signed with another key.`,
        record,
      };
    case "beyond-end":
      return {
        seq: BigInt(c.seq),
        problem: "truncated",
        detail: `A checkpoint ${signed} vouches for a record at this seq, but the chain now ends before it: records were cut off.`,
        record: null,
      };
    default:
      return {
        seq: BigInt(c.seq),
        problem: "checkpoint-mismatch",
        detail:
          c.state === "record-missing"
            ? `The checkpoint ${signed} vouches for a record at this seq that no longer exists: the chain was rewritten up to here.`
            : `The record at this seq no longer has the hash the checkpoint ${signed} vouches for (${c.hash.slice(0, 12)}…, now ${c.currentHash?.slice(0, 12)}…): records up to here were rewritten, hashes recomputed.`,
        record,
      };
  }
}
