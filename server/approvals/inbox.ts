// The approver's inbox: every request waiting for approval, split into "yours to decide" and "waiting on others",
// each with what changes (live version → requested), policy progress, recent failures and the risk score. A call
// answers one page of one list (oldest first, a keyset cursor) with the totals of both lists.
//
// Every approver's page polls it, and the pending set is the same for all of them, so one shared view of the
// pending requests serves everyone. The view is refreshed by sharedRead: a caller joins the next refresh that starts
// after it asked, so the set of pending requests, their status and their approvals are never older than the call.
// A refresh sends the (id, revision) pairs it has cached (every decision and transition bumps revision) and reads
// only what differs: the details of the requests that are new or changed since the last refresh, and which are gone; the joined facts that change
// without touching the request (the live version in that environment, the service's recent failures, names) are
// reloaded when a cached row is older than about DETAIL_TTL_MS. A refresh that finds nothing changed keeps the same
// view, and each caller's split of a view (which requests they may decide) is computed once per view and caller,
// so a call costs a lookup and a page, not a pass over up to INBOX_PENDING_CAP requests.
import { jsonBuildObject } from "kysely/helpers/postgres";
import type { DeploymentStatus } from "@/generated/prisma/enums";
import { parseUtcTimestamp, prepared, sql, type Db } from "../db";
import { badRequest } from "../errors";
import type { SessionUser } from "../identity/roles";
import { approverRule, describeApprovers, mayApprove, whyNotApprover, type ApproverRule, type PolicySnapshot } from "../deployments/approval-policy";
import type { RiskReason } from "../deployments/risk-score";
import type { FailureReason } from "../deployments/risk-model/features";
import { sharedRead, sharedReadPer } from "../platform/shared-read";
import { immutableAnswerPart } from "../platform/wire-format";

/** The oldest pending requests the inbox considers (the totals count among them). */
const INBOX_PENDING_CAP = 1000;
/** Items per page unless the caller asks for another size (at most INBOX_MAX_PAGE). */
export const INBOX_PAGE_SIZE = 25;
export const INBOX_MAX_PAGE = 100;
const FAILURE_WINDOW_MS = 30 * 86400_000;
/** How old the live version and recent-failure count shown for a request may get. */
const DETAIL_TTL_MS = 15_000;
// Under load a refresh starts at most every 20 ms (≤ 50 a second however many approvers poll).
const MIN_REFRESH_INTERVAL_MS = 20;

/** The pending requests as of one refresh, in key order, and each caller's split of them (made on first use). */
type View = { readonly list: readonly Cached[]; readonly splits: Splits };
/**
 * The splits of a view, made on first use: per role and teams (what anyone with them may decide, but for their own
 * requests and those they approved), the positions each user requested or approved, and per caller.
 */
type Splits = { byClass: Map<string, Split>; personal: Map<string, number[]> | null; byCaller: Map<string, Split> };
const noSplits = (): Splits => ({ byClass: new Map(), personal: null, byCaller: new Map() });
/** Positions in the view's list: the requests a caller may decide, and the others, both in key order. */
type Split = { mine: number[]; others: number[] };

/** A pending request as cached: what eligibility needs, and the user-independent part of its inbox item. */
type Cached = {
  /** The order of the inbox and its cursors: oldest first, then by id. */
  key: Key;
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
 * refresh: it gets the cached (id, revision) pairs (a stale copy with revision -1) and answers only what differs —
 * each pending request that is new, changed or stale, with its details (from the same snapshot as the list), and
 * each cached request no longer among the pending ones — so a refresh that finds nothing changed reads no rows.
 */
function pendingView(db: Db) {
  const cache = new Map<string, Cached>();
  let view: View = { list: [], splits: noSplits() };
  return sharedRead(async () => {
    const now = Date.now();
    // The cached revisions go in as one jsonb object (id → revision): one key lookup per pending request.
    let knownRevisions = "{";
    for (const [id, c] of cache) knownRevisions += `${knownRevisions.length > 1 ? "," : ""}${JSON.stringify(id)}:${now < c.staleAt ? c.revision : -1}`;
    knownRevisions += "}";
    const since = new Date(now - FAILURE_WINDOW_MS);
    const rows = await PENDING_CHANGES.execute(db.reader, { knownRevisions, since });
    // Nothing new, changed or gone: the same view.
    if (rows.length === 0) return view;
    for (const { id, revision, details } of rows as PendingChange[]) {
      if (revision === null || !details) cache.delete(id);
      else cache.set(id, { ...fromDetails(details), revision, staleAt: now + DETAIL_TTL_MS * (0.75 + Math.random() / 2) });
    }
    const list = [...cache.values()].sort((a, b) => compareKeys(a.key, b.key));
    // Only details reloaded (same requests, revisions and rules): a new view with the callers' splits already made.
    // Otherwise the splits are made again, each on its caller's next call.
    view = { list, splits: list.length === view.list.length && list.every((c, i) => sameEligibility(c, view.list[i])) ? view.splits : noSplits() };
    return view;
  }, MIN_REFRESH_INTERVAL_MS);
}

/**
 * The statement (built once): on the reader connections (db.reader), which never wait behind the main pool's queue,
 * since every approver's poll waits on it.
 */
const PENDING_CHANGES = prepared((db, { knownRevisions, since }: { knownRevisions: string; since: Date }) =>
  db
    // Parsed once (MATERIALIZED), not once per row as a cast parameter in a generic plan would be.
    .with(
      (cte) => cte("k").materialized(),
      (qc) => qc.selectNoFrom(sql<Record<string, number>>`${knownRevisions}::jsonb`.as("revisions")),
    )
    // The pending requests the inbox considers (read twice: MATERIALIZED, once).
    .with(
      (cte) => cte("top").materialized(),
      (qc) =>
        qc
          .selectFrom("DeploymentRequest as p")
          .select(["p.id", "p.revision"])
          // Constants as literals, as the planner sees them in every plan of this prepared statement.
          .where("p.status", "=", sql.lit<DeploymentStatus>("pending_approval"))
          .orderBy("p.createdAt")
          .orderBy("p.id")
          .limit(INBOX_PENDING_CAP),
    )
    .selectFrom(["top as t", "k"])
    .select((eb) => [
      "t.id",
      sql<number | null>`t.revision`.as("revision"),
      eb
        .selectFrom("DeploymentRequest as r")
        .innerJoin("Service as s", "s.id", "r.serviceId")
        .innerJoin("Environment as e", "e.id", "r.environmentId")
        .innerJoin("User as u", "u.id", "r.requesterId")
        .leftJoin("ServiceEnvironment as se", (join) => join.onRef("se.serviceId", "=", "r.serviceId").onRef("se.environmentId", "=", "r.environmentId"))
        .select((eb) =>
          jsonBuildObject({
            id: eb.ref("r.id"),
            version: eb.ref("r.version"),
            previousVersion: eb.ref("r.previousVersion"),
            strategy: eb.ref("r.strategy"),
            summary: eb.ref("r.summary"),
            ticketKey: eb.ref("r.ticketKey"),
            createdAt: eb.ref("r.createdAt"),
            expiresAt: eb.ref("r.expiresAt"),
            requesterId: eb.ref("r.requesterId"),
            requesterName: eb.ref("u.name"),
            approvalsRequired: eb.ref("r.approvalsRequired"),
            policySnapshot: eb.ref("r.policySnapshot"),
            riskScore: eb.ref("r.riskScore"),
            riskReasons: eb.ref("r.riskReasons"),
            failureProbability: eb.ref("r.failureProbability"),
            failureReasons: eb.ref("r.failureReasons"),
            serviceId: eb.ref("s.id"),
            serviceSlug: eb.ref("s.slug"),
            serviceName: eb.ref("s.name"),
            serviceTier: eb.ref("s.tier"),
            teamId: eb.ref("s.teamId"),
            environmentId: eb.ref("e.id"),
            environmentName: eb.ref("e.name"),
            isProduction: eb.ref("e.isProduction"),
            currentVersion: eb.ref("se.currentVersion"),
            recentFailures: eb
              .selectFrom("DeploymentRequest as x")
              .select((eb) => eb.fn.countAll<number>().as("n"))
              .whereRef("x.serviceId", "=", "r.serviceId")
              .where("x.status", "in", [sql.lit<DeploymentStatus>("failed"), sql.lit<DeploymentStatus>("rolled_back")])
              .where("x.finishedAt", ">=", since)
              .$asScalar(),
            // While pending, every decision is an approval: approvedBy, oldest first (unnest WITH ORDINALITY is
            // beyond the query builder).
            approvals: sql<{ approverId: string; name: string; decision: string }[] | null>`(
                SELECT json_agg(json_build_object('approverId', a.id, 'name', au.name, 'decision', 'approve') ORDER BY a.n)
                  FROM unnest(r."approvedBy") WITH ORDINALITY a (id, n) JOIN "User" au ON au.id = a.id)`,
          }).as("details"),
        )
        .whereRef("r.id", "=", "t.id")
        .$asScalar()
        .as("details"),
    ])
    .where(sql<number | null>`(k.revisions ->> t.id)::int`, "is distinct from", sql.ref<number>("t.revision"))
    // The cached requests no longer among them (revision and details null: drop). Typed `never` to pass as the
    // details' type; PendingChange says what a row is.
    .unionAll((eb) =>
      eb
        .selectFrom(["k", sql<{ key: string }>`jsonb_each(k.revisions)`.as("g")])
        .select(["g.key as id", sql<number | null>`null::int`.as("revision"), sql<never>`null::json`.as("details")])
        .where(({ not, exists, selectFrom }) => not(exists(selectFrom("top").select(sql.lit(1).as("one")).whereRef("top.id", "=", "g.key")))),
    ),
);

type Details = NonNullable<Awaited<ReturnType<typeof PENDING_CHANGES.execute>>[number]["details"]>;
/** A row of PENDING_CHANGES: a new, changed or stale pending request with its details, or (both null) one gone. */
type PendingChange = { id: string; revision: number; details: Details } | { id: string; revision: null; details: null };

function fromDetails(d: Details) {
  // JSON gives timestamps as ISO text without a zone (they are UTC); JSON columns as what they hold.
  const row = {
    ...d,
    createdAt: parseUtcTimestamp(d.createdAt),
    expiresAt: d.expiresAt === null ? null : parseUtcTimestamp(d.expiresAt),
    policySnapshot: d.policySnapshot as PolicySnapshot,
    riskReasons: d.riskReasons as RiskReason[] | null,
    failureReasons: d.failureReasons as FailureReason[] | null,
  };
  return {
    key: { at: row.createdAt.getTime(), id: row.id },
    rule: approverRule(row.policySnapshot, { requesterId: row.requesterId, owningTeamId: row.teamId }),
    approverIds: (row.approvals ?? []).map((a) => a.approverId),
    item: sharedItem(row),
    listed: new Map<string | null, InboxItem>(),
  };
}

const pendingFor = sharedReadPer((db: Db) => pendingView(db));

function sharedItem(
  p: Omit<Details, "createdAt" | "expiresAt" | "policySnapshot" | "riskReasons" | "failureReasons"> & {
    createdAt: Date;
    expiresAt: Date | null;
    policySnapshot: PolicySnapshot;
    riskReasons: RiskReason[] | null;
    failureReasons: FailureReason[] | null;
  },
) {
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
    // The learned model's estimate (null while it falls back to the hand-set score) and its main reasons.
    failure: p.failureProbability === null ? null : { probability: p.failureProbability, reasons: p.failureReasons ?? [] },
  };
}
type SharedItem = ReturnType<typeof sharedItem>;

/**
 * The listed item for an answer to "may the caller decide?" (null: yes; otherwise why not), made once per answer.
 * Immutable: every answer that lists it reuses its serialised form (server/platform/wire-format.ts).
 */
function listed(c: Cached, whyNot: string | null) {
  let item = c.listed.get(whyNot);
  if (!item) c.listed.set(whyNot, (item = immutableAnswerPart({ ...c.item, canDecide: whyNot === null, whyNot })));
  return item;
}

type InboxItem = Readonly<SharedItem & { canDecide: boolean; whyNot: string | null }>;

type Key = { at: number; id: string };

const compareKeys = (a: Key, b: Key) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Whether a caller's split of `b` holds for `a` (revision changes with every decision; rules with the owning team). */
const sameEligibility = (a: Cached, b: Cached) =>
  a.key.id === b.key.id &&
  a.revision === b.revision &&
  a.rule.requesterId === b.rule.requesterId &&
  a.rule.minRank === b.rule.minRank &&
  a.rule.teamIds.join() === b.rule.teamIds.join();

/** A page's cursor: the key of its last item, as text ("<createdAt ms>_<id>"). */
export const INBOX_CURSOR = /^(\d{1,15})_(.{1,64})$/;
const cursorOf = (k: Key) => `${k.at}_${k.id}`;
function keyOf(cursor: string): Key {
  const m = INBOX_CURSOR.exec(cursor);
  if (!m) throw badRequest("Not a cursor of this inbox", "cursor");
  return { at: Number(m[1]), id: m[2] };
}

/**
 * The caller's split of a view: what they may decide (and have not approved yet), and the others. Eligibility is
 * the caller's role and teams (the same for most approvers: made once per view for each role and teams) except on
 * the requests they made or already approved (a few: set apart per caller), so a caller's split of a new view costs a
 * pass over integers, not an eligibility check per pending request.
 */
function splitFor(view: View, user: SessionUser): Split {
  const who = `${user.id}\u0000${user.role}\u0000${user.teamIds.join(",")}`;
  let split = view.splits.byCaller.get(who);
  if (split) return split;
  const byClass = classSplit(view, user);
  const own = personalPositions(view).get(user.id);
  if (!own) split = byClass;
  else {
    // Their own requests and those they approved are never theirs to decide.
    const excluded = new Set(own);
    const mine = byClass.mine.filter((i) => !excluded.has(i));
    const moved = byClass.mine.filter((i) => excluded.has(i));
    split = { mine, others: moved.length === 0 ? byClass.others : mergeSorted(byClass.others, moved) };
  }
  view.splits.byCaller.set(who, split);
  return split;
}

/** What anyone with `user`'s role and teams may decide, but for their own requests and those they approved. */
function classSplit(view: View, user: SessionUser): Split {
  const key = `${user.role}\u0000${user.teamIds.join(",")}`;
  let split = view.splits.byClass.get(key);
  if (split) return split;
  split = { mine: [], others: [] };
  // No request's requester: the requester check is the personal part.
  const anyone = { id: "\u0000", role: user.role, teamIds: user.teamIds };
  for (let i = 0; i < view.list.length; i++) (mayApprove(anyone, view.list[i].rule) ? split.mine : split.others).push(i);
  view.splits.byClass.set(key, split);
  return split;
}

/** Per user: the positions (in order) of the requests they made or approved. */
function personalPositions(view: View): Map<string, number[]> {
  if (view.splits.personal) return view.splits.personal;
  const personal = new Map<string, number[]>();
  const add = (userId: string, i: number) => {
    const list = personal.get(userId);
    if (!list) personal.set(userId, [i]);
    else if (list[list.length - 1] !== i) list.push(i);
  };
  view.list.forEach((c, i) => {
    add(c.rule.requesterId, i);
    // While a request is pending, every decision on it is an approval.
    for (const id of c.approverIds) add(id, i);
  });
  return (view.splits.personal = personal);
}

/** Two ascending lists of positions as one. */
function mergeSorted(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) out.push(j >= b.length || (i < a.length && a[i] < b[j]) ? a[i++] : b[j++]);
  return out;
}

type InboxPageQuery = { list?: "mine" | "others"; cursor?: string | null; limit?: number };

/**
 * One page of the caller's inbox: the requests they may decide ("mine") or those waiting on others, oldest first,
 * after `cursor` (the nextCursor of the page before: a request decided between pages shifts nothing), with how many
 * there are in each list in all (among the oldest INBOX_PENDING_CAP pending requests).
 */
export async function approvalInbox(db: Db, user: SessionUser, { list = "mine", cursor = null, limit = INBOX_PAGE_SIZE }: InboxPageQuery = {}) {
  const after = cursor === null ? null : keyOf(cursor);
  const view = await pendingFor(db);
  const split = splitFor(view, user);
  const positions = split[list];
  // The first position past the cursor (binary search: positions are in key order).
  let lo = 0;
  if (after) {
    let hi = positions.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys(view.list[positions[mid]].key, after) <= 0) lo = mid + 1;
      else hi = mid;
    }
  }
  const page = positions.slice(lo, lo + Math.min(Math.max(1, limit), INBOX_MAX_PAGE));
  const items = page.map((i) => {
    const c = view.list[i];
    return list === "mine" ? listed(c, null) : listed(c, c.approverIds.includes(user.id) ? "You already approved" : whyNotApprover(user, c.rule));
  });
  const last = page.length > 0 ? view.list[page[page.length - 1]] : null;
  return {
    items,
    counts: { mine: split.mine.length, others: split.others.length },
    nextCursor: last && lo + page.length < positions.length ? cursorOf(last.key) : null,
  };
}
