// The release state machine (ARCHITECTURE rule 4). A release changes only here, under its row lock (lockRelease:
// SELECT … FOR UPDATE): the approval, a member finishing (the outbox subscriber), the creator aborting take turns
// and see each other's committed state. Every change writes its audit record and its event in the same transaction.
//
//   pending_approval → rolling_out | rejected | aborted
//   rolling_out      → succeeded | held | rolling_back | aborted
//   held             → rolling_back | aborted
//   rolling_back     → rolled_back | failed
import { recordAudit, type Actor } from "../../audit/audit-log";
import { emitPierEvent, type ReleaseEventType, type Severity } from "../../bus/events";
import type { Tx } from "../../db";
import { env } from "../../env";
import { conflict } from "../../errors";
import { changeRelease, type ReleaseRow } from "./release-store";

// eslint-disable-next-line @typescript-eslint/no-unused-vars -- the list the ReleaseStatus type is read from
const RELEASE_STATUSES = ["pending_approval", "rolling_out", "held", "rolling_back", "succeeded", "rolled_back", "failed", "rejected", "aborted"] as const;
export type ReleaseStatus = (typeof RELEASE_STATUSES)[number];

const RELEASE_TRANSITIONS: Record<ReleaseStatus, readonly ReleaseStatus[]> = {
  pending_approval: ["rolling_out", "rejected", "aborted"],
  rolling_out: ["succeeded", "held", "rolling_back", "aborted"],
  held: ["rolling_back", "aborted"],
  rolling_back: ["rolled_back", "failed"],
  succeeded: [],
  rolled_back: [],
  failed: [],
  rejected: [],
  aborted: [],
};

export const ACTIVE_RELEASE: readonly ReleaseStatus[] = ["pending_approval", "rolling_out", "held", "rolling_back"];
const RELEASE_LABEL: Record<ReleaseStatus, string> = {
  pending_approval: "waiting for approval",
  rolling_out: "rolling out",
  held: "held",
  rolling_back: "rolling back",
  succeeded: "succeeded",
  rolled_back: "rolled back",
  failed: "failed",
  rejected: "rejected",
  aborted: "aborted",
};

const EVENT_FOR: Record<ReleaseStatus, ReleaseEventType> = {
  pending_approval: "release.requested",
  rolling_out: "release.approved",
  held: "release.held",
  rolling_back: "release.rolling_back",
  succeeded: "release.succeeded",
  rolled_back: "release.rolled_back",
  failed: "release.failed",
  rejected: "release.rejected",
  aborted: "release.aborted",
};

const SEVERITY: Partial<Record<ReleaseEventType, Severity>> = {
  "release.failed": "high",
  "release.rolled_back": "high",
  "release.rolling_back": "high",
  "release.held": "medium",
  "release.aborted": "medium",
};

const releaseUrl = (id: string) => `${env().PIER_BASE_URL.replace(/\/$/, "")}/releases/${id}`;

/** Moves a locked release to `to` (checked against the table), with its audit record and event. */
export async function transitionRelease(
  tx: Tx,
  r: ReleaseRow,
  to: ReleaseStatus,
  opts: { actor: Actor; message?: string; finished?: Date; eventData?: Record<string, unknown> },
): Promise<ReleaseRow> {
  const from = r.status as ReleaseStatus;
  if (!RELEASE_TRANSITIONS[from]?.includes(to)) throw conflict(`This release is ${RELEASE_LABEL[from] ?? from} and cannot become ${RELEASE_LABEL[to]}`);
  const updated = await changeRelease(tx, r.id, {
    status: to,
    ...(opts.message !== undefined ? { message: opts.message.slice(0, 1000) } : {}),
    ...(opts.finished ? { finishedAt: opts.finished } : {}),
  });
  recordAudit(tx, {
    actor: opts.actor,
    action: `release.${to}`,
    subjectType: "release",
    subjectId: r.id,
    before: { status: from, revision: r.revision },
    after: { status: to, revision: updated.revision, message: updated.message, ...opts.eventData },
  });
  await emitReleaseEvent(tx, EVENT_FOR[to], updated, opts.actor, opts.eventData);
  return updated;
}

/** A release event (subject: its environment; routing matches on type, environment and severity). */
export async function emitReleaseEvent(tx: Tx, type: ReleaseEventType, r: ReleaseRow, actor: Actor, extra: Record<string, unknown> = {}) {
  const e = await tx.selectFrom("Environment").select(["id", "name", "isProduction"]).where("id", "=", r.environmentId).executeTakeFirstOrThrow();
  emitPierEvent(tx, {
    type,
    severity: SEVERITY[type] ?? (e.isProduction ? "medium" : "info"),
    actor,
    subject: { environment: e, releaseId: r.id },
    data: { releaseId: r.id, name: r.name, status: r.status, message: r.message, url: releaseUrl(r.id), ...extra },
  });
}
