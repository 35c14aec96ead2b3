// Drill-down: the exact rows behind each number on the dashboard, selected with the same SQL predicates as
// server/dora/metrics.ts so a count there always equals the row count here.
import type { Db, Tx } from "../db";
import { Prisma } from "../db";
import { incidentEnvSql, resolveFilter, scopeSql, utc, type DoraFilter, type ResolvedFilter } from "./metrics";

export const DRILLDOWN_LIMIT = 500;

export type DrilldownInput = DoraFilter & {
  /** Restrict to one trend week (YYYY-MM-DD, the local Monday in the filter's time zone). */
  week?: string | null;
};

function weekSql(column: string, f: ResolvedFilter, week?: string | null) {
  if (!week) return Prisma.empty;
  return Prisma.sql`AND date_trunc('week', ((${Prisma.raw(column)} AT TIME ZONE 'UTC') AT TIME ZONE ${f.timeZone})) = ${week}::timestamp`;
}

export type DeploymentRow = {
  id: string;
  serviceId: string | null;
  serviceName: string;
  environmentName: string;
  version: string;
  status: string;
  deployedAt: Date;
  rolledBackAt: Date | null;
  source: string;
  deploymentRequestId: string | null;
  isFailure: boolean;
  incidents: number;
  changes: number;
};

/** Deployments counted by deployment frequency (or, with onlyFailures, by change failure rate's numerator). */
export async function deploymentsBehind(db: Db | Tx, input: DrilldownInput & { onlyFailures?: boolean }) {
  const f = await resolveFilter(db, input);
  const failures = input.onlyFailures ? Prisma.sql`AND (d.status = 'rolled_back' OR d."hasIncident")` : Prisma.empty;
  const where = Prisma.sql`
    WHERE d."environmentId" = ${f.environmentId} AND d."deployedAt" >= ${utc(f.from)} AND d."deployedAt" < ${utc(f.to)}
      AND d.status IN ('succeeded', 'rolled_back') AND NOT d."isRollback" ${scopeSql("d", f)} ${failures} ${weekSql('d."deployedAt"', f, input.week)}`;
  const [rows, [{ total }]] = await Promise.all([
    db.$queryRaw<DeploymentRow[]>`
      SELECT d.id, d."serviceId", d."serviceName", d."environmentName", d.version, d.status, d."deployedAt", d."rolledBackAt",
             d.source, d."deploymentRequestId", (d.status = 'rolled_back' OR d."hasIncident") AS "isFailure",
             (SELECT count(*)::int FROM "Incident" i WHERE i."deploymentId" = d.id) AS incidents,
             (SELECT count(*)::int FROM "DeploymentChange" dc WHERE dc."deploymentId" = d.id) AS changes
      FROM "Deployment" d ${where}
      ORDER BY d."deployedAt" DESC LIMIT ${DRILLDOWN_LIMIT}`,
    db.$queryRaw<{ total: number }[]>`SELECT count(*)::int AS total FROM "Deployment" d ${where}`,
  ]);
  return { rows, total };
}

export type ChangeRow = {
  changeId: string;
  externalId: string;
  title: string;
  repository: string;
  serviceName: string;
  authoredAt: Date;
  mergedAt: Date | null;
  deploymentId: string;
  deployedAt: Date;
  version: string;
  leadTimeSeconds: number;
};

/** The changes whose lead times make up the lead-time percentiles, slowest first. */
export async function changesBehind(db: Db | Tx, input: DrilldownInput & { deploymentId?: string | null }) {
  const f = await resolveFilter(db, input);
  const byDeployment = input.deploymentId ? Prisma.sql`AND dc."deploymentId" = ${input.deploymentId}` : Prisma.empty;
  const where = Prisma.sql`
    WHERE dc."environmentId" = ${f.environmentId} AND dc."deployedAt" >= ${utc(f.from)} AND dc."deployedAt" < ${utc(f.to)}
      ${scopeSql("dc", f)} ${byDeployment} ${weekSql('dc."deployedAt"', f, input.week)}`;
  const [rows, [{ total }]] = await Promise.all([
    db.$queryRaw<ChangeRow[]>`
      SELECT c.id AS "changeId", c."externalId", c.title, c.repository, c."serviceName", c."authoredAt", c."mergedAt",
             dc."deploymentId", dc."deployedAt", d.version, dc."leadTimeSeconds"
      FROM "DeploymentChange" dc JOIN "Change" c ON c.id = dc."changeId" JOIN "Deployment" d ON d.id = dc."deploymentId"
      ${where}
      ORDER BY dc."leadTimeSeconds" DESC LIMIT ${DRILLDOWN_LIMIT}`,
    db.$queryRaw<{ total: number }[]>`SELECT count(*)::int AS total FROM "DeploymentChange" dc ${where}`,
  ]);
  return { rows, total };
}

export type IncidentRow = {
  id: string;
  title: string;
  severity: string;
  serviceId: string | null;
  serviceName: string;
  detectedAt: Date;
  resolvedAt: Date | null;
  restoreSeconds: number | null;
  deploymentId: string | null;
  deploymentVersion: string | null;
  source: string;
};

/** Incidents counted by time to restore (detected in range; open ones listed, not in the percentiles). */
export async function incidentsBehind(db: Db | Tx, input: DrilldownInput) {
  const f = await resolveFilter(db, input);
  const where = Prisma.sql`
    WHERE i."detectedAt" >= ${utc(f.from)} AND i."detectedAt" < ${utc(f.to)} ${incidentEnvSql(f)} ${scopeSql("i", f)}
      ${weekSql('i."detectedAt"', f, input.week)}`;
  const [rows, [{ total }]] = await Promise.all([
    db.$queryRaw<IncidentRow[]>`
      SELECT i.id, i.title, i.severity, i."serviceId", i."serviceName", i."detectedAt", i."resolvedAt",
             EXTRACT(EPOCH FROM i."resolvedAt" - i."detectedAt")::float8 AS "restoreSeconds",
             i."deploymentId", d.version AS "deploymentVersion", i.source
      FROM "Incident" i LEFT JOIN "Deployment" d ON d.id = i."deploymentId"
      ${where}
      ORDER BY i."detectedAt" DESC LIMIT ${DRILLDOWN_LIMIT}`,
    db.$queryRaw<{ total: number }[]>`SELECT count(*)::int AS total FROM "Incident" i ${where}`,
  ]);
  return { rows, total };
}
