// Approve / reject. Decisions are written by group commit (server/platform/group-commit.ts): the decisions that
// arrive while a batch is being written go together in the next transaction — one statement locks and loads all
// their requests, then every write (approvals, request updates, outbox rows and one audit append for the whole
// batch) goes with COMMIT. Every audited commit holds the audit chain's head row until it is on disk, so one
// transaction per decision capped approvals at a few dozen a second and queued the rest behind row locks.
// Racing approvers are still serialised per request: a request's decisions in one batch are taken in order against
// the row as the earlier ones left it, and batches of the same request never run at once (one lane per request).
// The first decision that completes the policy (or any rejection) moves the request; everyone after gets a clear
// CONFLICT.
// Approvals decides; deployments records: this module writes the Approval table (its only writer) and hands the
// request's changes to the deployments domain (the state machine, scheduling, request-store).
import type { DeploymentStatus } from "@/generated/prisma/enums";
import { newId, prepared, sql, transaction, type Db, type Tx } from "../db";
import { recordAudit } from "../audit/audit-log";
import { badRequest, conflict, DomainError, forbidden, notFound } from "../errors";
import { actorOf } from "../identity/access";
import type { SessionUser } from "../identity/roles";
import { approverEligibility, type PolicySnapshot } from "../deployments/approval-policy";
import { emitDeploymentEvent, type EventContext } from "../deployments/deployment-events";
import { environmentFreezeWindows, freezeWindowFromJson } from "../deployments/freeze-windows";
import { recordApproval, transitionedOf } from "../deployments/request-store";
import { markApproved } from "../deployments/scheduling";
import { STATUS_LABEL, transition } from "../deployments/state-machine";
import { groupCommitPerDb } from "../platform/group-commit";

type Decision = "approve" | "reject";

/**
 * Locks the batch's request rows (like the state machine's lockRequest, in id order) and loads, in the same
 * statement, everything the decisions and their events need, so nothing is read twice. Only the request rows are
 * locked (FOR UPDATE OF r). After waiting for a lock, Postgres re-reads the newest version of the locked row, so
 * `approvedBy` includes the approval of whoever held the lock before (a joined table would be read as of the
 * statement's start).
 */
const LOCK_FOR_DECISIONS = prepared((db, p: { requestIds: string[] }) =>
  db
    .selectFrom("DeploymentRequest as r")
    .innerJoin("Service as s", "s.id", "r.serviceId")
    .innerJoin("Team as t", "t.id", "s.teamId")
    .innerJoin("Environment as e", "e.id", "r.environmentId")
    .select(transitionedOf("r"))
    .select((eb) => [
      "r.approvalsRequired",
      "r.approvedBy",
      "r.expiresAt",
      "s.slug as serviceSlug",
      "s.name as serviceName",
      "s.tier as serviceTier",
      "s.teamId",
      "t.slug as teamSlug",
      "e.name as environmentName",
      "e.isProduction",
      // Configuration, not state: read here so an approval that completes the policy needs no other statement.
      environmentFreezeWindows(eb).as("freezeWindows"),
    ])
    .where(sql<boolean>`r.id = any(${p.requestIds}::text[])`)
    .orderBy("r.id")
    .forUpdate("r"),
);

type Locked = Awaited<ReturnType<typeof LOCK_FOR_DECISIONS.execute>>[number];
type DecisionInput = { requestId: string; decision: Decision; comment?: string };
type Ask = { user: SessionUser; input: DecisionInput; now: Date };
type DecisionResult = { approvalId: string; status: DeploymentStatus; heldBy: "wait_timer" | "freeze_window" | null; approvals: number; required: number };
/** A decision's own outcome: a refusal (CONFLICT, FORBIDDEN, …) is one decision's answer, not the batch's failure. */
type Outcome = { ok: true; value: DecisionResult } | { ok: false; error: DomainError };

/** At most this many batches at once (connections taken from the pool), and decisions per batch. */
const LANES = 2;
const MAX_BATCH = 100;

// By request: a request's decisions always share a lane, so two batches never wait for each other's row locks.
const batcherFor = groupCommitPerDb<Db, Ask, Outcome>({
  name: "approval decisions",
  lanes: LANES,
  maxBatch: MAX_BATCH,
  laneKey: (a) => a.input.requestId,
  write: decideBatch,
});

export async function decide(db: Db, user: SessionUser, input: DecisionInput, now = new Date()) {
  const outcome = await batcherFor(db).submit({ user, input, now });
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

/** One transaction for a batch: BEGIN, one lock-and-load statement, then every write deferred and sent with COMMIT. */
function decideBatch(db: Db, asks: Ask[]): Promise<Outcome[]> {
  return transaction(db, async (tx) => {
    const rows = await LOCK_FOR_DECISIONS.execute(tx, { requestIds: [...new Set(asks.map((a) => a.input.requestId))] });
    // Each request as the batch's earlier decisions left it.
    const current = new Map(rows.map((r) => [r.id, r]));
    const outcomes: Outcome[] = [];
    for (const ask of asks) {
      const row = current.get(ask.input.requestId);
      try {
        refusal(row, ask);
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        outcomes.push({ ok: false, error: err });
        continue;
      }
      // Past the checks nothing is refused: an error now fails the batch, whose decisions are then written one by one.
      const { result, after } = await record(tx, row!, ask);
      current.set(row!.id, after);
      outcomes.push({ ok: true, value: result });
    }
    return outcomes;
  });
}

/** Throws why `ask` may not be recorded on the request as it stands (nothing written yet). */
function refusal(row: Locked | undefined, { user, input, now }: Ask) {
  if (!row) throw notFound("Deployment request");
  if (row.status !== "pending_approval") throw conflict(`This request is ${STATUS_LABEL[row.status]}; it no longer takes approvals`);
  if (row.expiresAt && row.expiresAt <= now) throw conflict("The approval window for this request has passed");
  const eligibility = approverEligibility(user, row.policySnapshot as PolicySnapshot, { requesterId: row.requesterId, owningTeamId: row.teamId });
  if (!eligibility.ok) throw forbidden(eligibility.reason);
  // While a request is pending every decision on it is an approval (a rejection ends it).
  if (row.approvedBy.includes(user.id)) throw conflict("You already recorded a decision on this request");
  if (input.decision === "reject" && (input.comment ?? "").trim().length === 0) throw badRequest("Say why you reject it: a comment is required", "comment");
}

/** Records a decision `refusal` let through; returns its result and the request as it leaves it. */
async function record(tx: Tx, locked: Locked, { user, input, now }: Ask): Promise<{ result: DecisionResult; after: Locked }> {
  const {
    approvalsRequired,
    approvedBy,
    expiresAt: _expiresAt,
    serviceSlug,
    serviceName,
    serviceTier,
    teamId,
    teamSlug,
    environmentName,
    isProduction,
    freezeWindows,
    ...r
  } = locked;
  const comment = (input.comment ?? "").trim();
  const context: EventContext = {
    service: { id: r.serviceId, slug: serviceSlug, name: serviceName, tier: serviceTier, teamId, team: { slug: teamSlug } },
    environment: { id: r.environmentId, name: environmentName, isProduction },
  };
  // Deferred writes (the approval, outbox rows, audit records) all go with COMMIT.
  const approval = { id: newId() };
  tx.deferred.write(tx.insertInto("Approval").values({ id: approval.id, requestId: r.id, approverId: user.id, decision: input.decision, comment }));
  const approverIds = input.decision === "approve" ? [...approvedBy, user.id] : approvedBy;
  const approvedCount = approverIds.length;
  const progress = { approvals: approvedCount, required: approvalsRequired };
  recordAudit(tx, {
    actor: actorOf(user),
    action: "approval.recorded",
    subjectType: "deployment_request",
    subjectId: r.id,
    after: { decision: input.decision, comment, ...progress },
  });
  await emitDeploymentEvent(
    tx,
    "approval.recorded",
    r.id,
    actorOf(user),
    { decision: input.decision, comment, approverId: user.id, ...progress },
    { ...r, ...context },
  );

  // The row is locked by this transaction since the batch began: the state machine works from it (no re-lock, no
  // re-read) and its updates, with the approvers', go as one UPDATE with COMMIT.
  let status: DeploymentStatus = r.status;
  let revision = r.revision;
  // Why an approved request is not queued yet, so the approver is told what happens next.
  let heldBy: "wait_timer" | "freeze_window" | null = null;
  if (input.decision === "reject") {
    const moved = await transition(tx, r.id, ["pending_approval"], "rejected", {
      actor: actorOf(user),
      data: { finishedAt: now },
      eventData: { comment },
      row: r,
      context,
    });
    ({ status, revision } = moved);
  } else if (approvedCount >= approvalsRequired) {
    const queued = await markApproved(tx, r.id, actorOf(user), { approverIds }, now, {
      request: r,
      context,
      freezeWindows: freezeWindows.map(freezeWindowFromJson),
    });
    status = queued === "queued" ? "queued" : "approved";
    heldBy = queued === "waiting" ? "wait_timer" : queued === "frozen" ? "freeze_window" : null;
  }
  // Record the approver on the row; a decision that moved nothing still bumps revision (a transition has already).
  if (input.decision === "approve") {
    recordApproval(tx, r, user.id, { bumpRevision: status === r.status });
    if (status === r.status) revision++;
  }
  // Later decisions in the batch only read status and approvedBy (a moved request refuses them).
  return { result: { approvalId: approval.id, status, heldBy, ...progress }, after: { ...locked, status, revision, approvedBy: approverIds } };
}
