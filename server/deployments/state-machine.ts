// The deployment request state machine (ARCHITECTURE rule 2). Every status change goes through transition():
// it locks the row (SELECT … FOR UPDATE), checks the current state against the caller's expectation and the table
// of legal moves, bumps `revision`, and writes the audit record and the Pier event in the same transaction.
import type { DeploymentStatus } from "@/generated/prisma/enums";
import type { Prisma, Tx } from "../db";
import { recordAudit, type Actor, type DeferredAudit } from "../audit/audit-log";
import { conflict, notFound } from "../errors";
import { emitDeploymentEvent, EVENT_FOR_STATUS, type EventContext } from "./deployment-events";

export const DEPLOYMENT_STATUSES: DeploymentStatus[] = [
  "draft",
  "pending_approval",
  "approved",
  "rejected",
  "expired",
  "cancelled",
  "queued",
  "deploying",
  "succeeded",
  "failed",
  "rolled_back",
];

/** Legal moves. draft → approved is the auto-approval path (no approvals required, break-glass, rollback). */
export const TRANSITIONS: Record<DeploymentStatus, readonly DeploymentStatus[]> = {
  draft: ["pending_approval", "approved", "cancelled"],
  pending_approval: ["approved", "rejected", "expired", "cancelled"],
  approved: ["queued", "expired", "cancelled"],
  rejected: [],
  expired: [],
  cancelled: [],
  queued: ["deploying", "cancelled"],
  // deploying → queued: the reconciler retries a run whose worker died.
  deploying: ["succeeded", "failed", "queued"],
  succeeded: ["rolled_back"],
  failed: ["rolled_back"],
  rolled_back: [],
};

export const STATUS_LABEL: Record<DeploymentStatus, string> = {
  draft: "a draft",
  pending_approval: "waiting for approval",
  approved: "approved",
  rejected: "rejected",
  expired: "expired",
  cancelled: "cancelled",
  queued: "queued",
  deploying: "deploying",
  succeeded: "succeeded",
  failed: "failed",
  rolled_back: "rolled back",
};

export const isLegalTransition = (from: DeploymentStatus, to: DeploymentStatus) => TRANSITIONS[from].includes(to);

export type TransitionOptions = {
  actor: Actor;
  /** Other columns to change with the status (timestamps, progress, …). */
  data?: Omit<Prisma.DeploymentRequestUncheckedUpdateInput, "status" | "revision">;
  /** When set, the row must still be at this revision (optimistic check for callers that read earlier). */
  expectedRevision?: number;
  /** Extra facts for the event's data (eligibleApproverIds, reason, …) and the audit record. */
  eventData?: Record<string, unknown>;
  /** Skip the event (e.g. draft → pending_approval inside a break-glass flow announces its own). */
  silent?: boolean;
  /**
   * The row as the caller already locked it in this transaction (SELECT … FOR UPDATE, or the row its own update
   * returned): skips locking and reading it again. Only pass what this transaction holds the lock on.
   */
  locked?: { status: DeploymentStatus; revision: number };
  /** The request's service/environment, already loaded: the event is built without reloading the request. */
  context?: EventContext;
  /** Collects the audit record for a flush at the end of the transaction instead of writing it now. */
  audit?: DeferredAudit;
};

/** Locks the request row for the rest of the transaction and returns its status and revision. */
export async function lockRequest(tx: Tx, requestId: string) {
  const rows = await tx.$queryRaw<{ status: DeploymentStatus; revision: number }[]>`
    SELECT status::text AS status, revision FROM "DeploymentRequest" WHERE id = ${requestId} FOR UPDATE`;
  if (rows.length === 0) throw notFound("Deployment request");
  return rows[0];
}

export async function transition(tx: Tx, requestId: string, from: readonly DeploymentStatus[], to: DeploymentStatus, opts: TransitionOptions) {
  const current = opts.locked ?? (await lockRequest(tx, requestId));
  if (opts.expectedRevision !== undefined && current.revision !== opts.expectedRevision) {
    throw conflict("This request changed while you were looking at it; reload and try again");
  }
  if (!from.includes(current.status) || !isLegalTransition(current.status, to)) {
    throw conflict(`This request is ${STATUS_LABEL[current.status]} and cannot become ${STATUS_LABEL[to]}`);
  }
  const updated = await tx.deploymentRequest.update({
    where: { id: requestId },
    data: { ...opts.data, status: to, revision: { increment: 1 } },
  });
  const entry = {
    actor: opts.actor,
    action: `deployment.${to}`,
    subjectType: "deployment_request",
    subjectId: requestId,
    before: { status: current.status, revision: current.revision },
    after: { status: to, revision: updated.revision, ...opts.eventData },
  };
  if (opts.audit) opts.audit.add(entry);
  else await recordAudit(tx, entry);
  const type = EVENT_FOR_STATUS[to];
  if (type && !opts.silent) {
    await emitDeploymentEvent(tx, type, requestId, opts.actor, opts.eventData, opts.context && { ...updated, ...opts.context });
  }
  return updated;
}
