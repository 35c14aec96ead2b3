// What the risk model knows about a deployment request: only what was known when it was requested. The facts come
// from one SQL query (the same for training on finished requests and for scoring a new or pending one, so the two
// never drift apart); the service's record counts only requests that had finished before this one was created, so
// a request's features never see its own outcome or any later one. The same query scores a request not made yet
// (the request form's preview) as if it were made now. Encoding them as numbers and phrasing a feature's
// contribution for approvers happen here too.
import type { DeploymentStatus, DeploymentStrategy } from "@/generated/prisma/enums";
import { sql, transaction, type DB, type Db, type Kysely } from "../../db";
import { versionJump, type VersionJump } from "../version";

/** Finished runs in the service's record (the same set the hand-set score's change failure rate counts). */
const FINISHED = ["succeeded", "failed", "rolled_back"] as const satisfies readonly DeploymentStatus[];
/** How many of the service's latest finished runs in the environment the failure record looks at. */
const RECENT_RUNS = 10;
const DAY_MS = 86_400_000;
/** How far back the size of a change looks: older changes still not shipped are not counted (bounds the work). */
const CHANGE_HORIZON_DAYS = 90;

export type RequestFacts = {
  id: string;
  createdAt: Date;
  status: DeploymentStatus;
  version: string;
  previousVersion: string | null;
  strategy: DeploymentStrategy;
  environmentName: string;
  isProduction: boolean;
  rank: number;
  tier: number;
  /** UTC weekday (0 Sunday … 6 Saturday) and hour when requested. */
  weekday: number;
  hour: number;
  /** The targets it goes to: those it names, else every target of the environment (0 without a fleet). */
  targets: number;
  /** [finished, failed or rolled back] among the service's last RECENT_RUNS finished runs in this environment. */
  recent: [number, number];
  /** [finished, failed or rolled back] of the service in any environment in the 30 days before (the hand-set score's). */
  month: [number, number];
  /**
   * The changes (commits, PRs) it brings: those in the requested version that the environment had not received when
   * it was requested; null when unknown (no change of the service had been ingested, merged before the request).
   */
  changes: number | null;
};

/** A request as the form holds it before it is made: scored as if made at `createdAt` (now). */
type DraftRequest = {
  serviceId: string;
  environmentId: string;
  version: string;
  previousVersion: string | null;
  strategy: DeploymentStrategy;
  targetNames: readonly string[];
  createdAt: Date;
};

type FactsFilter = { finished: true } | { ids: readonly string[] } | { draft: DraftRequest };

/** The requests to describe, as rows of DeploymentRequest's columns the facts read. */
function requestRows(k: Kysely<DB>, filter: FactsFilter) {
  const stored = k
    .selectFrom("DeploymentRequest")
    .select(["id", "serviceId", "environmentId", "createdAt", "status", "version", "previousVersion", "strategy", "targetNames"]);
  if ("finished" in filter) return stored.where("status", "in", FINISHED);
  if ("ids" in filter) return stored.where("id", "in", filter.ids.length ? [...filter.ids] : [""]);
  const d = filter.draft;
  // One row of the same shape; typed as the stored rows (the column types are the table's).
  return k.selectNoFrom([
    sql<string>`'draft'::text`.as("id"),
    sql<string>`${d.serviceId}::text`.as("serviceId"),
    sql<string>`${d.environmentId}::text`.as("environmentId"),
    sql<Date>`(${d.createdAt.toISOString()}::timestamptz at time zone 'UTC')::timestamp(3)`.as("createdAt"),
    sql<DeploymentStatus>`'pending_approval'::"DeploymentStatus"`.as("status"),
    sql<string>`${d.version}::text`.as("version"),
    sql<string | null>`${d.previousVersion}::text`.as("previousVersion"),
    sql<DeploymentStrategy>`${d.strategy}::"DeploymentStrategy"`.as("strategy"),
    sql<string[]>`${[...d.targetNames]}::text[]`.as("targetNames"),
  ]) as unknown as typeof stored;
}

/** The facts of finished requests (oldest first: the split is by time), of the given requests, or of a draft. */
export async function requestFacts(k: Kysely<DB>, filter: FactsFilter): Promise<RequestFacts[]> {
  const q = k
    .selectFrom(requestRows(k, filter).as("r"))
    .innerJoin("Service as s", "s.id", "r.serviceId")
    .innerJoin("Environment as e", "e.id", "r.environmentId")
    // Where the requested version ran before the request (newest successful deployment of it in another known
    // environment, rollbacks aside): every change shipped there up to then is in it (as changes-between.ts reads it).
    .leftJoinLateral(
      (eb) =>
        eb
          .selectFrom("Deployment as d")
          .select(["d.environmentId", "d.deployedAt"])
          .whereRef("d.serviceId", "=", "r.serviceId")
          .whereRef("d.version", "=", "r.version")
          .where("d.status", "=", "succeeded")
          .where("d.isRollback", "=", false)
          .where("d.environmentId", "is not", null)
          .whereRef("d.environmentId", "<>", "r.environmentId")
          .whereRef("d.deployedAt", "<", "r.createdAt")
          .orderBy("d.deployedAt", "desc")
          .limit(1)
          .as("up"),
      (join) => join.onTrue(),
    )
    .select((eb) => {
      // A change the environment had received (shipped there) before the request was made.
      const inTarget = (changeId: "u.changeId" | "c.id") =>
        eb.exists(
          eb
            .selectFrom("DeploymentChange as t")
            .select("t.changeId")
            .where("t.changeId", "=", sql.ref<string>(changeId))
            .whereRef("t.environmentName", "=", "e.name")
            .whereRef("t.deployedAt", "<", "r.createdAt"),
        );
      // The service's first merged change (an index lookup): before it, the size of a change is unknown.
      const firstMerged = eb
        .selectFrom("Change as h")
        .select((h) => h.fn.min("h.mergedAt").as("at"))
        .whereRef("h.serviceId", "=", "r.serviceId");
      const horizon = sql<Date>`${eb.ref("r.createdAt")} - ${`${CHANGE_HORIZON_DAYS * DAY_MS} milliseconds`}::interval`;
      // The version ran upstream: what was shipped there up to then; else (a first stop) what was merged by then.
      const fromUpstream = eb
        .selectFrom("DeploymentChange as u")
        .select((c) => c.fn.countAll<number>().as("n"))
        .whereRef("u.serviceId", "=", "r.serviceId")
        .whereRef("u.environmentId", "=", "up.environmentId")
        .whereRef("u.deployedAt", "<=", "up.deployedAt")
        .where("u.deployedAt", ">", horizon)
        .where((c) => c.not(inTarget("u.changeId")));
      const merged = eb
        .selectFrom("Change as c")
        .select((c) => c.fn.countAll<number>().as("n"))
        .whereRef("c.serviceId", "=", "r.serviceId")
        .whereRef("c.mergedAt", "<=", "r.createdAt")
        .where("c.mergedAt", ">", horizon)
        .where((c) => c.not(inTarget("c.id")));
      return [
        "r.id",
        "r.createdAt",
        "r.status",
        "r.version",
        "r.previousVersion",
        "r.strategy",
        "e.name as environmentName",
        "e.isProduction",
        "e.rank",
        "s.tier",
        sql<number>`extract(dow from ${eb.ref("r.createdAt")})::int`.as("weekday"),
        sql<number>`extract(hour from ${eb.ref("r.createdAt")})::int`.as("hour"),
        sql<number>`coalesce(nullif(cardinality(${eb.ref("r.targetNames")}), 0), ${eb
          .selectFrom("DeploymentTarget as t")
          .select((t) => t.fn.countAll<number>().as("n"))
          .whereRef("t.environmentId", "=", "r.environmentId")})::int`.as("targets"),
        eb
          .selectFrom(
            eb
              .selectFrom("DeploymentRequest as x")
              .select("x.status")
              .whereRef("x.serviceId", "=", "r.serviceId")
              .whereRef("x.environmentId", "=", "r.environmentId")
              .where("x.status", "in", FINISHED)
              .whereRef("x.finishedAt", "<", "r.createdAt")
              .orderBy("x.finishedAt", "desc")
              .limit(RECENT_RUNS)
              .as("last"),
          )
          .select(sql<[number, number]>`array[count(*), count(*) filter (where last.status <> 'succeeded')]::int[]`.as("n"))
          .as("recent"),
        eb
          .selectFrom("DeploymentRequest as m")
          .select(sql<[number, number]>`array[count(*), count(*) filter (where m.status <> 'succeeded')]::int[]`.as("n"))
          .whereRef("m.serviceId", "=", "r.serviceId")
          .where("m.status", "in", FINISHED)
          .whereRef("m.finishedAt", "<", "r.createdAt")
          .where("m.finishedAt", ">=", sql<Date>`${eb.ref("r.createdAt")} - ${`${30 * DAY_MS} milliseconds`}::interval`)
          .as("month"),
        sql<number | null>`case when not coalesce((${firstMerged}) <= ${eb.ref("r.createdAt")}, false) then null
        when ${eb.ref("up.deployedAt")} is not null then (${fromUpstream})::int else (${merged})::int end`.as("changes"),
      ];
    });
  const rows = await q.orderBy("r.createdAt").orderBy("r.id").execute();
  return rows.map((r) => ({ ...r, recent: r.recent ?? [0, 0], month: r.month ?? [0, 0] }));
}

/**
 * Every finished request's facts, for training. Without JIT: the correlated look-ups make the planner's estimate
 * large enough to JIT-compile a query that runs in about a second, and compiling took longer than running it.
 */
export function finishedRequestFacts(db: Db): Promise<RequestFacts[]> {
  return transaction(db, async (tx) => {
    await sql`set local jit = off`.execute(tx);
    return requestFacts(tx, { finished: true });
  });
}

export const isFailure = (status: DeploymentStatus) => status === "failed" || status === "rolled_back";

type Feature = {
  name: string;
  /** The value (0 for the baseline: a rolling patch release to dev of a tier-2 service in working hours). */
  value: (f: RequestFacts, jump: VersionJump) => number;
  /** What the feature says about this request, for "… raises risk" / "… lowers risk". */
  detail: (f: RequestFacts) => string;
};

const offHours = (f: RequestFacts) => f.weekday !== 0 && f.weekday !== 6 && (f.hour < 9 || f.hour >= 17);

/** The model's features, in the order of its weights. Indicators are 0/1; the failure record is a fraction. */
const FEATURES: readonly Feature[] = [
  { name: "production", value: (f) => +f.isProduction, detail: (f) => `deploying to production (${f.environmentName})` },
  { name: "pre_production", value: (f) => +(!f.isProduction && f.rank >= 20), detail: (f) => `deploying to pre-production (${f.environmentName})` },
  { name: "tier_critical", value: (f) => +(f.tier <= 1), detail: (f) => `tier ${f.tier} service` },
  { name: "tier_low", value: (f) => +(f.tier >= 3), detail: (f) => `tier ${f.tier} service` },
  { name: "major_jump", value: (_, j) => +(j === "major"), detail: (f) => `major version jump ${f.previousVersion} → ${f.version}` },
  { name: "minor_jump", value: (_, j) => +(j === "minor"), detail: (f) => `minor version jump ${f.previousVersion} → ${f.version}` },
  { name: "downgrade", value: (_, j) => +(j === "downgrade"), detail: (f) => `downgrade ${f.previousVersion} → ${f.version}` },
  {
    name: "first_or_unknown",
    value: (_, j) => +(j === "first" || j === "unknown"),
    detail: (f) => (f.previousVersion ? "version change of unknown size" : "first deployment here"),
  },
  {
    name: "recent_failure_rate",
    value: (f) => (f.recent[0] ? f.recent[1] / f.recent[0] : 0),
    detail: (f) => `service failed ${f.recent[1]} of its last ${f.recent[0]} in ${f.environmentName}`,
  },
  { name: "weekend", value: (f) => +(f.weekday === 0 || f.weekday === 6), detail: () => "weekend deployment" },
  { name: "off_hours", value: (f) => +offHours(f), detail: () => "outside business hours (09:00–17:00 UTC)" },
  { name: "canary", value: (f) => +(f.strategy === "canary"), detail: () => "canary strategy" },
  { name: "blue_green", value: (f) => +(f.strategy === "blue_green"), detail: () => "blue-green strategy" },
  { name: "targets", value: (f) => Math.log2(1 + f.targets), detail: (f) => `${f.targets} target${f.targets === 1 ? "" : "s"}` },
  // The size of the change; unknown (no change history then) is its own indicator, not "no changes".
  { name: "changes", value: (f) => Math.log2(1 + (f.changes ?? 0)), detail: (f) => `brings ${f.changes} change${f.changes === 1 ? "" : "s"}` },
  { name: "changes_unknown", value: (f) => +(f.changes === null), detail: () => "size of the change unknown (no change history)" },
];

export const FEATURE_NAMES = FEATURES.map((f) => f.name);

export function encode(f: RequestFacts): number[] {
  const jump = versionJump(f.previousVersion, f.version);
  return FEATURES.map((feature) => feature.value(f, jump));
}

export type FailureReason = { feature: string; logOdds: number; detail: string };

/** The `top` features that moved this request's log-odds most from the baseline, phrased for approvers. */
export function mainReasons(f: RequestFacts, x: readonly number[], weights: readonly number[], top = 3): FailureReason[] {
  return FEATURES.map((feature, j) => ({ feature, logOdds: weights[j] * x[j] }))
    .filter((c) => Math.abs(c.logOdds) >= 0.05)
    .sort((a, b) => Math.abs(b.logOdds) - Math.abs(a.logOdds))
    .slice(0, top)
    .map((c) => ({
      feature: c.feature.name,
      logOdds: Math.round(c.logOdds * 100) / 100,
      detail: `${c.feature.detail(f)} ${c.logOdds > 0 ? "raises" : "lowers"} risk`,
    }));
}
