// The deployment request state machine (ARCHITECTURE rule 2). Every status change goes through transition():
// it locks the row (SELECT … FOR UPDATE), checks the current state against the caller's expectation and the table
// of legal moves, bumps `revision`, and writes the audit record and the Pier event in the same transaction.
import type { DeploymentStatus, DeploymentStrategy } from "@/generated/prisma/enums";
import type { Prisma } from "../db";
import { join, raw, sql, sqlOf, type AnyTx, type DeferredWrite, type Sql, type SqlTx } from "../sql";
import { recordAudit, type Actor } from "../audit/audit-log";
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

/** Columns a transition may change besides status and revision. */
export type TransitionData = {
  finishedAt?: Date | null;
  notBefore?: Date | null;
  queuedAt?: Date | null;
  startedAt?: Date | null;
  heartbeatAt?: Date | null;
  progress?: number;
  /** attempt = attempt + 1 (a run starts). */
  incrementAttempt?: boolean;
};

const DATA_COLUMNS = ["finishedAt", "notBefore", "queuedAt", "startedAt", "heartbeatAt", "progress"] as const;

/** The request columns a transition hands back (the row as it is after the change). */
export type TransitionedRequest = {
  id: string;
  status: DeploymentStatus;
  revision: number;
  serviceId: string;
  environmentId: string;
  version: string;
  previousVersion: string | null;
  requesterId: string;
  strategy: DeploymentStrategy;
  breakGlass: boolean;
  breakGlassReason: string | null;
  rollbackOfId: string | null;
  autoRollback: boolean;
  policySnapshot: Prisma.JsonValue;
  scheduledFrom: Date | null;
  notBefore: Date | null;
  attempt: number;
  executor: string;
  finishedAt: Date | null;
};

const transitionedColumns = (t: string) =>
  raw(`${t}id, ${t}status::text AS status, ${t}revision, ${t}"serviceId", ${t}"environmentId", ${t}version, ${t}"previousVersion",
  ${t}"requesterId", ${t}strategy::text AS strategy, ${t}"breakGlass", ${t}"breakGlassReason", ${t}"rollbackOfId", ${t}"autoRollback",
  ${t}"policySnapshot", ${t}"scheduledFrom", ${t}"notBefore", ${t}attempt, ${t}executor, ${t}"finishedAt"`);

/** The SELECT/RETURNING list for TransitionedRequest (enums as text: Prisma cannot read them raw). */
export const TRANSITIONED_COLUMNS = transitionedColumns("");
/** The same, for a query where the request table is aliased `r`. */
export const TRANSITIONED_COLUMNS_OF_R = transitionedColumns("r.");

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
   * The whole row as this plain-SQL transaction locked it (or as an earlier deferred transition left it): the
   * UPDATE then becomes a deferred write, coalesced with the transaction's other updates of this row into one
   * statement sent with COMMIT, and the row returned is computed from it. Nothing later in the transaction may read
   * the row back from the database. Implies `locked`.
   */
  row?: TransitionedRequest;
  /** The request's service/environment, already loaded: the event is built without reloading the request. */
  context?: EventContext;
};

/** Locks the request row for the rest of the transaction and returns its status and revision. */
export async function lockRequest(tx: AnyTx, requestId: string) {
  const rows = await sqlOf(tx).rows<{ status: DeploymentStatus; revision: number }>(sql`
    SELECT status::text AS status, revision FROM "DeploymentRequest" WHERE id = ${requestId} FOR UPDATE`);
  if (rows.length === 0) throw notFound("Deployment request");
  return rows[0];
}

/** Column → new value of a transition, besides status/revision/updatedAt (attempt is a separate increment). */
function changedColumns(from: DeploymentStatus, to: DeploymentStatus, data: TransitionData = {}): Record<string, Sql> {
  const sets: Record<string, Sql> = {};
  for (const c of DATA_COLUMNS) if (data[c] !== undefined) sets[c] = sql`${data[c]}`;
  // The target's deploying slot (unique per service+environment): taken on the way in, released on the way out.
  // A second run of the same target reaching deploying fails here even if a caller skipped the target lock.
  if (to === "deploying") sets.deployingSlot = sql`true`;
  else if (from === "deploying") sets.deployingSlot = sql`NULL`;
  return sets;
}

type RequestUpdate = { id: string; sets: Record<string, Sql>; revision: number; attempt: number };

/** Deferred updates of request rows: all of one transaction's updates of a row become one UPDATE. */
const REQUEST_UPDATES: DeferredWrite<RequestUpdate> = {
  name: "request",
  ctes(updates, prefix) {
    const byId = new Map<string, RequestUpdate>();
    for (const u of updates) {
      const seen = byId.get(u.id);
      byId.set(u.id, seen ? { id: u.id, sets: { ...seen.sets, ...u.sets }, revision: seen.revision + u.revision, attempt: seen.attempt + u.attempt } : u);
    }
    return [...byId.values()].map((u, i) => sql`${raw(`${prefix}${i}`)} AS (UPDATE "DeploymentRequest" SET ${assignments(u)} WHERE id = ${u.id})`);
  },
};

/** The SET list of an update: its columns, the revision and attempt increments, updatedAt. */
function assignments(u: Omit<RequestUpdate, "id">) {
  const sets = [...Object.entries(u.sets).map(([c, v]) => sql`${raw(`"${c}"`)} = ${v}`), sql`revision = revision + ${u.revision}::int`, sql`"updatedAt" = ${new Date()}`];
  if (u.attempt) sets.push(sql`attempt = attempt + ${u.attempt}::int`);
  return join(sets);
}

/** Changes columns of a request this transaction holds the lock on, with its deferred transitions (one UPDATE). */
export async function deferRequestUpdate(tx: SqlTx, id: string, sets: Record<string, Sql>, opts: { bumpRevision: boolean }) {
  await tx.defer(REQUEST_UPDATES, { id, sets, revision: opts.bumpRevision ? 1 : 0, attempt: 0 });
}

/** The row after a transition, computed from the row before it (what a deferred UPDATE will write). */
function rowAfter(row: TransitionedRequest, to: DeploymentStatus, data: TransitionData = {}): TransitionedRequest {
  return {
    ...row,
    status: to,
    revision: row.revision + 1,
    attempt: row.attempt + (data.incrementAttempt ? 1 : 0),
    ...(data.finishedAt !== undefined ? { finishedAt: data.finishedAt } : {}),
    ...(data.notBefore !== undefined ? { notBefore: data.notBefore } : {}),
  };
}

export async function transition(tx: AnyTx, requestId: string, from: readonly DeploymentStatus[], to: DeploymentStatus, opts: TransitionOptions) {
  const current = opts.row ?? opts.locked ?? (await lockRequest(tx, requestId));
  if (opts.expectedRevision !== undefined && current.revision !== opts.expectedRevision) {
    throw conflict("This request changed while you were looking at it; reload and try again");
  }
  if (!from.includes(current.status) || !isLegalTransition(current.status, to)) {
    throw conflict(`This request is ${STATUS_LABEL[current.status]} and cannot become ${STATUS_LABEL[to]}`);
  }
  const update = { sets: { status: sql`${to}::"DeploymentStatus"`, ...changedColumns(current.status, to, opts.data) }, revision: 1, attempt: opts.data?.incrementAttempt ? 1 : 0 };
  let updated: TransitionedRequest;
  const run = sqlOf(tx);
  if (opts.row) {
    await run.defer(REQUEST_UPDATES, { id: requestId, ...update });
    updated = rowAfter(opts.row, to, opts.data);
  } else {
    [updated] = await run.rows<TransitionedRequest>(sql`
      UPDATE "DeploymentRequest" SET ${assignments(update)} WHERE id = ${requestId} RETURNING ${TRANSITIONED_COLUMNS}`);
  }
  await recordAudit(tx, {
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
  return updated;
}
