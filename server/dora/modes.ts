// Definition modes: the same facts counted the way Google's Four Keys and Apache DevLake count them, so a team can
// compare Pier with the tool it already runs (README "DORA definitions" cites each line). Pier's own definition is
// server/dora/metrics.ts; these two compute at query time from the canonical rows, in SQL.
//
// Four Keys (github.com/dora-team/fourkeys @ 6cc642e, queries/*.sql and dashboard/fourkeys_dashboard.json):
//   deployment   a successful deploy event that carries at least one known change (deployments.sql joins the
//                push whose head is the deployed commit, plus additional_sha: an inner join, so deploys without
//                changes drop out); rollback deploys count like any deploy.
//   changes      per deployment, the commits of the push whose head it deployed: Pier's changes merged at the
//                deployed revision's merge time (one push = one merge time), plus those the deployment lists. A
//                redeploy of the same commit carries them again.
//   lead time    median (percentile_cont) of deployment time − commit time over (deployment, change) pairs, pairs
//                ≤ 0 ignored ("Ignore automated pushes").
//   CFR          (deployment, change, incident) rows whose incident names the change as root cause ("root cause:
//                <sha>") ÷ distinct deployments.
//   restore      median of resolved − created per incident, created = the earlier of the incident and the
//                deployment that shipped its root cause (incidents.sql), for incidents created in the range.
// DevLake (github.com/apache/incubator-devlake @ 420e494, grafana/dashboards/DORA.json, backend/plugins/dora/tasks):
//   deployment   successful production deployments finished in the range (rollbacks included).
//   changes      PRs whose merge commit is in the commit diff between a deployment and the previous successful
//                one (change_lead_time_calculator.go): Pier's links by list or revision, not the merge-order
//                fallback; a deployment with no previous one ships nothing. Lead time = PR cycle time, first commit
//                (else PR creation) → deployment; median as max(value) with percent_rank ≤ 0.5 (percentile_disc).
//   incidents    linked to the project's last successful production deployment before the incident, no time cap
//                (incident_deploy_connector.go); CFR = deployments with ≥ 1 incident ÷ deployments.
//   restore      2021: median resolved − created of incidents resolved in the range; recovery (2023, "failed
//                deployment recovery time"): median of resolution − the causing deployment, for incidents resolved in
//                the range caused by deployments in the range.
import { sql, type RawBuilder } from "kysely";
import type { Db } from "../db";
import { utc, type ResolvedFilter } from "./metrics";

export const DORA_MODES = ["pier", "fourkeys", "devlake"] as const;
export type DoraMode = (typeof DORA_MODES)[number];

export type ModeFigures = {
  deployments: number;
  failures: number;
  changeFailureRate: number | null;
  changes: number;
  leadTimeP50: number | null;
  leadTimeP90: number | null;
  incidents: number;
  resolvedIncidents: number;
  restoreP50: number | null;
  restoreP90: number | null;
  recoveryP50: number | null;
};

/** `alias."serviceId"` within the filter's service or team. */
function scope(alias: string, f: ResolvedFilter): RawBuilder<unknown> {
  const col = sql.ref(`${alias}.serviceId`);
  if (f.serviceId) return sql`AND ${col} = ${f.serviceId}`;
  if (f.teamId) return sql`AND ${col} IN (SELECT id FROM "Service" WHERE "teamId" = ${f.teamId})`;
  return sql``;
}

/** Incidents of the filter's environment (none named: production). */
const incidentEnv = (f: ResolvedFilter) =>
  f.isProduction ? sql`(i."environmentId" = ${f.environmentId} OR i."environmentId" IS NULL)` : sql`i."environmentId" = ${f.environmentId}`;

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

type Row = Record<string, unknown>;
function figures(r: Row): ModeFigures {
  const deployments = Number(r.deployments ?? 0);
  const failures = Number(r.failures ?? 0);
  return {
    deployments,
    failures,
    changeFailureRate: deployments === 0 ? null : failures / deployments,
    changes: Number(r.changes ?? 0),
    leadTimeP50: num(r.lt50),
    leadTimeP90: num(r.lt90),
    incidents: Number(r.incidents ?? 0),
    resolvedIncidents: Number(r.resolved ?? 0),
    restoreP50: num(r.r50),
    restoreP90: num(r.r90),
    recoveryP50: num(r.rec50),
  };
}

const carries = sql`(c."mergedAt" = d."revisionMergedAt" OR c."externalId" = ANY(d."shippedRefs") OR (c."commitSha" <> '' AND c."commitSha" = ANY(d."shippedRefs")))`;

export async function fourKeysFigures(db: Db, f: ResolvedFilter, from = f.from, to = f.to): Promise<ModeFigures> {
  const { rows } = await sql<Row>`
    WITH d AS (
      SELECT d.id, d."serviceName", d."deployedAt", d."shippedRefs", d."revisionMergedAt" FROM "Deployment" d
      WHERE d."environmentId" = ${f.environmentId} AND d."deployedAt" >= ${utc(from)} AND d."deployedAt" < ${utc(to)}
        AND d.status IN ('succeeded', 'rolled_back') ${scope("d", f)}),
    pairs AS (
      SELECT d.id AS did, c."commitSha", c."externalId",
             EXTRACT(EPOCH FROM d."deployedAt" - COALESCE(c."firstCommitAt", c."authoredAt"))::float8 AS lt
      FROM d JOIN "Change" c ON c."serviceName" = d."serviceName" AND ${carries}),
    root AS (
      SELECT i.id, i."resolvedAt", LEAST(i."detectedAt", (
               SELECT min(d."deployedAt") FROM "Change" c JOIN "Deployment" d ON d."serviceName" = c."serviceName" AND ${carries}
               WHERE i."rootCauseRef" <> '' AND c."serviceName" = i."serviceName"
                 AND (c."commitSha" = i."rootCauseRef" OR c."externalId" = i."rootCauseRef")
                 AND d."environmentId" = ${f.environmentId} AND d.status IN ('succeeded', 'rolled_back'))) AS created
      FROM "Incident" i WHERE ${incidentEnv(f)} AND i."detectedAt" < ${utc(to)} ${scope("i", f)}),
    inc AS (SELECT *, EXTRACT(EPOCH FROM "resolvedAt" - created)::float8 AS restore FROM root
            WHERE created >= ${utc(from)} AND created < ${utc(to)})
    SELECT (SELECT count(DISTINCT did) FROM pairs) AS deployments,
           (SELECT count(*) FROM pairs p JOIN "Incident" i ON i."rootCauseRef" <> ''
              AND (i."rootCauseRef" = p."commitSha" OR i."rootCauseRef" = p."externalId")) AS failures,
           (SELECT count(*) FROM pairs) AS changes,
           (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY lt) FROM pairs WHERE lt > 0) AS lt50,
           (SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY lt) FROM pairs WHERE lt > 0) AS lt90,
           (SELECT count(*) FROM inc) AS incidents,
           (SELECT count("resolvedAt") FROM inc) AS resolved,
           (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY restore) FROM inc WHERE restore IS NOT NULL) AS r50,
           (SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY restore) FROM inc WHERE restore IS NOT NULL) AS r90`.execute(db.replica);
  return figures(rows[0]);
}

export async function devLakeFigures(db: Db, f: ResolvedFilter, from = f.from, to = f.to): Promise<ModeFigures> {
  const { rows } = await sql<Row>`
    WITH d AS (
      SELECT d.id, d."serviceName", d."deployedAt" FROM "Deployment" d
      WHERE d."environmentId" = ${f.environmentId} AND d."deployedAt" >= ${utc(from)} AND d."deployedAt" < ${utc(to)}
        AND d.status IN ('succeeded', 'rolled_back') ${scope("d", f)}),
    lt AS (
      SELECT EXTRACT(EPOCH FROM dc."deployedAt" - COALESCE(c."firstCommitAt", c."authoredAt"))::float8 AS ct
      FROM d JOIN "DeploymentChange" dc ON dc."deploymentId" = d.id JOIN "Change" c ON c.id = dc."changeId"
      WHERE dc."linkedBy" IN ('listed', 'revision')
        AND EXISTS (SELECT 1 FROM "Deployment" p WHERE p."serviceName" = d."serviceName" AND p."environmentId" = ${f.environmentId}
                      AND p.status IN ('succeeded', 'rolled_back') AND p."deployedAt" < d."deployedAt")),
    inc AS (
      SELECT i.id, i."resolvedAt", ld.id AS did, ld."deployedAt" AS dat FROM "Incident" i
      JOIN LATERAL (SELECT p.id, p."deployedAt" FROM "Deployment" p
                    WHERE p."serviceName" = i."serviceName" AND p."environmentId" = ${f.environmentId}
                      AND p.status IN ('succeeded', 'rolled_back') AND p."deployedAt" < i."detectedAt"
                    ORDER BY p."deployedAt" DESC LIMIT 1) ld ON true
      WHERE i."serviceName" <> '' AND i."detectedAt" >= ${utc(from)} ${scope("i", f)}),
    resolved AS (
      SELECT EXTRACT(EPOCH FROM i."resolvedAt" - i."detectedAt")::float8 AS restore FROM "Incident" i
      WHERE i."resolvedAt" >= ${utc(from)} AND i."resolvedAt" < ${utc(to)} ${scope("i", f)})
    SELECT (SELECT count(*) FROM d) AS deployments,
           (SELECT count(*) FROM d WHERE EXISTS (SELECT 1 FROM inc WHERE inc.did = d.id)) AS failures,
           (SELECT count(*) FROM lt) AS changes,
           (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY ct) FROM lt WHERE ct >= 0) AS lt50,
           (SELECT percentile_disc(0.9) WITHIN GROUP (ORDER BY ct) FROM lt WHERE ct >= 0) AS lt90,
           (SELECT count(*) FROM resolved) AS incidents,
           (SELECT count(*) FROM resolved) AS resolved,
           (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY restore) FROM resolved) AS r50,
           (SELECT percentile_disc(0.9) WITHIN GROUP (ORDER BY restore) FROM resolved) AS r90,
           (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM inc."resolvedAt" - inc.dat))
              FROM inc JOIN d ON d.id = inc.did WHERE inc."resolvedAt" >= ${utc(from)} AND inc."resolvedAt" < ${utc(to)}) AS rec50`.execute(db.replica);
  return figures(rows[0]);
}
