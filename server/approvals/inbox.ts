// The approver's inbox: every request waiting for approval, split into "yours to decide" and "waiting on others",
// each with what changes (live version → requested), policy progress, recent failures and the risk score.
//
// Every approver's page polls it, and the pending set is the same for all of them, so one shared view of the
// pending requests serves everyone and each caller's own lists (what they may decide) are computed from it in
// memory. The view is refreshed by sharedRead: a caller joins the next refresh that starts after it asked, so the
// set of pending requests, their status and their approvals are never older than the call. A refresh reads only
// (id, revision) of the pending requests (every decision and transition bumps revision) and loads the details of
// the requests that are new or changed since the last refresh; the joined facts that change without touching the
// request (the live version in that environment, the service's recent failures, names) are reloaded when a
// cached row is older than about DETAIL_TTL_MS.
import type { Db } from "../db";
import type { SessionUser } from "../identity/roles";
import type { RiskReason } from "../deployments/risk-score";
import { sharedRead, sharedReadPer } from "../platform/shared-read";
import { parseUtcTimestamp, sql, sqlRead } from "../sql";
import { approverRule, describeApprovers, mayApprove, whyNotApprover, type ApproverRule, type PolicySnapshot } from "../deployments/approval-policy";

/** The oldest pending requests the inbox considers; an organisation with more has bigger problems than paging. */
export const INBOX_PENDING_CAP = 1000;
/** Items returned per list (mine, others); `counts` tells how many there are in all. */
export const INBOX_LIST_LIMIT = 100;
const FAILURE_WINDOW_MS = 30 * 86400_000;
/** How old the live version and recent-failure count shown for a request may get. */
export const DETAIL_TTL_MS = 15_000;
// Under load a refresh starts at most every 20 ms (≤ 50 a second however many approvers poll).
const MIN_REFRESH_INTERVAL_MS = 20;

type Row = {
  id: string;
  version: string;
  previousVersion: string | null;
  strategy: string;
  summary: string;
  ticketKey: string | null;
  createdAt: Date;
  expiresAt: Date | null;
  requesterId: string;
  requesterName: string;
  approvalsRequired: number;
  policySnapshot: PolicySnapshot;
  riskScore: number | null;
  riskReasons: RiskReason[];
  serviceId: string;
  serviceSlug: string;
  serviceName: string;
  serviceTier: number;
  teamId: string;
  environmentId: string;
  environmentName: string;
  isProduction: boolean;
  currentVersion: string | null;
  recentFailures: number;
  approvals: { approverId: string; name: string; decision: string }[] | null;
};

/** A pending request as cached: what eligibility needs, and the user-independent part of its inbox item. */
type Cached = {
  rule: ApproverRule;
  approverIds: string[];
  revision: number;
  /** When the details are reloaded: DETAIL_TTL_MS after loading, ± a quarter, so reloads do not all fall due together. */
  staleAt: number;
  item: SharedItem;
  /** The item as listed, per `whyNot` (null: the caller may decide): the same for every caller with that answer. */
  listed: Map<string | null, InboxItem>;
};

/**
 * The pending requests, oldest first, as of a refresh that started after the caller asked. One statement per
 * refresh: it gets the cached (id, revision) pairs not yet stale and returns, for every pending
 * request, its id and revision, plus its details when the cached copy is missing, changed or too old (so the
 * details come from the same snapshot as the list).
 */
function pendingView(db: Db) {
  let cache = new Map<string, Cached>();
  return sharedRead(async () => {
    const now = Date.now();
    // The cached revisions go in as one jsonb object (id → revision): one key lookup per pending request.
    let knownRevisions = "{";
    for (const [id, c] of cache) if (now < c.staleAt) knownRevisions += `${knownRevisions.length > 1 ? "," : ""}${JSON.stringify(id)}:${c.revision}`;
    knownRevisions += "}";
    const since = new Date(now - FAILURE_WINDOW_MS);
    const rows = await sqlRead<{ id: string; revision: number; details: Row | null }>(db, sql`
      SELECT p.id, p.revision,
             CASE WHEN (k.revisions ->> p.id)::int IS DISTINCT FROM p.revision THEN (
               SELECT json_build_object(
                        'id', r.id, 'version', r.version, 'previousVersion', r."previousVersion", 'strategy', r.strategy, 'summary', r.summary,
                        'ticketKey', r."ticketKey", 'createdAt', r."createdAt", 'expiresAt', r."expiresAt", 'requesterId', r."requesterId",
                        'requesterName', u.name, 'approvalsRequired', r."approvalsRequired", 'policySnapshot', r."policySnapshot",
                        'riskScore', r."riskScore", 'riskReasons', r."riskReasons", 'serviceId', s.id, 'serviceSlug', s.slug, 'serviceName', s.name,
                        'serviceTier', s.tier, 'teamId', s."teamId", 'environmentId', e.id, 'environmentName', e.name, 'isProduction', e."isProduction",
                        'currentVersion', se."currentVersion",
                        'recentFailures', (SELECT count(*) FROM "DeploymentRequest" x
                                            WHERE x."serviceId" = r."serviceId" AND x.status IN ('failed', 'rolled_back') AND x."finishedAt" >= ${since}),
                        -- While pending, every decision is an approval: approvedBy, oldest first.
                        'approvals', (SELECT json_agg(json_build_object('approverId', a.id, 'name', au.name, 'decision', 'approve') ORDER BY a.n)
                                        FROM unnest(r."approvedBy") WITH ORDINALITY a (id, n) JOIN "User" au ON au.id = a.id))
                 FROM "DeploymentRequest" r
                 JOIN "Service" s ON s.id = r."serviceId"
                 JOIN "Environment" e ON e.id = r."environmentId"
                 JOIN "User" u ON u.id = r."requesterId"
                 LEFT JOIN "ServiceEnvironment" se ON se."serviceId" = r."serviceId" AND se."environmentId" = r."environmentId"
                WHERE r.id = p.id) END AS details
        FROM "DeploymentRequest" p
        -- Parsed once (MATERIALIZED), not once per row as a cast parameter in a generic plan would be.
        CROSS JOIN (WITH k AS MATERIALIZED (SELECT ${knownRevisions}::jsonb AS revisions) SELECT revisions FROM k) k
       WHERE p.status = 'pending_approval'
       ORDER BY p."createdAt", p.id
       LIMIT ${INBOX_PENDING_CAP}`);
    const next = new Map<string, Cached>();
    const list: Cached[] = [];
    for (const { id, revision, details } of rows) {
      const entry = details ? { ...fromDetails(details), revision, staleAt: now + DETAIL_TTL_MS * (0.75 + Math.random() / 2) } : cache.get(id);
      if (!entry) continue; // cannot happen: only cached ids come back without details
      next.set(id, entry);
      list.push(entry);
    }
    cache = next;
    return list;
  }, MIN_REFRESH_INTERVAL_MS);
}

// json_build_object gives timestamps as ISO text without a zone (they are UTC).
const utc = (v: Date | string | null) => (typeof v === "string" ? parseUtcTimestamp(v) : v);

function fromDetails(d: Row) {
  const row = { ...d, createdAt: utc(d.createdAt)!, expiresAt: utc(d.expiresAt) };
  return {
    rule: approverRule(row.policySnapshot, { requesterId: row.requesterId, owningTeamId: row.teamId }),
    approverIds: (row.approvals ?? []).map((a) => a.approverId),
    item: sharedItem(row),
    listed: new Map<string | null, InboxItem>(),
  };
}

const pendingFor = sharedReadPer((db: Db) => pendingView(db));

function sharedItem(p: Row) {
  const approvals = p.approvals ?? [];
  return {
    id: p.id,
    service: { id: p.serviceId, slug: p.serviceSlug, name: p.serviceName, tier: p.serviceTier, teamId: p.teamId },
    environment: { id: p.environmentId, name: p.environmentName, isProduction: p.isProduction },
    requester: { id: p.requesterId, name: p.requesterName },
    version: p.version,
    currentVersion: p.currentVersion ?? p.previousVersion,
    strategy: p.strategy,
    summary: p.summary,
    ticketKey: p.ticketKey,
    createdAt: p.createdAt,
    expiresAt: p.expiresAt,
    progress: { approvals: approvals.filter((a) => a.decision === "approve").length, required: p.approvalsRequired },
    approvers: approvals.map((a) => ({ name: a.name, decision: a.decision })),
    whoMayApprove: describeApprovers(p.policySnapshot),
    recentFailures: p.recentFailures,
    risk: { score: p.riskScore ?? 0, reasons: p.riskReasons ?? [] },
  };
}
type SharedItem = ReturnType<typeof sharedItem>;

/** The listed item for an answer to "may the caller decide?" (null: yes; otherwise why not), made once per answer. */
function listed(c: Cached, whyNot: string | null) {
  let item = c.listed.get(whyNot);
  if (!item) c.listed.set(whyNot, (item = Object.freeze({ ...c.item, canDecide: whyNot === null, whyNot })));
  return item;
}

export type InboxItem = Readonly<SharedItem & { canDecide: boolean; whyNot: string | null }>;

/**
 * The caller's inbox: the oldest `limit` requests they may decide and as many of those waiting on others, with
 * how many there are of each in all (among the oldest INBOX_PENDING_CAP pending requests).
 */
export async function approvalInbox(db: Db, user: SessionUser, limit = INBOX_LIST_LIMIT) {
  const pending = await pendingFor(db);
  const mine: InboxItem[] = [];
  const others: InboxItem[] = [];
  const counts = { mine: 0, others: 0 };
  // Runs over every pending request for every caller: nothing is allocated for a request that is not listed, and
  // listed items are shared by every caller with the same answer.
  for (const c of pending) {
    // While a request is pending, every decision on it is an approval.
    const decided = c.approverIds.includes(user.id);
    if (!decided && mayApprove(user, c.rule)) {
      if (counts.mine++ < limit) mine.push(listed(c, null));
    } else if (counts.others++ < limit) {
      others.push(listed(c, decided ? "You already approved" : whyNotApprover(user, c.rule)));
    }
  }
  return { mine, others, counts };
}
