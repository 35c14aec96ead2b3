// Pier's figures for one range in three statements, one pass each over a covering index (deployments, change links,
// incidents), with FILTER aggregates instead of a statement per number. Besides the four keys, what stands behind
// them (shown next to them) and the two newer keys:
//   lead-time start   how many counted changes started at their first commit vs at their merge
//   linkage           how many were linked by the deployment's list, by its revision, or by merge-order fallback
//   incident links    incidents in the range linked by evidence (deployment, version, commit, owner) vs by the
//                     same-service window heuristic, or not linked
//   failed deployment recovery time  per change failure in the range (rolled back, or an incident linked): time
//                     to the service's next good deployment in the environment (succeeded, no incident), median
//                     (Deployment.nextGoodDeployedAt, kept by ./deployment-facts.ts)
//   deployment rework rate  (2024 DORA report's fifth key) unplanned deployments ÷ all deployments in the range,
//                     unplanned = rollback deployments and hotfixes (deployed while an incident caused by an earlier
//                     deployment of the service was open; Deployment.isRework, kept by ./deployment-facts.ts)
// For the whole organisation the counts and distributions of whole days come from the daily rollups
// (./rollups.ts); the raw statements below answer the partial days at the range's edges and every narrower scope.
import { sql, type SqlBool } from "kysely";
import type { Db } from "../db";
import {
  countedChanges,
  deploymentsOut,
  countedIncidents,
  isFailure,
  keyFiguresOf,
  leadTimePercentiles,
  restorePercentiles,
  targetCondition,
  type KeyFigures,
  type ResolvedFilter,
} from "./metrics";
import { EXACT_LIMIT, histogramPercentiles, rollupCounts, rollupEligible, splitRange, type RollupCounts, type RollupOptions } from "./rollups";

export type PierDetails = {
  leadTimeStart: { firstCommit: number; merge: number };
  linkage: { listed: number; revision: number; mergeOrder: number };
  incidentLinks: { evidence: number; heuristic: number; unlinked: number };
  recoveryP50: number | null;
  recoveries: number;
  reworkDeployments: number;
  allDeployments: number;
  reworkRate: number | null;
};

type Percentiles = { lt: number[] | null; r: number[] | null; rec50: number | null };

/** The key figures and the details of one range (Pier's definitions). */
export async function pierPeriod(
  db: Db,
  f: ResolvedFilter,
  from = f.from,
  to = f.to,
  options: RollupOptions = {},
): Promise<{ figures: KeyFigures; details: PierDetails }> {
  const split = options.rollups !== false && rollupEligible(f) ? splitRange(from, to) : null;
  if (!split) {
    const raw = await rawAggregates(db, f, from, to, true);
    return periodOf(from, to, raw.counts, raw.percentiles);
  }
  // Two statements: the counts (whole days + the edges' raw rows) and the three distributions.
  const edges = split.edges.map(([a, b]) => {
    const q = rawQueries(db, f, a, b, false);
    return sql`(SELECT * FROM (${q.dep}) dep, (${q.ch}) ch, (${q.inc}) inc)`;
  });
  const [counts, hist] = await Promise.all([rollupCounts(db, f, split.dayFrom, split.dayTo, edges), histogramPercentiles(db, f, split)]);
  // Few values: the exact percentiles from the raw rows (what the histogram approximates within 1 %).
  const limit = options.exactLimit ?? EXACT_LIMIT;
  const exactOr = <T>(values: number, exact: { executeTakeFirstOrThrow(): Promise<{ v: T }> }, fromHistogram: T) =>
    values > 0 && values <= limit ? exact.executeTakeFirstOrThrow().then((x) => x.v) : fromHistogram;
  const [lt, r, rec50] = await Promise.all([
    exactOr(hist.lead.values, countedChanges(db, f, from, to).select(leadTimePercentiles().as("v")), pair(hist.lead)),
    exactOr(hist.restore.values, countedIncidents(db, f, from, to).select(restorePercentiles().as("v")), pair(hist.restore)),
    exactOr(hist.recovery.values, deploymentsOut(db, f, from, to).select(recoveryMedian(sql<SqlBool>`NOT d."isRollback"`).as("v")), hist.recovery.p50),
  ]);
  return periodOf(from, to, counts, { lt, r, rec50 });
}

const pair = (h: { p50: number | null; p90: number | null }) => (h.p50 === null || h.p90 === null ? null : [h.p50, h.p90]);

const recoveryMedian = (counted: ReturnType<typeof sql<SqlBool>>) =>
  sql<
    number | null
  >`percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM d."nextGoodDeployedAt" - d."deployedAt")) FILTER (WHERE ${counted} AND ${isFailure})`;

/** One range from the raw rows: three statements, one pass each over a covering index. */
async function rawAggregates(
  db: Db,
  f: ResolvedFilter,
  from: Date,
  to: Date,
  withPercentiles: boolean,
): Promise<{ counts: RollupCounts; percentiles: Percentiles }> {
  const q = rawQueries(db, f, from, to, withPercentiles);
  const [dep, ch, inc] = await Promise.all([q.dep.executeTakeFirstOrThrow(), q.ch.executeTakeFirstOrThrow(), q.inc.executeTakeFirstOrThrow()]);
  const n = Number;
  return {
    counts: {
      deployments: n(dep.deployments),
      failures: n(dep.failures),
      all: n(dep.all),
      rework: n(dep.rework),
      changes: n(ch.changes),
      firstCommit: n(ch.firstCommit),
      merge: n(ch.merge),
      listed: n(ch.listed),
      revision: n(ch.revision),
      mergeOrder: n(ch.mergeOrder),
      incidents: n(inc.incidents),
      resolved: n(inc.resolved),
      evidence: n(inc.evidence),
      heuristic: n(inc.heuristic),
      unlinked: n(inc.unlinked),
    },
    percentiles: { lt: ch.lt, r: inc.r, rec50: dep.rec50 === null ? null : Number(dep.rec50) },
  };
}

/** The three aggregate queries of one range (each one pass over a covering index); percentiles optional. */
function rawQueries(db: Db, f: ResolvedFilter, from: Date, to: Date, withPercentiles: boolean) {
  // Rework counts every deployment of the range (rollbacks too, any target); the keys count those of ./metrics.ts
  // countedDeployments: not rollbacks, on the filter's target.
  const target = targetCondition("d", f);
  const counted = target ? sql<SqlBool>`(NOT d."isRollback" AND ${target})` : sql<SqlBool>`NOT d."isRollback"`;
  const nothing = sql<null>`NULL`;
  return {
    dep: deploymentsOut(db, f, from, to).select((eb) => [
      eb.fn.countAll<string>().filterWhere(counted).as("deployments"),
      eb.fn
        .countAll<string>()
        .filterWhere(sql<SqlBool>`${counted} AND ${isFailure}`)
        .as("failures"),
      (withPercentiles ? recoveryMedian(counted) : nothing).as("rec50"),
      eb.fn.countAll<string>().as("all"),
      eb.fn.countAll<string>().filterWhere("d.isRework", "=", true).as("rework"),
    ]),
    ch: countedChanges(db, f, from, to).select((eb) => [
      eb.fn.countAll<string>().as("changes"),
      (withPercentiles ? leadTimePercentiles() : nothing).as("lt"),
      eb.fn.countAll<string>().filterWhere("dc.startKind", "=", "first_commit").as("firstCommit"),
      eb.fn.countAll<string>().filterWhere("dc.startKind", "=", "merge").as("merge"),
      eb.fn.countAll<string>().filterWhere("dc.linkedBy", "=", "listed").as("listed"),
      eb.fn.countAll<string>().filterWhere("dc.linkedBy", "=", "revision").as("revision"),
      eb.fn.countAll<string>().filterWhere("dc.linkedBy", "=", "merge_order").as("mergeOrder"),
    ]),
    inc: countedIncidents(db, f, from, to).select((eb) => [
      eb.fn.countAll<string>().as("incidents"),
      eb.fn.count<string>("i.resolvedAt").as("resolved"),
      (withPercentiles ? restorePercentiles() : nothing).as("r"),
      // A disputed link keeps its reason but no deployment: it counts as unlinked.
      eb.fn
        .countAll<string>()
        .filterWhere((w) => w.and([w("i.linkReason", "in", ["deployment", "version", "commit", "manual"]), w("i.deploymentId", "is not", null)]))
        .as("evidence"),
      eb.fn
        .countAll<string>()
        .filterWhere((w) => w.and([w("i.linkReason", "=", "window"), w("i.deploymentId", "is not", null)]))
        .as("heuristic"),
      eb.fn.countAll<string>().filterWhere("i.deploymentId", "is", null).as("unlinked"),
    ]),
  };
}

function periodOf(from: Date, to: Date, c: RollupCounts, p: Percentiles): { figures: KeyFigures; details: PierDetails } {
  return {
    figures: keyFiguresOf(from, to, {
      deployments: c.deployments,
      failures: c.failures,
      changes: c.changes,
      lt: p.lt,
      incidents: c.incidents,
      resolved: c.resolved,
      r: p.r,
    }),
    details: {
      leadTimeStart: { firstCommit: c.firstCommit, merge: c.merge },
      linkage: { listed: c.listed, revision: c.revision, mergeOrder: c.mergeOrder },
      incidentLinks: { evidence: c.evidence, heuristic: c.heuristic, unlinked: c.unlinked },
      recoveryP50: p.rec50 === null ? null : Number(p.rec50),
      recoveries: c.failures,
      reworkDeployments: c.rework,
      allDeployments: c.all,
      reworkRate: c.all === 0 ? null : c.rework / c.all,
    },
  };
}
