// The four keys, computed by Postgres (ARCHITECTURE rule 6). Definitions (also shown on the dashboard):
//   deployment frequency  successful deployments (succeeded, or later rolled back) in the range, excluding
//                         rollback deployments themselves; per day and per week.
//   lead time             per change shipped to the environment in the range: deployment time − commit (authored)
//                         time; median and p90 (percentile_cont).
//   change failure rate   of those deployments, the share rolled back or with an incident linked to them.
//   time to restore       incidents detected in the range and resolved: resolved − detected; median and p90.
// Incidents without an environment count as production. Weeks start on Monday in the requested time zone.
import type { Db, Tx } from "../db";
import { Prisma } from "../db";
import { badRequest } from "../errors";
import { failureRateLevel, frequencyLevel, leadTimeLevel, restoreLevel, type DoraLevel } from "./levels";

export type DoraFilter = {
  from: Date;
  to: Date;
  environment?: string;
  teamId?: string | null;
  serviceId?: string | null;
  /** IANA zone for day/week buckets. */
  timeZone?: string;
};

export type ResolvedFilter = Required<Pick<DoraFilter, "from" | "to">> & {
  environmentId: string;
  environmentName: string;
  isProduction: boolean;
  teamId: string | null;
  serviceId: string | null;
  timeZone: string;
};

/** Checks the filter and resolves the environment name (default: the production environment). */
export async function resolveFilter(db: Db | Tx, f: DoraFilter): Promise<ResolvedFilter> {
  if (!(f.from instanceof Date) || Number.isNaN(f.from.getTime())) throw badRequest("from must be a date", "from");
  if (!(f.to instanceof Date) || Number.isNaN(f.to.getTime())) throw badRequest("to must be a date", "to");
  if (f.to <= f.from) throw badRequest("The end of the range must be after its start", "to");
  if (f.to.getTime() - f.from.getTime() > 731 * 86_400_000) throw badRequest("The range may span at most two years", "from");
  const timeZone = f.timeZone ?? "UTC";
  if (!isValidTimeZone(timeZone)) throw badRequest(`Unknown time zone "${timeZone}"`, "timeZone");
  const env = f.environment
    ? await db.environment.findFirst({ where: { name: { equals: f.environment, mode: "insensitive" } } })
    : await db.environment.findFirst({ where: { isProduction: true }, orderBy: { rank: "desc" } });
  if (!env) throw badRequest(f.environment ? `Unknown environment "${f.environment}"` : "No production environment is configured", "environment");
  return {
    from: f.from,
    to: f.to,
    environmentId: env.id,
    environmentName: env.name,
    isProduction: env.isProduction,
    teamId: f.teamId ?? null,
    serviceId: f.serviceId ?? null,
    timeZone,
  };
}

function isValidTimeZone(tz: string) {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** A JS instant as the UTC `timestamp` Prisma stores, independent of the session's TimeZone setting. */
export const utc = (d: Date) => Prisma.sql`(${d.toISOString()}::timestamptz AT TIME ZONE 'UTC')`;
/** A stored UTC timestamp column as local time in `tz` (for day/week buckets). */
const local = (column: Prisma.Sql, tz: string) => Prisma.sql`((${column} AT TIME ZONE 'UTC') AT TIME ZONE ${tz})`;

/** service/team restriction on a table alias with a "serviceId" column. */
export function scopeSql(alias: string, f: Pick<ResolvedFilter, "serviceId" | "teamId">) {
  const col = Prisma.raw(`${alias}."serviceId"`);
  if (f.serviceId) return Prisma.sql`AND ${col} = ${f.serviceId}`;
  if (f.teamId) return Prisma.sql`AND ${col} IN (SELECT id FROM "Service" WHERE "teamId" = ${f.teamId})`;
  return Prisma.empty;
}

export function incidentEnvSql(f: ResolvedFilter) {
  return f.isProduction
    ? Prisma.sql`AND (i."environmentId" = ${f.environmentId} OR i."environmentId" IS NULL)`
    : Prisma.sql`AND i."environmentId" = ${f.environmentId}`;
}

export type KeyFigures = {
  deployments: number;
  failures: number;
  deploymentsPerDay: number;
  deploymentsPerWeek: number;
  changeFailureRate: number | null;
  changes: number;
  leadTimeP50: number | null;
  leadTimeP90: number | null;
  incidents: number;
  resolvedIncidents: number;
  restoreP50: number | null;
  restoreP90: number | null;
};

/**
 * The four keys for one range: three aggregate scans over covering indexes. They run as separate statements so a
 * pooled client executes them in parallel on three connections (a single CTE query would run them one after the other).
 */
export async function keyFigures(db: Db | Tx, f: ResolvedFilter, from = f.from, to = f.to): Promise<KeyFigures> {
  const [[dep], [lt], [rs]] = await Promise.all([
    db.$queryRaw<{ deployments: bigint; failures: bigint }[]>`
      SELECT count(*) AS deployments, count(*) FILTER (WHERE d.status = 'rolled_back' OR d."hasIncident") AS failures
      FROM "Deployment" d
      WHERE d."environmentId" = ${f.environmentId} AND d."deployedAt" >= ${utc(from)} AND d."deployedAt" < ${utc(to)}
        AND d.status IN ('succeeded', 'rolled_back') AND NOT d."isRollback" ${scopeSql("d", f)}`,
    db.$queryRaw<{ changes: bigint; lt50: number | null; lt90: number | null }[]>`
      SELECT count(*) AS changes,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY dc."leadTimeSeconds") AS lt50,
             percentile_cont(0.9) WITHIN GROUP (ORDER BY dc."leadTimeSeconds") AS lt90
      FROM "DeploymentChange" dc
      WHERE dc."environmentId" = ${f.environmentId} AND dc."deployedAt" >= ${utc(from)} AND dc."deployedAt" < ${utc(to)} ${scopeSql("dc", f)}`,
    db.$queryRaw<{ incidents: bigint; resolved: bigint; r50: number | null; r90: number | null }[]>`
      SELECT count(*) AS incidents, count(i."resolvedAt") AS resolved,
             (percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM i."resolvedAt" - i."detectedAt")) FILTER (WHERE i."resolvedAt" IS NOT NULL))::float8 AS r50,
             (percentile_cont(0.9) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM i."resolvedAt" - i."detectedAt")) FILTER (WHERE i."resolvedAt" IS NOT NULL))::float8 AS r90
      FROM "Incident" i
      WHERE i."detectedAt" >= ${utc(from)} AND i."detectedAt" < ${utc(to)} ${incidentEnvSql(f)} ${scopeSql("i", f)}`,
  ]);
  const row = { ...dep, ...lt, ...rs };
  const days = (to.getTime() - from.getTime()) / 86_400_000;
  const deployments = Number(row.deployments);
  const failures = Number(row.failures);
  return {
    deployments,
    failures,
    deploymentsPerDay: deployments / days,
    deploymentsPerWeek: (deployments / days) * 7,
    changeFailureRate: deployments === 0 ? null : failures / deployments,
    changes: Number(row.changes),
    leadTimeP50: num(row.lt50),
    leadTimeP90: num(row.lt90),
    incidents: Number(row.incidents),
    resolvedIncidents: Number(row.resolved),
    restoreP50: num(row.r50),
    restoreP90: num(row.r90),
  };
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export type Levels = { deploymentFrequency: DoraLevel | null; leadTime: DoraLevel | null; changeFailureRate: DoraLevel | null; timeToRestore: DoraLevel | null };

export function levelsOf(k: KeyFigures): Levels {
  return {
    // No deployments at all: nothing to judge (a new service is not "low").
    deploymentFrequency: k.deployments === 0 ? null : frequencyLevel(k.deploymentsPerDay),
    leadTime: leadTimeLevel(k.leadTimeP50),
    changeFailureRate: failureRateLevel(k.changeFailureRate),
    timeToRestore: restoreLevel(k.restoreP50),
  };
}

/** The dashboard summary: this range, the same-length range just before it, and the levels. */
export async function doraSummary(db: Db | Tx, filter: DoraFilter) {
  const f = await resolveFilter(db, filter);
  const span = f.to.getTime() - f.from.getTime();
  const previousFrom = new Date(f.from.getTime() - span);
  const [current, previous] = await Promise.all([keyFigures(db, f), keyFigures(db, f, previousFrom, f.from)]);
  return {
    filter: { from: f.from, to: f.to, environment: f.environmentName, teamId: f.teamId, serviceId: f.serviceId, timeZone: f.timeZone },
    current,
    previous,
    previousRange: { from: previousFrom, to: f.from },
    levels: levelsOf(current),
  };
}

export type WeekPoint = {
  weekStart: string;
  deployments: number;
  failures: number;
  changeFailureRate: number | null;
  leadTimeP50: number | null;
  restoreP50: number | null;
  incidents: number;
};

/** Weekly trend (weeks start Monday 00:00 in the filter's time zone); weeks with nothing show zeros/nulls. */
export async function weeklyTrend(db: Db | Tx, filter: DoraFilter): Promise<WeekPoint[]> {
  const f = await resolveFilter(db, filter);
  const tz = f.timeZone;
  const wk = (col: string) => Prisma.sql`date_trunc('week', ${local(Prisma.raw(col), tz)})`;
  const rows = await db.$queryRaw<{ wk: Date; deployments: bigint; failures: bigint; lt50: number | null; r50: number | null; incidents: bigint }[]>`
    WITH weeks AS (
      SELECT generate_series(date_trunc('week', ${local(utc(f.from), tz)}), date_trunc('week', ${local(utc(new Date(f.to.getTime() - 1)), tz)}), interval '1 week') AS wk
    ), dep AS (
      SELECT ${wk('d."deployedAt"')} AS wk, count(*) AS deployments,
             count(*) FILTER (WHERE d.status = 'rolled_back' OR d."hasIncident") AS failures
      FROM "Deployment" d
      WHERE d."environmentId" = ${f.environmentId} AND d."deployedAt" >= ${utc(f.from)} AND d."deployedAt" < ${utc(f.to)}
        AND d.status IN ('succeeded', 'rolled_back') AND NOT d."isRollback" ${scopeSql("d", f)}
      GROUP BY 1
    ), lt AS (
      SELECT ${wk('dc."deployedAt"')} AS wk, percentile_cont(0.5) WITHIN GROUP (ORDER BY dc."leadTimeSeconds") AS lt50
      FROM "DeploymentChange" dc
      WHERE dc."environmentId" = ${f.environmentId} AND dc."deployedAt" >= ${utc(f.from)} AND dc."deployedAt" < ${utc(f.to)} ${scopeSql("dc", f)}
      GROUP BY 1
    ), rs AS (
      SELECT ${wk('i."detectedAt"')} AS wk, count(*) AS incidents,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM i."resolvedAt" - i."detectedAt")) FILTER (WHERE i."resolvedAt" IS NOT NULL) AS r50
      FROM "Incident" i
      WHERE i."detectedAt" >= ${utc(f.from)} AND i."detectedAt" < ${utc(f.to)} ${incidentEnvSql(f)} ${scopeSql("i", f)}
      GROUP BY 1
    )
    SELECT weeks.wk, COALESCE(dep.deployments, 0) AS deployments, COALESCE(dep.failures, 0) AS failures,
           lt.lt50, rs.r50::float8 AS r50, COALESCE(rs.incidents, 0) AS incidents
    FROM weeks LEFT JOIN dep USING (wk) LEFT JOIN lt USING (wk) LEFT JOIN rs USING (wk)
    ORDER BY weeks.wk`;
  return rows.map((r) => {
    const deployments = Number(r.deployments);
    const failures = Number(r.failures);
    return {
      // The local calendar date the week starts on (a wall-clock date, not an instant).
      weekStart: isoDate(r.wk),
      deployments,
      failures,
      changeFailureRate: deployments === 0 ? null : failures / deployments,
      leadTimeP50: num(r.lt50),
      restoreP50: num(r.r50),
      incidents: Number(r.incidents),
    };
  });
}

/** A `timestamp without time zone` comes back as a Date whose UTC fields are the wall-clock fields. */
const isoDate = (d: Date) => d.toISOString().slice(0, 10);
