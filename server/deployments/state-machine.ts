// The deployment request state machine (ARCHITECTURE rule 2). Every status change goes through transition():
// it locks the row (SELECT … FOR UPDATE), checks the current state against the caller's expectation and the table
// of legal moves, bumps `revision`, and writes the audit record and the Pier event in the same transaction.
import type { DeploymentStatus } from "@/generated/prisma/enums";
import type { Tx } from "../db";
import { recordAudit, type Actor } from "../audit/audit-log";
import { conflict, notFound } from "../errors";
import { emitDeploymentEvent, EVENT_FOR_STATUS, type EventContext } from "./deployment-events";
import { changeRequest, changeRequests, deferRequestChange, type RequestChange, type RequestSet, type TransitionedRequest } from "./request-store";

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

/** Requests still under way: not yet decided, waiting to run, or running. */
export const ACTIVE_STATUSES = ["draft", "pending_approval", "approved", "queued", "deploying"] as const satisfies readonly DeploymentStatus[];
/** Requests that may be cancelled: nothing has started yet. */
export const CANCELLABLE_STATUSES = ["draft", "pending_approval", "approved", "queued"] as const satisfies readonly DeploymentStatus[];
/** Runs that ended (and may be rolled back). */
export const FINISHED_RUN_STATUSES = ["succeeded", "failed"] as const satisfies readonly DeploymentStatus[];

const isIn = (list: readonly DeploymentStatus[]) => (status: DeploymentStatus) => list.includes(status);
export const isCancellable = isIn(CANCELLABLE_STATUSES);
export const isFinishedRun = isIn(FINISHED_RUN_STATUSES);

export const isLegalTransition = (from: DeploymentStatus, to: DeploymentStatus) => TRANSITIONS[from].includes(to);

/** Columns a transition may change besides status and revision. */
type TransitionData = Pick<RequestSet, "finishedAt" | "notBefore" | "queuedAt" | "startedAt" | "heartbeatAt" | "progress"> & {
  /** attempt = attempt + 1 (a run starts). */
  incrementAttempt?: boolean;
};

export type TransitionOptions = {
  actor: Actor;
  /** Other columns to change with the status (timestamps, progress, …). */
  data?: TransitionData;
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
  /**
   * The whole row as this transaction locked it (or as an earlier deferred transition left it): the
   * UPDATE then becomes a deferred write, coalesced with the transaction's other updates of this row into one
   * statement sent with COMMIT, and the row returned is computed from it. Nothing later in the transaction may read
   * the row back from the database. Implies `locked`.
   */
  row?: TransitionedRequest;
  /** The request's service/environment, already loaded: the event is built without reloading the request. */
  context?: EventContext;
};

/** Locks the request row for the rest of the transaction and returns its status and revision. */
export async function lockRequest(tx: Tx, requestId: string) {
  const row = await tx.selectFrom("DeploymentRequest").select(["status", "revision"]).where("id", "=", requestId).forUpdate().executeTakeFirst();
  if (!row) throw notFound("Deployment request");
  return row;
}

/** The change a transition makes: status, its other columns, revision + 1 (attempt + 1 when a run starts). */
function changeOf(from: DeploymentStatus, to: DeploymentStatus, data: TransitionData = {}): RequestChange {
  const { incrementAttempt, ...columns } = data;
  const set: RequestSet = { status: to };
  for (const [c, v] of Object.entries(columns)) if (v !== undefined) Object.assign(set, { [c]: v });
  // The target's deploying slot (unique per service+environment): taken on the way in, released on the way out.
  // A second run of the same target reaching deploying fails here even if a caller skipped the target lock.
  if (to === "deploying") set.deployingSlot = true;
  else if (from === "deploying") set.deployingSlot = null;
  return { set, revision: 1, attempt: incrementAttempt ? 1 : 0, approvers: [] };
}

function checkMove(current: { status: DeploymentStatus; revision: number }, from: readonly DeploymentStatus[], to: DeploymentStatus, opts: TransitionOptions) {
  if (opts.expectedRevision !== undefined && current.revision !== opts.expectedRevision) {
    throw conflict("This request changed while you were looking at it; reload and try again");
  }
  if (!from.includes(current.status) || !isLegalTransition(current.status, to)) {
    throw conflict(`This request is ${STATUS_LABEL[current.status]} and cannot become ${STATUS_LABEL[to]}`);
  }
}

/** The audit record and the event of a transition made. */
async function announce(
  tx: Tx,
  requestId: string,
  current: { status: DeploymentStatus; revision: number },
  updated: TransitionedRequest,
  to: DeploymentStatus,
  opts: TransitionOptions,
) {
  recordAudit(tx, {
    actor: opts.actor,
    action: `deployment.${to}`,
    subjectType: "deployment_request",
    subjectId: requestId,
    before: { status: current.status, revision: current.revision },
    after: { status: to, revision: updated.revision, ...opts.eventData },
  });
  const type = EVENT_FOR_STATUS[to];
  if (type && !opts.silent) {
    await emitDeploymentEvent(tx, type, requestId, opts.actor, opts.eventData, opts.context && { ...updated, ...opts.context });
  }
}

export async function transition(tx: Tx, requestId: string, from: readonly DeploymentStatus[], to: DeploymentStatus, opts: TransitionOptions) {
  const current = opts.row ?? opts.locked ?? (await lockRequest(tx, requestId));
  checkMove(current, from, to, opts);
  const change = changeOf(current.status, to, opts.data);
  const updated = opts.row ? deferRequestChange(tx, opts.row, change) : await changeRequest(tx, requestId, change);
  await announce(tx, requestId, current, updated, to, opts);
  return updated;
}

/** One of several transitions of requests the transaction holds locked (transitionLocked). */
export type LockedTransition = {
  requestId: string;
  from: readonly DeploymentStatus[];
  to: DeploymentStatus;
  opts: TransitionOptions & { locked: { status: DeploymentStatus; revision: number } };
};

/**
 * Several transitions at once, of requests this transaction holds the locks on: the same checks, audit records and
 * events as transition(), the rows changed by one UPDATE per distinct change (changeRequests) rather than one
 * each. Returns the rows as changed, in the order given.
 */
export async function transitionLocked(tx: Tx, moves: readonly LockedTransition[]): Promise<TransitionedRequest[]> {
  if (!moves.length) return [];
  for (const m of moves) checkMove(m.opts.locked, m.from, m.to, m.opts);
  const changed = await changeRequests(
    tx,
    moves.map((m) => ({ id: m.requestId, change: changeOf(m.opts.locked.status, m.to, m.opts.data) })),
  );
  const byId = new Map(changed.map((r) => [r.id, r]));
  const out: TransitionedRequest[] = [];
  for (const m of moves) {
    const updated = byId.get(m.requestId)!;
    await announce(tx, m.requestId, m.opts.locked, updated, m.to, m.opts);
    out.push(updated);
  }
  return out;
}
