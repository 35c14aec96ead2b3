// Delivery analytics over the deployments Pier itself ran (DeploymentRequest: the only rows that know the strategy,
// when a request was made, queued, started and finished). Computed by Postgres (ARCHITECTURE rule 7). Definitions
// (also shown on /dora/analytics):
//   runs            requests that started in the range and finished: succeeded, failed or rolled_back (rollback
//                   requests are runs too: they use the same deploy capacity)
//   success rate    succeeded runs / runs (a run later rolled back is not a success)
//   rollback rate   rolled_back runs / runs
//   duration        finishedAt − startedAt, p50 and p95 (percentile_cont), seconds
//   queue wait      startedAt − queuedAt (approved and queued → started), p50 and p95
//   wait            startedAt − createdAt (requested → started: approvals, schedules and the queue), p50 and p95
//   capacity        runs by local day of week (1 Monday … 7 Sunday) × hour of day of startedAt, in the time zone
import { sql, type Db, type DB } from "../db";
import type { Expression, RawBuilder, SelectQueryBuilder, SqlBool } from "kysely";
import { badRequest } from "../errors";
import { isTimeZone } from "../platform/input-rules";

export const ANALYTICS_GROUPS = ["team", "service", "environment", "strategy"] as const;
export type AnalyticsGroup = (typeof ANALYTICS_GROUPS)[number];
export const STRATEGIES = ["rolling", "canary", "blue_green"] as const;

export type AnalyticsFilter = {
  from: Date;
  to: Date;
  teamId?: string | null;
  serviceId?: string | null;
  environmentId?: string | null;
  strategy?: (typeof STRATEGIES)[number] | null;
  timeZone?: string;
};

export type DeliveryFigures = {
  runs: number;
  succeeded: number;
  failed: number;
  rolledBack: number;
  successRate: number | null;
  rollbackRate: number | null;
  durationP50: number | null;
  durationP95: number | null;
  queueWaitP50: number | null;
  queueWaitP95: number | null;
  waitP50: number | null;
  waitP95: number | null;
};

export type GroupFigures = DeliveryFigures & { key: string; label: string };
export type CapacityCell = { dayOfWeek: number; hour: number; runs: number };

const MAX_RANGE_DAYS = 731;

/** Checks the range and time zone: a 400 naming the field, never a 500. */
function checkFilter(f: AnalyticsFilter) {
  if (!(f.from instanceof Date) || Number.isNaN(f.from.getTime())) throw badRequest("from must be a date", "from");
  if (!(f.to instanceof Date) || Number.isNaN(f.to.getTime())) throw badRequest("to must be a date", "to");
  if (f.to <= f.from) throw badRequest("The end of the range must be after its start", "to");
  if (f.to.getTime() - f.from.getTime() > MAX_RANGE_DAYS * 86_400_000) throw badRequest("The range may span at most two years", "from");
  if (f.timeZone && !isTimeZone(f.timeZone)) throw badRequest(`Unknown time zone "${f.timeZone}"`, "timeZone");
}

const utc = (d: Date) => sql<Date>`${d}::timestamp`;
type Runs = SelectQueryBuilder<DB & { r: DB["DeploymentRequest"] } & { s: DB["Service"] }, "r" | "s", object>;

/** The finished runs of the filter, as `r` joined to their service `s`. */
function runsOf(db: Db, f: AnalyticsFilter): Runs {
  let q = db.replica
    .selectFrom("DeploymentRequest as r")
    .innerJoin("Service as s", "s.id", "r.serviceId")
    .where("r.status", "in", ["succeeded", "failed", "rolled_back"])
    .where("r.startedAt", ">=", utc(f.from))
    .where("r.startedAt", "<", utc(f.to)) as unknown as Runs;
  if (f.serviceId) q = q.where("r.serviceId", "=", f.serviceId);
  if (f.teamId) q = q.where("s.teamId", "=", f.teamId);
  if (f.environmentId) q = q.where("r.environmentId", "=", f.environmentId);
  if (f.strategy) q = q.where("r.strategy", "=", f.strategy);
  return q;
}

const seconds = (to: string, from: string) => sql<number>`EXTRACT(EPOCH FROM ${sql.ref(to)} - ${sql.ref(from)})::float8`;
const percentile = (p: number, value: Expression<number>, where: Expression<SqlBool>) =>
  sql<number | null>`(percentile_cont(${sql.lit(p)}) WITHIN GROUP (ORDER BY ${value}) FILTER (WHERE ${where}))::float8`;
const DURATION = seconds("r.finishedAt", "r.startedAt");
const QUEUE_WAIT = seconds("r.startedAt", "r.queuedAt");
const WAIT = seconds("r.startedAt", "r.createdAt");
const hasFinished = sql<SqlBool>`r."finishedAt" IS NOT NULL`;
const wasQueued = sql<SqlBool>`r."queuedAt" IS NOT NULL`;

/** The aggregate columns every figure row selects. */
const figureColumns = [
  sql<string>`count(*)`.as("runs"),
  sql<string>`count(*) FILTER (WHERE r.status = 'succeeded')`.as("succeeded"),
  sql<string>`count(*) FILTER (WHERE r.status = 'failed')`.as("failed"),
  sql<string>`count(*) FILTER (WHERE r.status = 'rolled_back')`.as("rolledBack"),
  percentile(0.5, DURATION, hasFinished).as("durationP50"),
  percentile(0.95, DURATION, hasFinished).as("durationP95"),
  percentile(0.5, QUEUE_WAIT, wasQueued).as("queueWaitP50"),
  percentile(0.95, QUEUE_WAIT, wasQueued).as("queueWaitP95"),
  percentile(0.5, WAIT, sql<SqlBool>`true`).as("waitP50"),
  percentile(0.95, WAIT, sql<SqlBool>`true`).as("waitP95"),
];

type FigureRow = Record<keyof Omit<DeliveryFigures, "successRate" | "rollbackRate">, string | number | null>;
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

function figures(row: FigureRow): DeliveryFigures {
  const runs = Number(row.runs);
  const succeeded = Number(row.succeeded);
  const rolledBack = Number(row.rolledBack);
  return {
    runs,
    succeeded,
    failed: Number(row.failed),
    rolledBack,
    successRate: runs === 0 ? null : succeeded / runs,
    rollbackRate: runs === 0 ? null : rolledBack / runs,
    durationP50: num(row.durationP50),
    durationP95: num(row.durationP95),
    queueWaitP50: num(row.queueWaitP50),
    queueWaitP95: num(row.queueWaitP95),
    waitP50: num(row.waitP50),
    waitP95: num(row.waitP95),
  };
}

/** The figures over every run of the filter. */
export async function deliveryTotals(db: Db, f: AnalyticsFilter): Promise<DeliveryFigures> {
  checkFilter(f);
  const row = await runsOf(db, f).select(figureColumns).executeTakeFirstOrThrow();
  return figures(row as unknown as FigureRow);
}

/** What each grouping keys and labels rows by. */
const GROUPING: Record<AnalyticsGroup, { key: RawBuilder<string>; label: RawBuilder<string>; join?: "team" | "environment" }> = {
  team: { key: sql`s."teamId"`, label: sql`t.name`, join: "team" },
  service: { key: sql`r."serviceId"`, label: sql`s.name` },
  environment: { key: sql`r."environmentId"`, label: sql`e.name`, join: "environment" },
  strategy: { key: sql`r.strategy::text`, label: sql`r.strategy::text` },
};

/** The figures per team, service, environment or strategy, most runs first. */
async function deliveryByGroup(db: Db, f: AnalyticsFilter, groupBy: AnalyticsGroup): Promise<GroupFigures[]> {
  checkFilter(f);
  const g = GROUPING[groupBy];
  let q = runsOf(db, f) as unknown as SelectQueryBuilder<
    DB & { r: DB["DeploymentRequest"]; s: DB["Service"]; t: DB["Team"]; e: DB["Environment"] },
    "r" | "s",
    object
  >;
  if (g.join === "team") q = q.innerJoin("Team as t", "t.id", "s.teamId") as typeof q;
  if (g.join === "environment") q = q.innerJoin("Environment as e", "e.id", "r.environmentId") as typeof q;
  const rows = await q
    .select([...figureColumns, g.key.as("key"), sql<string>`min(${g.label})`.as("label")])
    .groupBy(g.key)
    .orderBy(sql`count(*)`, "desc")
    .orderBy(sql`min(${g.label})`)
    .execute();
  return rows.map((r) => {
    const row = r as unknown as FigureRow & { key: string; label: string };
    return { key: row.key, label: row.label, ...figures(row) };
  });
}

/** Runs by local day of week × hour of day (only the cells that have runs). */
async function deliveryCapacity(db: Db, f: AnalyticsFilter): Promise<CapacityCell[]> {
  checkFilter(f);
  const local = sql<Date>`((r."startedAt" AT TIME ZONE 'UTC') AT TIME ZONE ${f.timeZone ?? "UTC"})`;
  const dow = sql<number>`EXTRACT(ISODOW FROM ${local})::int`;
  const hour = sql<number>`EXTRACT(HOUR FROM ${local})::int`;
  const rows = await runsOf(db, f)
    .select([dow.as("dayOfWeek"), hour.as("hour"), sql<string>`count(*)`.as("runs")])
    // By position: the zone is a bound parameter, so the expressions repeated here would not match the selected ones.
    .groupBy([sql`1`, sql`2`])
    .orderBy(sql`1`)
    .orderBy(sql`2`)
    .execute();
  return rows.map((r) => ({ dayOfWeek: Number(r.dayOfWeek), hour: Number(r.hour), runs: Number(r.runs) }));
}

/** Everything the analytics page shows for one filter, the three queries in parallel. */
export async function deliveryAnalytics(db: Db, f: AnalyticsFilter, groupBy: AnalyticsGroup) {
  const [totals, groups, capacity] = await Promise.all([deliveryTotals(db, f), deliveryByGroup(db, f, groupBy), deliveryCapacity(db, f)]);
  return { totals, groups, capacity, groupBy, timeZone: f.timeZone ?? "UTC" };
}
