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

/** The key figures and the details of one range (Pier's definitions). */
export async function pierPeriod(db: Db, f: ResolvedFilter, from = f.from, to = f.to): Promise<{ figures: KeyFigures; details: PierDetails }> {
  // Rework counts every deployment of the range (rollbacks too, any target); the keys count those of ./metrics.ts
  // countedDeployments: not rollbacks, on the filter's target.
  const target = targetCondition("d", f);
  const counted = target ? sql<SqlBool>`(NOT d."isRollback" AND ${target})` : sql<SqlBool>`NOT d."isRollback"`;
  const [dep, ch, inc] = await Promise.all([
    deploymentsOut(db, f, from, to)
      .select((eb) => [
        eb.fn.countAll<string>().filterWhere(counted).as("deployments"),
        eb.fn
          .countAll<string>()
          .filterWhere(sql<SqlBool>`${counted} AND ${isFailure}`)
          .as("failures"),
        sql<
          number | null
        >`percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM d."nextGoodDeployedAt" - d."deployedAt")) FILTER (WHERE ${counted} AND ${isFailure})`.as(
          "rec50",
        ),
        eb.fn.countAll<string>().as("all"),
        eb.fn.countAll<string>().filterWhere("d.isRework", "=", true).as("rework"),
      ])
      .executeTakeFirstOrThrow(),
    countedChanges(db, f, from, to)
      .select((eb) => [
        eb.fn.countAll<string>().as("changes"),
        leadTimePercentiles().as("lt"),
        eb.fn.countAll<string>().filterWhere("dc.startKind", "=", "first_commit").as("firstCommit"),
        eb.fn.countAll<string>().filterWhere("dc.startKind", "=", "merge").as("merge"),
        eb.fn.countAll<string>().filterWhere("dc.linkedBy", "=", "listed").as("listed"),
        eb.fn.countAll<string>().filterWhere("dc.linkedBy", "=", "revision").as("revision"),
        eb.fn.countAll<string>().filterWhere("dc.linkedBy", "=", "merge_order").as("mergeOrder"),
      ])
      .executeTakeFirstOrThrow(),
    countedIncidents(db, f, from, to)
      .select((eb) => [
        eb.fn.countAll<string>().as("incidents"),
        eb.fn.count<string>("i.resolvedAt").as("resolved"),
        restorePercentiles().as("r"),
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
      ])
      .executeTakeFirstOrThrow(),
  ]);
  const all = Number(dep.all);
  const rework = Number(dep.rework);
  return {
    figures: keyFiguresOf(from, to, {
      deployments: dep.deployments,
      failures: dep.failures,
      changes: ch.changes,
      lt: ch.lt,
      incidents: inc.incidents,
      resolved: inc.resolved,
      r: inc.r,
    }),
    details: {
      leadTimeStart: { firstCommit: Number(ch.firstCommit), merge: Number(ch.merge) },
      linkage: { listed: Number(ch.listed), revision: Number(ch.revision), mergeOrder: Number(ch.mergeOrder) },
      incidentLinks: { evidence: Number(inc.evidence), heuristic: Number(inc.heuristic), unlinked: Number(inc.unlinked) },
      recoveryP50: dep.rec50 === null ? null : Number(dep.rec50),
      recoveries: Number(dep.failures),
      reworkDeployments: rework,
      allDeployments: all,
      reworkRate: all === 0 ? null : rework / all,
    },
  };
}
