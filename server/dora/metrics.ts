// The four keys, computed by Postgres (ARCHITECTURE rule 6). Definitions (also shown on the dashboard):
//   deployment frequency  successful deployments (succeeded, or later rolled back) in the range, excluding
//                         rollback deployments themselves; per day and per week.
//   lead time             per change shipped to the environment in the range (server/dora/linkage.ts: the first
//                         deployment whose content contains it): deployment time − first commit time when the
//                         source gave it, else − merge time; median and p90 (percentile_cont).
//   change failure rate   of those deployments, the share rolled back or with an incident linked to them.
//   time to restore       incidents detected in the range and resolved: resolved − detected; median and p90.
// Incidents without an environment count as production. Weeks start on Monday in the requested time zone.
import { expressionBuilder, type Expression, type SelectQueryBuilder, type SqlBool } from "kysely";
import { sql, type DB, type Db } from "../db";
import { badRequest } from "../errors";
import { DEFAULT_BANDS, failureRateLevel, frequencyLevel, leadTimeLevel, restoreLevel, type BandSet, type DoraLevel } from "./levels";
import { devLakeFigures, fourKeysFigures, type DoraMode } from "./modes";
import { pierPeriod } from "./pier-details";
import { rollupEligible, type RollupOptions } from "./rollups";

export type DoraFilter = {
  from: Date;
  to: Date;
  environment?: string;
  teamId?: string | null;
  serviceId?: string | null;
  /** Only deployments rolled out to a fleet target: "target:<name>" or "region:<region label>" (Pier's definitions). */
  target?: string | null;
  /** IANA zone for day/week buckets. */
  timeZone?: string;
};

type TargetFilter = { kind: "target" | "region"; value: string } | null;

export type ResolvedFilter = Required<Pick<DoraFilter, "from" | "to">> & {
  environmentId: string;
  environmentName: string;
  isProduction: boolean;
  teamId: string | null;
  serviceId: string | null;
  target: TargetFilter;
  timeZone: string;
};

/** Checks the filter and resolves the environment name (default: the production environment). */
export async function resolveFilter(db: Db, f: DoraFilter): Promise<ResolvedFilter> {
  if (!(f.from instanceof Date) || Number.isNaN(f.from.getTime())) throw badRequest("from must be a date", "from");
  if (!(f.to instanceof Date) || Number.isNaN(f.to.getTime())) throw badRequest("to must be a date", "to");
  if (f.to <= f.from) throw badRequest("The end of the range must be after its start", "to");
  if (f.to.getTime() - f.from.getTime() > 731 * 86_400_000) throw badRequest("The range may span at most two years", "from");
  const timeZone = f.timeZone ?? "UTC";
  if (!isValidTimeZone(timeZone)) throw badRequest(`Unknown time zone "${timeZone}"`, "timeZone");
  const environments = db.replica.selectFrom("Environment").select(["id", "name", "isProduction"]);
  const env = await (
    f.environment
      ? environments.where((eb) => eb(eb.fn("lower", ["name"]), "=", f.environment!.toLowerCase()))
      : environments.where("isProduction", "=", true).orderBy("rank", "desc")
  )
    .limit(1)
    .executeTakeFirst();
  if (!env) throw badRequest(f.environment ? `Unknown environment "${f.environment}"` : "No production environment is configured", "environment");
  return {
    from: f.from,
    to: f.to,
    environmentId: env.id,
    environmentName: env.name,
    isProduction: env.isProduction,
    teamId: f.teamId ?? null,
    serviceId: f.serviceId ?? null,
    target: parseTarget(f.target),
    timeZone,
  };
}

function parseTarget(raw: string | null | undefined): TargetFilter {
  if (!raw) return null;
  const m = /^(target|region):(.{1,100})$/.exec(raw);
  if (!m) throw badRequest('target must be "target:<name>" or "region:<region>"', "target");
  return { kind: m[1] as "target" | "region", value: m[2] };
}

/**
 * Restricts to deployments whose request rolled out to the filter's target (or a target of its region): a step
 * there started (not pending, skipped or cancelled). Changes and incidents follow their deployment.
 */
export function targetCondition(alias: "d" | "dc" | "i", f: Pick<ResolvedFilter, "target">): Expression<SqlBool> | null {
  const t = f.target;
  if (!t) return null;
  const requests = expressionBuilder<DB>()
    .selectFrom("RolloutStep as rs")
    .innerJoin("Rollout as ro", "ro.id", "rs.rolloutId")
    .innerJoin("DeploymentTarget as dt", "dt.id", "rs.targetId")
    .select("ro.requestId")
    .where("rs.status", "not in", ["pending", "skipped", "cancelled"])
    .where(t.kind === "target" ? sql<SqlBool>`dt.name = ${t.value}` : sql<SqlBool>`dt.labels->>'region' = ${t.value}`);
  if (alias === "d") return sql<SqlBool>`d."deploymentRequestId" IN (${requests})`;
  const deployments = expressionBuilder<DB>().selectFrom("Deployment as td").select("td.id").where("td.deploymentRequestId", "in", requests);
  return sql<SqlBool>`${sql.ref(`${alias}.deploymentId`)} IN (${deployments})`;
}

const onTarget =
  (alias: "d" | "dc" | "i", f: Pick<ResolvedFilter, "target">) =>
  <D, T extends keyof D, O>(qb: SelectQueryBuilder<D, T, O>): SelectQueryBuilder<D, T, O> => {
    const condition = targetCondition(alias, f);
    return condition ? qb.where(condition) : qb;
  };

function isValidTimeZone(tz: string) {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** A JS instant as the UTC `timestamp` Prisma stores (Dates are sent as UTC text; the column type ignores the zone). */
export const utc = (d: Date) => sql<Date>`${d}::timestamp`;
/** A stored UTC timestamp (column or value) as local time in `tz` (for day/week buckets). */
const local = (at: Expression<Date>, tz: string) => sql<Date>`((${at} AT TIME ZONE 'UTC') AT TIME ZONE ${tz})`;
/** The local Monday 00:00 of the week `at` falls in. */
export const weekOf = (at: Expression<Date>, tz: string) => sql<Date>`date_trunc('week', ${local(at, tz)})`;
/** Seconds from detection to resolution. */
export const restoreSeconds = sql<number>`EXTRACT(EPOCH FROM i."resolvedAt" - i."detectedAt")`;

type Scope = Pick<ResolvedFilter, "serviceId" | "teamId">;
/** A query restricted to the filter's service or team, by a "serviceId" column (d, dc or i). */
const inScope =
  (column: "d.serviceId" | "dc.serviceId" | "i.serviceId", f: Scope) =>
  <D, T extends keyof D, O>(qb: SelectQueryBuilder<D, T, O>): SelectQueryBuilder<D, T, O> => {
    const serviceId = sql.ref<string | null>(column);
    if (f.serviceId) return qb.where(sql<SqlBool>`${serviceId} = ${f.serviceId}`);
    if (f.teamId) return qb.where(sql<SqlBool>`${serviceId} IN (${expressionBuilder<DB>().selectFrom("Service").select("id").where("teamId", "=", f.teamId)})`);
    return qb;
  };

/** Incidents of the filter's environment; those naming none count as production. */
const inIncidentEnvironment =
  (f: ResolvedFilter) =>
  <O>(qb: SelectQueryBuilder<DB & { i: DB["Incident"] }, "i", O>) =>
    f.isProduction
      ? qb.where((eb) => eb.or([eb("i.environmentId", "=", f.environmentId), eb("i.environmentId", "is", null)]))
      : qb.where("i.environmentId", "=", f.environmentId);

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

/** The scope's deployments in the range that went out: successful (or later rolled back), rollbacks included, any target. */
export const deploymentsOut = (db: Db, f: ResolvedFilter, from: Date, to: Date) =>
  db.replica
    .selectFrom("Deployment as d")
    .where("d.environmentId", "=", f.environmentId)
    .where("d.deployedAt", ">=", utc(from))
    .where("d.deployedAt", "<", utc(to))
    .where("d.status", "in", ["succeeded", "rolled_back"])
    .$call(inScope("d.serviceId", f));

/** Deployments counted by frequency and change failure rate: successful (or later rolled back), not rollbacks. */
export const countedDeployments = (db: Db, f: ResolvedFilter, from: Date, to: Date) =>
  deploymentsOut(db, f, from, to)
    .where((eb) => eb.not(eb.ref("d.isRollback")))
    .$call(onTarget("d", f));

/** The change links counted by lead time: changes shipped to the environment in the range. */
export const countedChanges = (db: Db, f: ResolvedFilter, from: Date, to: Date) =>
  db.replica
    .selectFrom("DeploymentChange as dc")
    .where("dc.environmentId", "=", f.environmentId)
    .where("dc.deployedAt", ">=", utc(from))
    .where("dc.deployedAt", "<", utc(to))
    .$call(inScope("dc.serviceId", f))
    .$call(onTarget("dc", f));

/** The incidents counted by time to restore: detected in the range. */
export const countedIncidents = (db: Db, f: ResolvedFilter, from: Date, to: Date) =>
  db.replica
    .selectFrom("Incident as i")
    .where("i.detectedAt", ">=", utc(from))
    .where("i.detectedAt", "<", utc(to))
    .$call(inIncidentEnvironment(f))
    .$call(inScope("i.serviceId", f))
    .$call(onTarget("i", f));

/** A failed deployment: rolled back, or an incident is linked to it. */
export const isFailure = sql<boolean>`(d.status = 'rolled_back' OR d."hasIncident")`;

/** Both percentiles from one sort: percentile_cont over an array of fractions. */
const p50p90 = (value: Expression<unknown>, filter?: Expression<SqlBool>) =>
  filter
    ? sql<number[] | null>`percentile_cont(ARRAY[0.5, 0.9]::float8[]) WITHIN GROUP (ORDER BY ${value}) FILTER (WHERE ${filter})`
    : sql<number[] | null>`percentile_cont(ARRAY[0.5, 0.9]::float8[]) WITHIN GROUP (ORDER BY ${value})`;
export const leadTimePercentiles = () => p50p90(sql.ref("dc.leadTimeSeconds"));
export const restorePercentiles = () => p50p90(restoreSeconds, sql<SqlBool>`i."resolvedAt" IS NOT NULL`);

type RawKeys = { deployments: unknown; failures: unknown; changes: unknown; lt: number[] | null; incidents: unknown; resolved: unknown; r: number[] | null };

/** The key figures from the aggregates of one range. */
export function keyFiguresOf(from: Date, to: Date, row: RawKeys): KeyFigures {
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
    leadTimeP50: num(row.lt?.[0]),
    leadTimeP90: num(row.lt?.[1]),
    incidents: Number(row.incidents),
    resolvedIncidents: Number(row.resolved),
    restoreP50: num(row.r?.[0]),
    restoreP90: num(row.r?.[1]),
  };
}

/**
 * The four keys for one range: three aggregate scans over covering indexes, each percentile pair from one sort. They
 * run as separate statements so a pooled client executes them in parallel on three connections (a single CTE query
 * would run them one after the other).
 */
export async function keyFigures(db: Db, f: ResolvedFilter, from = f.from, to = f.to): Promise<KeyFigures> {
  // The whole organisation: whole days from the daily rollups (./rollups.ts).
  if (rollupEligible(f)) return (await pierPeriod(db, f, from, to)).figures;
  const [dep, lt, rs] = await Promise.all([
    countedDeployments(db, f, from, to)
      .select((eb) => [eb.fn.countAll<string>().as("deployments"), eb.fn.countAll<string>().filterWhere(isFailure).as("failures")])
      .executeTakeFirstOrThrow(),
    countedChanges(db, f, from, to)
      .select((eb) => [eb.fn.countAll<string>().as("changes"), leadTimePercentiles().as("lt")])
      .executeTakeFirstOrThrow(),
    countedIncidents(db, f, from, to)
      .select((eb) => [eb.fn.countAll<string>().as("incidents"), eb.fn.count<string>("i.resolvedAt").as("resolved"), restorePercentiles().as("r")])
      .executeTakeFirstOrThrow(),
  ]);
  return keyFiguresOf(from, to, { ...dep, ...lt, ...rs });
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export type Levels = {
  deploymentFrequency: DoraLevel | null;
  leadTime: DoraLevel | null;
  changeFailureRate: DoraLevel | null;
  timeToRestore: DoraLevel | null;
  recovery: DoraLevel | null;
};

export type ModeKeyFigures = KeyFigures & { recoveryP50: number | null };

export function levelsOf(k: ModeKeyFigures, bands: BandSet): Levels {
  return {
    // No deployments at all: nothing to judge (a new service is not "low").
    deploymentFrequency: k.deployments === 0 ? null : frequencyLevel(k.deploymentsPerDay, bands),
    leadTime: leadTimeLevel(k.leadTimeP50, bands),
    changeFailureRate: failureRateLevel(k.changeFailureRate, bands),
    timeToRestore: restoreLevel(k.restoreP50, bands),
    recovery: restoreLevel(k.recoveryP50, bands),
  };
}

/** The key figures of one range in one definition mode (server/dora/modes.ts). */
export async function modeFigures(db: Db, f: ResolvedFilter, mode: DoraMode, from: Date, to: Date, rollups?: RollupOptions): Promise<ModeKeyFigures> {
  const days = (to.getTime() - from.getTime()) / 86_400_000;
  if (mode === "pier") {
    const { figures, details } = await pierPeriod(db, f, from, to, rollups);
    return { ...figures, recoveryP50: details.recoveryP50 };
  }
  const m = await (mode === "fourkeys" ? fourKeysFigures : devLakeFigures)(db, f, from, to);
  return { ...m, deploymentsPerDay: m.deployments / days, deploymentsPerWeek: (m.deployments / days) * 7 };
}

export type SummaryOptions = { mode?: DoraMode; bands?: BandSet; rollups?: RollupOptions };

/** The dashboard summary: this range, the same-length range just before it, and the levels. */
export async function doraSummary(db: Db, filter: DoraFilter & SummaryOptions) {
  const f = await resolveFilter(db, filter);
  const mode = filter.mode ?? "pier";
  if (f.target && mode !== "pier") throw badRequest("The target/region filter uses Pier's definitions (mode pier)", "target");
  const bands = filter.bands ?? DEFAULT_BANDS;
  const span = f.to.getTime() - f.from.getTime();
  const previousFrom = new Date(f.from.getTime() - span);
  // Pier's details come with its current figures (one pass per table); the other modes have none.
  const [{ current, details }, previous] = await Promise.all([
    mode === "pier"
      ? pierPeriod(db, f, f.from, f.to, filter.rollups).then((p) => ({ current: { ...p.figures, recoveryP50: p.details.recoveryP50 }, details: p.details }))
      : modeFigures(db, f, mode, f.from, f.to).then((m) => ({ current: m, details: null })),
    modeFigures(db, f, mode, previousFrom, f.from, filter.rollups),
  ]);
  return {
    filter: { from: f.from, to: f.to, environment: f.environmentName, teamId: f.teamId, serviceId: f.serviceId, target: f.target, timeZone: f.timeZone },
    mode,
    bands,
    current,
    previous,
    previousRange: { from: previousFrom, to: f.from },
    levels: levelsOf(current, bands),
    details,
  };
}

export type WeekPoint = {
  weekStart: string;
  /** The range covers only part of this week (its first or last): its numbers are not comparable with full weeks. */
  partial: boolean;
  changes: number;
  deployments: number;
  failures: number;
  changeFailureRate: number | null;
  leadTimeP50: number | null;
  restoreP50: number | null;
  incidents: number;
};

/**
 * Weekly trend (weeks start Monday 00:00 in the filter's time zone). Counts of an empty week are 0; its rates and
 * medians are null (a gap on the chart, not a 0); the first and last weeks are flagged partial when the range cuts them.
 */
export async function weeklyTrend(db: Db, filter: DoraFilter): Promise<WeekPoint[]> {
  const f = await resolveFilter(db, filter);
  const tz = f.timeZone;
  const wk = (column: "d.deployedAt" | "dc.deployedAt" | "i.detectedAt") => weekOf(sql.ref<Date>(column), tz);
  const rows = await db.replica
    .with("weeks", (qc) =>
      qc.selectNoFrom(sql<Date>`generate_series(${weekOf(utc(f.from), tz)}, ${weekOf(utc(new Date(f.to.getTime() - 1)), tz)}, interval '1 week')`.as("wk")),
    )
    .with("dep", () =>
      countedDeployments(db, f, f.from, f.to)
        .select((eb) => [
          wk("d.deployedAt").as("wk"),
          eb.fn.countAll<string>().as("deployments"),
          eb.fn.countAll<string>().filterWhere(isFailure).as("failures"),
        ])
        .groupBy(sql.lit(1)),
    )
    .with("lt", () =>
      countedChanges(db, f, f.from, f.to)
        .select((eb) => [
          wk("dc.deployedAt").as("wk"),
          eb.fn.countAll<string>().as("changes"),
          eb.fn
            .agg<number | null>("percentile_cont", [sql.lit(0.5)])
            .withinGroupOrderBy("dc.leadTimeSeconds")
            .as("lt50"),
        ])
        .groupBy(sql.lit(1)),
    )
    .with("rs", () =>
      countedIncidents(db, f, f.from, f.to)
        .select((eb) => [
          wk("i.detectedAt").as("wk"),
          eb.fn.countAll<string>().as("incidents"),
          eb.fn
            .agg<number | null>("percentile_cont", [sql.lit(0.5)])
            .withinGroupOrderBy(restoreSeconds)
            .filterWhere("i.resolvedAt", "is not", null)
            .as("r50"),
        ])
        .groupBy(sql.lit(1)),
    )
    .selectFrom("weeks")
    .leftJoin("dep", "dep.wk", "weeks.wk")
    .leftJoin("lt", "lt.wk", "weeks.wk")
    .leftJoin("rs", "rs.wk", "weeks.wk")
    .select((eb) => [
      "weeks.wk",
      sql<boolean>`(weeks.wk < ${local(utc(f.from), tz)} OR weeks.wk + interval '7 days' > ${local(utc(f.to), tz)})`.as("partial"),
      eb.fn.coalesce("lt.changes", sql.lit("0")).as("changes"),
      eb.fn.coalesce("dep.deployments", sql.lit("0")).as("deployments"),
      eb.fn.coalesce("dep.failures", sql.lit("0")).as("failures"),
      "lt.lt50",
      eb.cast<number | null>("rs.r50", "float8").as("r50"),
      eb.fn.coalesce("rs.incidents", sql.lit("0")).as("incidents"),
    ])
    .orderBy("weeks.wk")
    .execute();
  return rows.map((r) => {
    const deployments = Number(r.deployments);
    const failures = Number(r.failures);
    return {
      // The local calendar date the week starts on (a wall-clock date, not an instant).
      weekStart: isoDate(r.wk),
      partial: r.partial,
      changes: Number(r.changes),
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
