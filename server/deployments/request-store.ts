// The one module that writes DeploymentRequest rows (ARCHITECTURE rule 5): creating requests, the state machine's
// updates (at once, or deferred and coalesced into one UPDATE per row sent with COMMIT), approvers recorded by
// approvals, run heartbeats and reports, the break-glass review. Other modules read requests as they like and
// change them only through these functions.
import type { Insertable, Updateable } from "kysely";
import { anyOf, newId, sql, type Coalesced, type DB, type Db, type Kysely, type Selectable, type Tx } from "../db";
import { notFound } from "../errors";

type RequestRow = Selectable<DB["DeploymentRequest"]>;

/** The columns a transition hands back (the row as it is after the change): the select list and its row type. */
export const TRANSITIONED = [
  "id",
  "status",
  "revision",
  "serviceId",
  "environmentId",
  "version",
  "previousVersion",
  "requesterId",
  "strategy",
  "breakGlass",
  "breakGlassReason",
  "rollbackOfId",
  "autoRollback",
  "policySnapshot",
  "scheduledFrom",
  "notBefore",
  "attempt",
  "executor",
  "finishedAt",
] as const satisfies readonly (keyof RequestRow)[];

type TransitionedColumn = (typeof TRANSITIONED)[number];
export type TransitionedRequest = Pick<RequestRow, TransitionedColumn>;

/** The same select list for a query where the request table has an alias (`selectFrom("DeploymentRequest as r")`). */
export const transitionedOf = <A extends string>(alias: A) => TRANSITIONED.map((c) => `${alias}.${c}` as `${A}.${TransitionedColumn}`);

/** Columns a change sets to a value (revision, attempt and approvedBy change by increments, updatedAt always). */
export type RequestSet = Omit<Updateable<DB["DeploymentRequest"]>, "id" | "revision" | "attempt" | "approvedBy" | "updatedAt">;

/** One change of a request row: values to set, revision/attempt increments, approvers to append. */
export type RequestChange = { set: RequestSet; revision: number; attempt: number; approvers: string[] };

type DeferredChange = RequestChange & { id: string };

/** The UPDATE of a change of one row or several (every change also sets updatedAt, which Prisma's @updatedAt did). */
function updateOf(db: Kysely<DB>, id: string | readonly string[], c: RequestChange) {
  return db
    .updateTable("DeploymentRequest")
    .set((eb) => ({
      ...c.set,
      revision: eb("revision", "+", c.revision),
      ...(c.attempt ? { attempt: eb("attempt", "+", c.attempt) } : {}),
      ...(c.approvers.length ? { approvedBy: sql<string[]>`"approvedBy" || ${c.approvers}::text[]` } : {}),
      updatedAt: new Date(),
    }))
    .where("id", "=", typeof id === "string" ? id : anyOf(id));
}

/** Deferred changes of request rows: all of one transaction's changes of a row become one UPDATE, sent with COMMIT. */
const REQUEST_CHANGES: Coalesced<DeferredChange> = {
  merge: (a, b) => ({
    id: a.id,
    set: { ...a.set, ...b.set },
    revision: a.revision + b.revision,
    attempt: a.attempt + b.attempt,
    approvers: [...a.approvers, ...b.approvers],
  }),
  write: (c, db) => updateOf(db, c.id, c),
};

/** Changes a request now and returns the row as changed. */
export async function changeRequest(tx: Tx, id: string, change: RequestChange): Promise<TransitionedRequest> {
  const row = await updateOf(tx, id, change).returning(TRANSITIONED).executeTakeFirst();
  if (!row) throw notFound("Deployment request");
  return row;
}

/**
 * Changes several requests now, one UPDATE per distinct change (a batch of runs ending the same way is one
 * statement), and returns the rows as changed, in no particular order.
 */
export async function changeRequests(tx: Tx, changes: readonly { id: string; change: RequestChange }[]): Promise<TransitionedRequest[]> {
  const groups = new Map<string, { change: RequestChange; ids: string[] }>();
  for (const { id, change } of changes) {
    const key = JSON.stringify(change);
    const g = groups.get(key);
    if (g) g.ids.push(id);
    else groups.set(key, { change, ids: [id] });
  }
  const out: TransitionedRequest[] = [];
  for (const { change, ids } of groups.values()) {
    const rows = await updateOf(tx, ids, change).returning(TRANSITIONED).execute();
    if (rows.length !== ids.length) throw notFound("Deployment request");
    out.push(...rows);
  }
  return out;
}

/**
 * Changes a request this transaction holds the lock on with its COMMIT (coalesced with the transaction's other
 * deferred changes of the row into one UPDATE), and returns the row as the change leaves it, computed from `row`
 * (the row as locked, or as an earlier deferred change left it). Nothing later in the transaction may read the
 * row back from the database.
 */
export function deferRequestChange(tx: Tx, row: TransitionedRequest, change: RequestChange): TransitionedRequest {
  tx.deferred.coalesce(REQUEST_CHANGES, row.id, { id: row.id, ...change });
  const after: TransitionedRequest = { ...row, revision: row.revision + change.revision, attempt: row.attempt + change.attempt };
  for (const c of TRANSITIONED) {
    const v = change.set[c as keyof RequestSet];
    if (v !== undefined) (after as Record<string, unknown>)[c] = v;
  }
  return after;
}

/**
 * Records an approver on a request this transaction holds the lock on (approvals decides, the request records
 * who approved), deferred with the row's other changes. A decision that moved nothing still changed the request,
 * so it bumps revision (which readers like the inbox and optimistic writers compare); pass `bumpRevision: false`
 * when a transition in the same transaction bumped it already.
 */
export function recordApproval(tx: Tx, row: TransitionedRequest, approverId: string, opts: { bumpRevision: boolean }) {
  deferRequestChange(tx, row, { set: {}, revision: opts.bumpRevision ? 1 : 0, attempt: 0, approvers: [approverId] });
}

export type NewRequest = Omit<Insertable<DB["DeploymentRequest"]>, "id" | "updatedAt" | "policySnapshot" | "riskReasons"> & {
  policySnapshot: unknown;
  riskReasons: unknown;
};

/** Inserts a request (a draft unless `status` says otherwise) and returns it. */
export async function insertRequest(tx: Tx, values: NewRequest): Promise<TransitionedRequest> {
  return tx
    .insertInto("DeploymentRequest")
    .values({
      ...values,
      id: newId(),
      updatedAt: new Date(),
      policySnapshot: JSON.stringify(values.policySnapshot),
      riskReasons: JSON.stringify(values.riskReasons),
    })
    .returning(TRANSITIONED)
    .executeTakeFirstOrThrow();
}

/** Marks a break-glass request reviewed. */
export async function markReviewed(tx: Tx, id: string, at = new Date()) {
  return tx
    .updateTable("DeploymentRequest")
    .set({ reviewedAfterAt: at, updatedAt: at })
    .where("id", "=", id)
    .returning(["id", "reviewedAfterAt"])
    .executeTakeFirstOrThrow();
}

export type RunReport = {
  /** Only this attempt (a report of an earlier attempt is ignored). */
  attempt?: number;
  /** Only while the request is deploying (false: whatever its status, for the run id of a run just handed off). */
  whileDeploying: boolean;
  progress?: number;
  externalRunId?: string | null;
};

/** A run is still going: refreshes its heartbeat (and progress, outside run id). False when no row matched. */
export async function recordRunReport(db: Db, id: string, report: RunReport): Promise<boolean> {
  const now = new Date();
  let q = db.kysely
    .updateTable("DeploymentRequest")
    .set({
      heartbeatAt: now,
      updatedAt: now,
      ...(report.progress !== undefined ? { progress: report.progress } : {}),
      ...(report.externalRunId !== undefined ? { externalRunId: report.externalRunId } : {}),
    })
    .where("id", "=", id);
  if (report.whileDeploying) q = q.where("status", "=", "deploying");
  if (report.attempt !== undefined) q = q.where("attempt", "=", report.attempt);
  const { numUpdatedRows } = await q.executeTakeFirst();
  return numUpdatedRows > 0n;
}

/** Seeded history (prisma/seed): a request's revision as the transitions of its recorded audit trail leave it. */
export function setHistoricalRevision(tx: Tx, id: string, revision: number) {
  tx.deferred.write(tx.updateTable("DeploymentRequest").set({ revision, updatedAt: new Date() }).where("id", "=", id));
}

/**
 * Sets the learned risk model's estimate of a request (risk-model/scoring.ts). Not a transition: the revision stays
 * (the inbox reloads a pending request's details within seconds anyway).
 */
export async function setFailureEstimate(k: Kysely<DB>, id: string, estimate: { probability: number | null; reasons: unknown[] }) {
  await k
    .updateTable("DeploymentRequest")
    .set({ failureProbability: estimate.probability, failureReasons: JSON.stringify(estimate.reasons) })
    .where("id", "=", id)
    .execute();
}
