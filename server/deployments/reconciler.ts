// Stalled-run reconciler: a request stuck in `deploying` because its worker died (no heartbeat) is retried up to
// maxAttempts, then failed; runs handed to an outside system that never reported back are failed after a timeout.
// A retried run keeps its target's turn (target-queue.ts starts re-queued runs before ones that never started); a
// failed one frees the target for the next queued request in the same transaction (finishRunInTx).
import { anyOf, transaction, type Db } from "../db";
import { systemActor } from "../audit/audit-log";
import { logger } from "../logger";
import { EXECUTORS } from "./executors/registry";
import { appendLog } from "./deployment-log";
import { finishRunInTx } from "./execution";
import { enqueueExecution } from "./scheduling";
import { transition } from "./state-machine";

export type ReconcileOptions = { now?: Date; staleAfterMs?: number; externalTimeoutMs?: number; maxAttempts?: number };
export type ReconcileResult = { retried: string[]; failed: string[] };

const actor = systemActor("reconciler");

export async function reconcileStalledRuns(db: Db, opts: ReconcileOptions = {}): Promise<ReconcileResult> {
  const now = opts.now ?? new Date();
  const staleBefore = new Date(now.getTime() - (opts.staleAfterMs ?? 90_000));
  const externalBefore = new Date(now.getTime() - (opts.externalTimeoutMs ?? 60 * 60_000));
  const maxAttempts = opts.maxAttempts ?? 3;
  const workerDriven = Object.values(EXECUTORS)
    .filter((e) => e.workerDriven)
    .map((e) => e.kind);
  const candidates = await db.kysely
    .selectFrom("DeploymentRequest")
    .select("id")
    .where("status", "=", "deploying")
    .where((eb) => {
      const silentSince = (before: Date) => eb.or([eb("heartbeatAt", "is", null), eb("heartbeatAt", "<", before)]);
      const workerRun = eb("executor", "=", anyOf(workerDriven));
      return eb.or([eb.and([workerRun, silentSince(staleBefore)]), eb.and([eb.not(workerRun), silentSince(externalBefore)])]);
    })
    .limit(200)
    .execute();
  const result: ReconcileResult = { retried: [], failed: [] };
  for (const { id } of candidates) {
    try {
      const outcome = await transaction(db, async (tx) => {
        // Re-read under the lock: the worker may have finished or beaten in the meantime.
        const r = await tx
          .selectFrom("DeploymentRequest")
          .select(["status", "revision", "executor", "heartbeatAt", "attempt"])
          .where("id", "=", id)
          .forUpdate()
          .executeTakeFirstOrThrow();
        const external = !workerDriven.includes(r.executor);
        const limit = external ? externalBefore : staleBefore;
        if (r.status !== "deploying" || (r.heartbeatAt && r.heartbeatAt >= limit)) return null;
        if (external) {
          await finishRunInTx(
            tx,
            id,
            { outcome: "failed", message: `No status from ${r.executor} since ${r.heartbeatAt?.toISOString() ?? "the start"}; giving up` },
            actor,
          );
          return "failed" as const;
        }
        if (r.attempt < maxAttempts) {
          appendLog(tx, id, `Worker stopped responding during attempt ${r.attempt}; retrying`, "warn");
          await transition(tx, id, ["deploying"], "queued", {
            actor,
            data: { queuedAt: now, heartbeatAt: null },
            eventData: { reason: "stalled run retried", attempt: r.attempt },
            locked: r,
          });
          enqueueExecution(tx, id, r.attempt);
          return "retried" as const;
        }
        await finishRunInTx(tx, id, { outcome: "failed", message: `Worker stopped responding; gave up after ${r.attempt} attempts` }, actor);
        return "failed" as const;
      });
      if (outcome) result[outcome].push(id);
    } catch (err) {
      logger.warn({ err, requestId: id }, "reconciler skipped a request");
    }
  }
  return result;
}
