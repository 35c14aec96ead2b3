// Tampering with the audit log the way a database superuser could: the append-only triggers refuse UPDATE and
// DELETE on "AuditEvent"/"AuditCheckpoint" and anything but moving "AuditHead" forward; a superuser goes around
// them with `SET LOCAL session_replication_role = replica` for one transaction. Tests use this to prove that
// verification still detects what the guard could not stop.
import { getDb, sql, transaction, type Tx } from "../../server/db";

export async function asSuperuser<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
  return transaction(getDb(), async (tx) => {
    await sql`SET LOCAL session_replication_role = replica`.execute(tx);
    return fn(tx);
  });
}

/** Empties the audit log, its head and its checkpoints (so a test starts from a fresh chain). */
export function wipeAuditLog() {
  return asSuperuser(async (tx) => {
    await tx.deleteFrom("AuditEvent").execute();
    await tx.deleteFrom("AuditHead").execute();
    await tx.deleteFrom("AuditCheckpoint").execute();
    await tx.deleteFrom("AuditChainStatus").execute();
  });
}
