// Verifying the audit chain on a schedule and on demand. The workers run a check every
// PIER_AUDIT_VERIFY_INTERVAL_MS (a BullMQ job scheduler on the maintenance queue: one job per interval whatever
// the number of worker processes); it walks the chain from the newest signed checkpoint (cheap on a large chain),
// and all of it when the last full walk is older than PIER_AUDIT_FULL_VERIFY_INTERVAL_MS. Every check runs under a
// transaction-scoped advisory lock (a lease: a second check meanwhile skips, it does not queue up), records its
// result for the admin page, signs a checkpoint at the head it verified, and reports a break once as an
// `audit.chain_broken` event (critical) through the outbox, so notification routing delivers it like any event.
import { emitPierEvent } from "../bus/events";
import { sql, transaction, type Db } from "../db";
import { env } from "../env";
import { QUEUES, getReadyQueue } from "../platform/queues";
import { startPeriodic } from "../platform/periodic";
import { recordAudit, verifyChain, type Actor, type AuditVerification, type BrokenRecord, type ChainProblem } from "./audit-log";
import { writeCheckpoint } from "./checkpoints";

type ChainCheckMode = "incremental" | "full";

/** A check's result as stored and shown (JSON). */
type ChainReport = {
  mode: ChainCheckMode;
  verifiedAt: string;
  ok: boolean;
  checked: number;
  /** Where the walk started: after this checkpoint's seq (incremental), or the chain's start (null). */
  fromSeq: string | null;
  checkpoints: AuditVerification["checkpoints"];
  /** Signed at the end of a successful check: the head it verified. */
  checkpointSeq: string | null;
  break: { seq: string; problem: ChainProblem; detail: string; record: BrokenRecord | null } | null;
};

/** pg_try_advisory_xact_lock key of the chain check (any constant no other lock uses). */
const CHECK_LOCK = 7_401_011;

/**
 * Runs one check and records it. Returns null when another check holds the lease (it is running right now).
 * `actor`: an admin asking for it (recorded in the audit log); scheduled checks record nothing there, else every
 * check would lengthen the chain it checks.
 */
export async function checkAuditChain(db: Db, mode: ChainCheckMode, actor?: Actor): Promise<ChainReport | null> {
  return transaction(db, async (tx) => {
    const { rows } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_xact_lock(${CHECK_LOCK}) AS locked`.execute(tx);
    if (!rows[0]?.locked) return null;
    const previous = await tx.selectFrom("AuditChainStatus").select(["ok", "report"]).execute();
    const verifiedAt = new Date();
    const v = await verifyChain(tx, { incremental: mode === "incremental" });
    const head = v.ok ? v.head : null;
    const checkpointSeq = head && head.seq !== v.checkpoints.latest?.seq ? head.seq : null;
    if (head && checkpointSeq) writeCheckpoint(tx, head.seq, head.hash, verifiedAt);
    const report: ChainReport = {
      mode,
      verifiedAt: verifiedAt.toISOString(),
      ok: v.ok,
      checked: v.checked,
      fromSeq: v.fromSeq,
      checkpoints: v.checkpoints,
      checkpointSeq,
      break: v.ok ? null : { seq: v.brokenAtSeq.toString(), problem: v.problem, detail: v.detail, record: v.record },
    };
    const broken = report.break;
    // Report a break once: not again while the last result of either kind already shows it.
    const known = previous.some((p) => {
      const earlier = (p.report as ChainReport | null)?.break;
      return !p.ok && earlier?.seq === broken?.seq && earlier?.problem === broken?.problem;
    });
    if (broken && !known) {
      const where = broken.record ? ` (${broken.record.action} on ${broken.record.subjectType} ${broken.record.subjectId})` : "";
      emitPierEvent(tx, {
        type: "audit.chain_broken",
        severity: "critical",
        subject: {},
        actor,
        data: {
          summary: `The audit chain is broken at seq ${broken.seq}${where}: ${broken.problem}. ${broken.detail}`,
          url: "/admin/audit-chain",
          seq: broken.seq,
          problem: broken.problem,
          detail: broken.detail,
          mode,
          record: broken.record,
        },
      });
    }
    const status = { verifiedAt, ok: report.ok, checked: report.checked, report: JSON.stringify(report) };
    tx.deferred.write(
      tx
        .insertInto("AuditChainStatus")
        .values({ kind: mode, ...status })
        .onConflict((oc) => oc.column("kind").doUpdateSet(status)),
    );
    if (actor) {
      recordAudit(tx, {
        actor,
        action: "audit.chain_verified",
        subjectType: "audit_chain",
        subjectId: mode,
        after: { ok: report.ok, checked: report.checked, break: broken ? { seq: broken.seq, problem: broken.problem } : null },
      });
    }
    return report;
  });
}

/** The scheduled check: incremental, or full when the last full one is older than the full interval. */
export async function runScheduledChainCheck(db: Db, now = new Date()): Promise<ChainReport | null> {
  const full = await db.kysely.selectFrom("AuditChainStatus").select("verifiedAt").where("kind", "=", "full").executeTakeFirst();
  const due = !full || now.getTime() - full.verifiedAt.getTime() >= env().PIER_AUDIT_FULL_VERIFY_INTERVAL_MS;
  return checkAuditChain(db, due ? "full" : "incremental");
}

/** The latest result of each kind (null before the first). */
export async function chainStatus(db: Db): Promise<Record<ChainCheckMode, ChainReport | null>> {
  const rows = await db.kysely.selectFrom("AuditChainStatus").select(["kind", "report"]).execute();
  const of = (kind: ChainCheckMode) => (rows.find((r) => r.kind === kind)?.report as ChainReport | undefined) ?? null;
  return { incremental: of("incremental"), full: of("full") };
}

const SCHEDULER_ID = "audit-chain-check";

/**
 * Registers the job scheduler (idempotent: every worker process does it; BullMQ keeps one schedule). Retried until
 * Redis answers; returns the stop function.
 */
export function scheduleChainChecks(everyMs = env().PIER_AUDIT_VERIFY_INTERVAL_MS) {
  let scheduled = false;
  return startPeriodic("audit chain schedule", 30_000, async () => {
    if (scheduled) return;
    const queue = await getReadyQueue(QUEUES.maintenance);
    await queue.upsertJobScheduler(
      SCHEDULER_ID,
      { every: everyMs },
      { name: "audit.chain_check", opts: { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } } },
    );
    scheduled = true;
  });
}
