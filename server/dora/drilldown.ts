// Drill-down: the exact rows behind each number on the dashboard, selected with the same predicates as
// server/dora/metrics.ts (countedDeployments/Changes/Incidents) so a count there always equals the row count here.
import type { SqlBool } from "kysely";
import { sql, type Db } from "../db";
import {
  countedChanges,
  countedDeployments,
  countedIncidents,
  isFailure,
  resolveFilter,
  restoreSeconds,
  weekOf,
  type DoraFilter,
  type ResolvedFilter,
} from "./metrics";

/**
 * Rows per drill-down page. The number is counted over every row (`total`); the table shows one page of them, newest
 * (or slowest) first: a 90-day, all-services selection holds thousands of rows, and a table of hundreds of them made
 * the page slow to render and to use (and axe took a minute over it).
 */
export const DRILLDOWN_PAGE_SIZE = 50;

export type DrilldownInput = DoraFilter & {
  /** Restrict to one trend week (YYYY-MM-DD, the local Monday in the filter's time zone). */
  week?: string | null;
  /** 1-based page of DRILLDOWN_PAGE_SIZE rows; past the last page the rows are empty (total still says how many). */
  page?: number | null;
};

const pageOf = (input: DrilldownInput) => ({ page: input.page ?? 1, pageSize: DRILLDOWN_PAGE_SIZE });
const offsetOf = (input: DrilldownInput) => ((input.page ?? 1) - 1) * DRILLDOWN_PAGE_SIZE;

/** Rows of one trend week only (when asked): the week their time falls in, in the filter's time zone. */
const inWeek = (column: "d.deployedAt" | "dc.deployedAt" | "i.detectedAt", f: ResolvedFilter, week?: string | null) =>
  sql<SqlBool>`${weekOf(sql.ref<Date>(column), f.timeZone)} = ${week ?? null}::timestamp`;

/** Deployments counted by deployment frequency (or, with onlyFailures, by change failure rate's numerator). */
export async function deploymentsBehind(db: Db, input: DrilldownInput & { onlyFailures?: boolean }) {
  const f = await resolveFilter(db, input);
  const where = countedDeployments(db, f, f.from, f.to)
    .$if(Boolean(input.onlyFailures), (qb) => qb.where(isFailure))
    .$if(Boolean(input.week), (qb) => qb.where(inWeek("d.deployedAt", f, input.week)));
  const [rows, { total }] = await Promise.all([
    where
      .select((eb) => [
        "d.id",
        "d.serviceId",
        "d.serviceName",
        "d.environmentName",
        "d.version",
        "d.status",
        "d.deployedAt",
        "d.rolledBackAt",
        "d.source",
        "d.deploymentRequestId",
        isFailure.as("isFailure"),
        eb
          .selectFrom("Incident as i")
          .select((e) => e.cast<number>(e.fn.countAll(), "integer").as("n"))
          .whereRef("i.deploymentId", "=", "d.id")
          .as("incidents"),
        eb
          .selectFrom("DeploymentChange as dc")
          .select((e) => e.cast<number>(e.fn.countAll(), "integer").as("n"))
          .whereRef("dc.deploymentId", "=", "d.id")
          .as("changes"),
      ])
      // The id breaks ties so that pages neither repeat nor skip rows deployed at the same instant.
      .orderBy("d.deployedAt", "desc")
      .orderBy("d.id")
      .limit(DRILLDOWN_PAGE_SIZE)
      .offset(offsetOf(input))
      .execute(),
    where.select((eb) => eb.cast<number>(eb.fn.countAll(), "integer").as("total")).executeTakeFirstOrThrow(),
  ]);
  return { rows, total, ...pageOf(input) };
}

/** The changes whose lead times make up the lead-time percentiles, slowest first. */
export async function changesBehind(db: Db, input: DrilldownInput & { deploymentId?: string | null }) {
  const f = await resolveFilter(db, input);
  const where = countedChanges(db, f, f.from, f.to)
    .$if(Boolean(input.deploymentId), (qb) => qb.where("dc.deploymentId", "=", input.deploymentId ?? ""))
    .$if(Boolean(input.week), (qb) => qb.where(inWeek("dc.deployedAt", f, input.week)));
  const [rows, { total }] = await Promise.all([
    where
      .innerJoin("Change as c", "c.id", "dc.changeId")
      .innerJoin("Deployment as d", "d.id", "dc.deploymentId")
      .select([
        "c.id as changeId",
        "c.externalId",
        "c.title",
        "c.repository",
        "c.serviceName",
        "c.authoredAt",
        "c.mergedAt",
        "c.firstCommitAt",
        "c.source",
        "dc.linkedBy",
        "dc.startKind",
        "d.source as deploymentSource",
        "d.deploymentRequestId",
        "dc.deploymentId",
        "dc.deployedAt",
        "d.version",
        "dc.leadTimeSeconds",
      ])
      .orderBy("dc.leadTimeSeconds", "desc")
      .orderBy("dc.deploymentId")
      .orderBy("c.id")
      .limit(DRILLDOWN_PAGE_SIZE)
      .offset(offsetOf(input))
      .execute(),
    where.select((eb) => eb.cast<number>(eb.fn.countAll(), "integer").as("total")).executeTakeFirstOrThrow(),
  ]);
  return { rows, total, ...pageOf(input) };
}

/** Incidents counted by time to restore (detected in range; open ones listed, not in the percentiles). */
export async function incidentsBehind(db: Db, input: DrilldownInput) {
  const f = await resolveFilter(db, input);
  const where = countedIncidents(db, f, f.from, f.to).$if(Boolean(input.week), (qb) => qb.where(inWeek("i.detectedAt", f, input.week)));
  const [rows, { total }] = await Promise.all([
    where
      .leftJoin("Deployment as d", "d.id", "i.deploymentId")
      .select((eb) => [
        "i.id",
        "i.title",
        "i.severity",
        "i.serviceId",
        "i.serviceName",
        "i.detectedAt",
        "i.resolvedAt",
        eb.cast<number | null>(restoreSeconds, "float8").as("restoreSeconds"),
        "i.deploymentId",
        "d.version as deploymentVersion",
        "i.source",
        "i.linkReason",
        "i.linkStatus",
        "i.rootCauseRef",
      ])
      .orderBy("i.detectedAt", "desc")
      .orderBy("i.id")
      .limit(DRILLDOWN_PAGE_SIZE)
      .offset(offsetOf(input))
      .execute(),
    where.select((eb) => eb.cast<number>(eb.fn.countAll(), "integer").as("total")).executeTakeFirstOrThrow(),
  ]);
  return { rows, total, ...pageOf(input) };
}
