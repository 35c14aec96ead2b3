// Signed checkpoints of the audit chain: "the record at seq N had hash H at time T", signed with HMAC-SHA256 by
// PIER_AUDIT_CHECKPOINT_KEY, a key kept outside the database. Someone with write access to the database can
// recompute every hash of a rewritten chain, but cannot sign a checkpoint: the rewritten chain no longer passes
// through the checkpoints written before (verifyChain in audit-log.ts). Written by the scheduled verification
// (chain-check.ts) after a successful check; exported as JSON so a copy can be kept out of reach of the database.
import { createHmac, timingSafeEqual } from "node:crypto";
import { sql, type DB, type Kysely, type Tx } from "../db";
import { env } from "../env";

/**
 * Outside production the key may be unset (production refuses to start without it): then checkpoints are signed
 * with this well-known development key, which proves nothing, and the admin page says so. `npm run demo` keeps a
 * generated key in .pier/demo.env instead, so its checkpoints survive restarts.
 */
const DEVELOPMENT_KEY = "pier-development-audit-checkpoint-key-proves-nothing";

/** True when checkpoints are signed with the well-known development key (PIER_AUDIT_CHECKPOINT_KEY unset). */
export const usesDevelopmentKey = () => !env().PIER_AUDIT_CHECKPOINT_KEY;

/** The signed text: a version tag, then seq, head hash and time (ISO 8601, UTC), one per line. */
const checkpointMessage = (seq: string, hash: string, signedAt: Date) => `pier-audit-checkpoint/v1\n${seq}\n${hash}\n${signedAt.toISOString()}`;

/** HMAC-SHA256 (hex) of a checkpoint with the configured key. */
function signCheckpoint(seq: string, hash: string, signedAt: Date): string {
  return createHmac("sha256", env().PIER_AUDIT_CHECKPOINT_KEY ?? DEVELOPMENT_KEY)
    .update(checkpointMessage(seq, hash, signedAt))
    .digest("hex");
}

function signatureValid(c: { seq: string; hash: string; signedAt: Date; signature: string }): boolean {
  const expected = Buffer.from(signCheckpoint(c.seq, c.hash, c.signedAt), "hex");
  const given = Buffer.from(c.signature, "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * ok: signature valid and the chain passes through (seq, hash); bad-signature; record-changed: the record at seq
 * has another hash; record-missing: no record at seq though later ones exist; beyond-end: the chain ends before seq.
 */
type CheckpointState = "ok" | "bad-signature" | "record-changed" | "record-missing" | "beyond-end";

export type CheckedCheckpoint = { seq: string; hash: string; signedAt: Date; signature: string; currentHash: string | null; state: CheckpointState };

/** Every checkpoint, oldest first, with the hash the record at its seq has now and what that means. */
export async function checkCheckpoints(reader: Kysely<DB>): Promise<CheckedCheckpoint[]> {
  // One after the other: `reader` may be a transaction's single connection.
  const rows = await reader
    .selectFrom("AuditCheckpoint as c")
    .leftJoin("AuditEvent as e", "e.seq", "c.seq")
    .select(["c.seq", "c.hash", "c.signedAt", "c.signature", "e.hash as currentHash"])
    .orderBy("c.seq")
    .execute();
  const newest = await reader
    .selectFrom("AuditEvent")
    .select((eb) => eb.fn.max("seq").as("seq"))
    .executeTakeFirst();
  const lastSeq = newest?.seq == null ? 0n : BigInt(newest.seq);
  return rows.map((r) => {
    const state: CheckpointState = !signatureValid(r)
      ? "bad-signature"
      : r.currentHash === null
        ? BigInt(r.seq) > lastSeq
          ? "beyond-end"
          : "record-missing"
        : r.currentHash !== r.hash
          ? "record-changed"
          : "ok";
    return { ...r, state };
  });
}

/** Signs and stores a checkpoint at (seq, hash), with the transaction's commit; one per seq. */
export function writeCheckpoint(tx: Tx, seq: string, hash: string, signedAt: Date) {
  tx.deferred.write(
    tx
      .insertInto("AuditCheckpoint")
      .values({ seq, hash, signedAt, signature: signCheckpoint(seq, hash, signedAt) })
      .onConflict((oc) => oc.column("seq").doNothing()),
  );
}

/** The newest checkpoints, newest first (the admin page). */
export function recentCheckpoints(reader: Kysely<DB>, limit: number) {
  return reader.selectFrom("AuditCheckpoint").select(["seq", "hash", "signedAt", "signature"]).orderBy("seq", "desc").limit(limit).execute();
}

/**
 * Every checkpoint as a JSON document to keep outside the database (a ticket, an object store with retention): with
 * the key, anyone can re-check the signatures and compare the chain against it later, even if checkpoint rows were
 * removed from the database.
 */
export async function exportCheckpoints(reader: Kysely<DB>) {
  const rows = await reader.selectFrom("AuditCheckpoint").select(["seq", "hash", "signedAt", "signature"]).orderBy("seq").execute();
  const chain = await reader
    .selectFrom("AuditEvent")
    .select([sql<string>`count(*)::text`.as("records"), (eb) => eb.fn.max("seq").as("newestSeq")])
    .executeTakeFirst();
  return {
    kind: "pier-audit-checkpoints",
    version: 1,
    exportedAt: new Date().toISOString(),
    signature: {
      algorithm: "HMAC-SHA256",
      key: "PIER_AUDIT_CHECKPOINT_KEY",
      message: "pier-audit-checkpoint/v1\\n<seq>\\n<hash>\\n<signedAt>",
      developmentKey: usesDevelopmentKey(),
    },
    chain: { records: chain?.records ?? "0", newestSeq: chain?.newestSeq ?? null },
    checkpoints: rows.map((r) => ({ seq: r.seq, hash: r.hash, signedAt: r.signedAt.toISOString(), signature: r.signature })),
  };
}
