// Daily rollups for the org-wide summary (issue #14: 10M deployments answered in < 150 ms needs the work done at
// write time). DoraDayRollup holds, per UTC day × environment (× a slot spreading concurrent writers), the counts the
// summary shows; DoraHistogram the distribution of lead time, time to restore and failed deployment recovery time
// in logarithmic buckets 2 % wide, per UTC day and per UTC week (Monday), so a 90-day range reads ~12 weeks and a
// few days of buckets. Both are kept by statement triggers on Deployment, DeploymentChange and Incident
// (migration 20261203032555_dora_day_rollups): every statement subtracts its old rows and adds its new ones in the
// writer's transaction, so the rollups equal the aggregates of the current rows under out-of-order events, resends,
// relinking and backfills alike, with no writer having to remember them.
//
// Reading a range [from, to): the whole UTC days inside it come from the rollups, the partial days at its edges from
// the raw rows — a range of instants, so any time zone's local dates are answered exactly. Counts are exact.
// A percentile over more than EXACT_LIMIT values is read from the histogram: the bucket holding each order statistic
// stands for it by the value closest to all of the bucket (relative error ≤ 0.99 %, and < 1 s below 1 s), and
// percentile_cont's interpolation between two such values keeps that bound. Up to EXACT_LIMIT values the raw rows
// are sorted (exact, and cheap at that size). Who uses them: Pier's definitions for the whole organisation (no
// service, team or target filter). Team/service scopes read their service-first indexes; Four Keys and DevLake keep
// raw rows (per-(deployment, change) pairs and percentile_disc do not decompose into these counts).
import type { Expression } from "kysely";
import { sql, type Db } from "../db";
import { utc, type ResolvedFilter } from "./metrics";

/** Up to this many values in the range, a percentile is computed exactly from the raw rows. */
export const EXACT_LIMIT = 1000;

export type RollupOptions = {
  /** false: raw rows only (the definition the rollups are tested against). Default: rollups where they apply. */
  rollups?: boolean;
  /** Override EXACT_LIMIT (tests: 0 reads every percentile from the histogram). */
  exactLimit?: number;
};

export type RollupCounts = {
  deployments: number;
  failures: number;
  all: number;
  rework: number;
  changes: number;
  firstCommit: number;
  merge: number;
  listed: number;
  revision: number;
  mergeOrder: number;
  incidents: number;
  resolved: number;
  evidence: number;
  heuristic: number;
  unlinked: number;
};

type HistogramMetric = "lead" | "restore" | "recovery";
export type HistogramPercentiles = Record<HistogramMetric, { values: number; p50: number | null; p90: number | null }>;

const DAY = 86_400_000;

/** The whole UTC days inside [from, to) and the partial edges around them; null when no whole day fits. */
export function splitRange(from: Date, to: Date): { dayFrom: Date; dayTo: Date; edges: [Date, Date][] } | null {
  const dayFrom = new Date(Math.ceil(from.getTime() / DAY) * DAY);
  const dayTo = new Date(Math.floor(to.getTime() / DAY) * DAY);
  if (dayFrom >= dayTo) return null;
  const edges = (
    [
      [from, dayFrom],
      [dayTo, to],
    ] as [Date, Date][]
  ).filter(([a, b]) => a < b);
  return { dayFrom, dayTo, edges };
}

/** Whether Pier's summary for this filter can read the rollups. */
export const rollupEligible = (f: ResolvedFilter) => !f.serviceId && !f.teamId && !f.target;

const isoDay = (d: Date) => d.toISOString().slice(0, 10);

/** Incidents naming no environment count as production (./metrics.ts): their rollup rows are keyed "". */
const incidentEnvironments = (f: ResolvedFilter) => (f.isProduction ? [f.environmentId, ""] : [f.environmentId]);

/** The count columns, in the order every arm of the counts statement selects them. */
const COUNT_COLUMNS = [
  "deployments",
  "failures",
  "all",
  "rework",
  "changes",
  "firstCommit",
  "merge",
  "listed",
  "revision",
  "mergeOrder",
  "incidents",
  "resolved",
  "evidence",
  "heuristic",
  "unlinked",
] as const satisfies readonly (keyof RollupCounts)[];

/**
 * The counts of whole days [dayFrom, dayTo) in the filter's environment plus `edges` (one-row selects of the same
 * columns, from the raw rows of the partial days), summed in one statement.
 */
export async function rollupCounts(db: Db, f: ResolvedFilter, dayFrom: Date, dayTo: Date, edges: Expression<unknown>[] = []): Promise<RollupCounts> {
  const env = f.environmentId;
  const own = (column: string) => sql<string>`COALESCE(sum(${sql.ref(column)}) FILTER (WHERE "environmentId" = ${env}), 0)`;
  const inc = (column: string) => sql<string>`COALESCE(sum(${sql.ref(column)}) FILTER (WHERE "environmentId" = ANY(${incidentEnvironments(f)}::text[])), 0)`;
  const days = db.replica
    .selectFrom("DoraDayRollup")
    .select([
      own("deployments").as("deployments"),
      own("failures").as("failures"),
      own("outDeployments").as("all"),
      own("rework").as("rework"),
      own("changes").as("changes"),
      own("firstCommit").as("firstCommit"),
      own("mergeStart").as("merge"),
      own("listed").as("listed"),
      own("revision").as("revision"),
      own("mergeOrder").as("mergeOrder"),
      inc("incidents").as("incidents"),
      inc("resolved").as("resolved"),
      inc("evidence").as("evidence"),
      inc("heuristic").as("heuristic"),
      inc("unlinked").as("unlinked"),
    ])
    .where("environmentId", "=", sql<string>`ANY(${incidentEnvironments(f)}::text[])`)
    .where("day", ">=", sql<Date>`${isoDay(dayFrom)}::date`)
    .where("day", "<", sql<Date>`${isoDay(dayTo)}::date`);
  const sums = sql.join(COUNT_COLUMNS.map((c) => sql`sum(${sql.ref(c)})::bigint AS ${sql.ref(c)}`));
  const arms = sql.join([days, ...edges.map((e) => sql`SELECT ${sql.join(COUNT_COLUMNS.map((c) => sql.ref(c)))} FROM ${e} AS edge`)], sql` UNION ALL `);
  const { rows } = await sql<Record<keyof RollupCounts, string>>`SELECT ${sums} FROM (${arms}) x`.execute(db.replica);
  return Object.fromEntries(COUNT_COLUMNS.map((c) => [c, Number(rows[0][c])])) as RollupCounts;
}

/**
 * p50 and p90 of the three distributions over [from, to): whole days from the histograms, the edges' raw values put
 * into the same buckets, all in one statement. `values` is how many values each percentile stands on.
 */
export async function histogramPercentiles(db: Db, f: ResolvedFilter, split: NonNullable<ReturnType<typeof splitRange>>): Promise<HistogramPercentiles> {
  const env = f.environmentId;
  // The partial days' raw values, one arm per edge and table: a plain range is an index-only scan of the covering
  // index (an OR of two ranges would fetch heap pages).
  const raw = split.edges.flatMap(([from, to]) => [
    sql`SELECT 'lead', dora_bucket(dc."leadTimeSeconds"), count(*) FROM "DeploymentChange" dc
        WHERE dc."environmentId" = ${env} AND dc."deployedAt" >= ${utc(from)} AND dc."deployedAt" < ${utc(to)} GROUP BY 2`,
    sql`SELECT 'restore', dora_bucket(EXTRACT(EPOCH FROM i."resolvedAt" - i."detectedAt")::float8), count(*) FROM "Incident" i
        WHERE i."detectedAt" >= ${utc(from)} AND i."detectedAt" < ${utc(to)} AND COALESCE(i."environmentId", '') = ANY(${incidentEnvironments(f)}::text[])
          AND i."resolvedAt" IS NOT NULL GROUP BY 2`,
    sql`SELECT 'recovery', dora_bucket(EXTRACT(EPOCH FROM d."nextGoodDeployedAt" - d."deployedAt")::float8), count(*) FROM "Deployment" d
        WHERE d."environmentId" = ${env} AND d."deployedAt" >= ${utc(from)} AND d."deployedAt" < ${utc(to)} AND d.status IN ('succeeded', 'rolled_back')
          AND NOT d."isRollback" AND (d.status = 'rolled_back' OR d."hasIncident") AND d."nextGoodDeployedAt" IS NOT NULL GROUP BY 2`,
  ]);
  // Whole weeks (Monday to Monday) inside the whole days from the week rows, the days around them from the day rows.
  let weekFrom = mondayOnOrAfter(split.dayFrom);
  let weekTo = mondayOnOrBefore(split.dayTo);
  if (weekFrom >= weekTo) weekFrom = weekTo = split.dayTo;
  const { rows } = await sql<{ metric: HistogramMetric; values: string; p50: number | null; p90: number | null }>`
    WITH h AS (
      SELECT metric, bucket, sum(count)::bigint AS n FROM "DoraHistogram"
      WHERE "environmentId" = ANY(${incidentEnvironments(f)}::text[]) AND ("environmentId" = ${env} OR metric = 'restore')
        AND ((grain = 'week' AND day >= ${isoDay(weekFrom)}::date AND day < ${isoDay(weekTo)}::date)
          OR (grain = 'day' AND day >= ${isoDay(split.dayFrom)}::date AND day < ${isoDay(weekFrom)}::date)
          OR (grain = 'day' AND day >= ${isoDay(weekTo)}::date AND day < ${isoDay(split.dayTo)}::date))
      GROUP BY 1, 2
      ${
        raw.length
          ? sql.join(
              raw.map((arm) => sql`UNION ALL ${arm}`),
              sql` `,
            )
          : sql``
      }),
    c AS (
      SELECT metric, bucket, sum(sum(n)) OVER (PARTITION BY metric ORDER BY bucket) AS cum, sum(sum(n)) OVER (PARTITION BY metric) AS total
      FROM h GROUP BY 1, 2),
    -- percentile_cont(p) over n values: the values at ranks floor and ceil of p·(n − 1) (0-based), interpolated.
    r AS (
      SELECT metric, max(total) AS total,
             min(bucket) FILTER (WHERE cum > floor(0.5 * (total - 1))) AS lo50, min(bucket) FILTER (WHERE cum > ceil(0.5 * (total - 1))) AS hi50,
             min(bucket) FILTER (WHERE cum > floor(0.9 * (total - 1))) AS lo90, min(bucket) FILTER (WHERE cum > ceil(0.9 * (total - 1))) AS hi90
      FROM c WHERE total > 0 GROUP BY 1)
    SELECT metric, total AS values,
           dora_bucket_value(lo50) + (0.5 * (total - 1) - floor(0.5 * (total - 1))) * (dora_bucket_value(hi50) - dora_bucket_value(lo50)) AS p50,
           dora_bucket_value(lo90) + (0.9 * (total - 1) - floor(0.9 * (total - 1))) * (dora_bucket_value(hi90) - dora_bucket_value(lo90)) AS p90
    FROM r`.execute(db.replica);
  const out: HistogramPercentiles = { lead: none(), restore: none(), recovery: none() };
  for (const row of rows) out[row.metric] = { values: Number(row.values), p50: num(row.p50), p90: num(row.p90) };
  return out;
}

/** UTC Mondays (date_trunc('week') in Postgres). */
const mondayOnOrBefore = (d: Date) => new Date(d.getTime() - ((d.getUTCDay() + 6) % 7) * DAY);
const mondayOnOrAfter = (d: Date) => {
  const m = mondayOnOrBefore(d);
  return m < d ? new Date(m.getTime() + 7 * DAY) : m;
};

const none = () => ({ values: 0, p50: null, p90: null });
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
