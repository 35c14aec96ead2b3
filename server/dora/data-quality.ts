// What a platform team needs to fix its feeds: refused events by reason, events stuck or dead, event types and
// environments nobody knows, times far in the future, deployments that shipped no known changes, incidents without a
// service, and names the catalog does not know. All aggregated in SQL.
// The window applies by event time (when the events say things happened) or by received time (when they reached
// Pier: what a backfill of last year's history brought in today). Refusals only ever have a received time.
import { jsonBuildObject } from "kysely/helpers/postgres";
import { parseUtcTimestamp, sql, type Db } from "../db";
import { utc } from "./metrics";

/** At most this many of the deployments without changes (and of the future-dated events) are listed (all are counted). */
const UNLINKED_SAMPLE = 20;
/** Keep in step with FUTURE_TOLERANCE_MS in server/ingest/canonical-facts.ts (the rows' times are capped there). */
const FUTURE_TOLERANCE = sql.lit("10 minutes");

type DataQualityBasis = "event" | "received";

export async function dataQualityReport(db: Db, since: Date, basis: DataQualityBasis = "event") {
  const k = db.kysely;
  const count = sql<number>`count(*)::int`;
  const byEvent = basis === "event";
  // An inbound event without a time of its own (a GitHub ping, …) counts by when it arrived.
  const inboundAt = byEvent ? sql<Date>`coalesce("occurredAt", "receivedAt")` : sql<Date>`"receivedAt"`;
  const [rejectedByReason, recentRejections, inbound, unlinkedDeployments, incidentsWithoutService, unknownServices, extra] = await Promise.all([
    k
      .selectFrom("RejectedEvent")
      .select((eb) => [
        "source",
        eb.fn<string>("split_part", ["reason", sql.lit(":"), sql.lit(1)]).as("reason"),
        // Repeats are aggregated into one row with a count (server/ingest/rejections.ts).
        sql<number>`sum("count")::int`.as("count"),
        eb.fn.max("lastSeenAt").as("lastAt"),
      ])
      .where("lastSeenAt", ">=", utc(since))
      .groupBy([sql.lit(1), sql.lit(2)])
      .orderBy("count", "desc")
      .limit(50)
      .execute(),
    db.rejectedEvent.findMany({ where: { lastSeenAt: { gte: since } }, orderBy: { lastSeenAt: "desc" }, take: 20 }),
    k
      .selectFrom("InboundEvent")
      .select(["source", "status", count.as("count")])
      .where(inboundAt, ">=", utc(since))
      .groupBy([sql.lit(1), sql.lit(2)])
      .orderBy(sql.lit(1))
      .orderBy(sql.lit(2))
      .execute(),
    k
      .selectFrom((qc) =>
        qc
          .selectFrom("Deployment as d")
          .select((eb) => [
            "d.id",
            "d.serviceName",
            "d.environmentName",
            "d.version",
            "d.deployedAt",
            eb.fn
              .agg<number>("row_number")
              .over((ob) => ob.orderBy("d.deployedAt", "desc"))
              .as("rn"),
          ])
          .where(byEvent ? "d.deployedAt" : "d.createdAt", ">=", utc(since))
          .where("d.status", "<>", "failed")
          .where((eb) => eb.not(eb.ref("d.isRollback")))
          .where((eb) => eb.not(eb.exists(eb.selectFrom("DeploymentChange as dc").select(sql.lit(1).as("one")).whereRef("dc.deploymentId", "=", "d.id"))))
          .as("x"),
      )
      .select((eb) => [
        count.as("count"),
        eb.fn
          .agg<{ id: string; serviceName: string; environmentName: string; version: string; deployedAt: string }[] | null>("json_agg", [
            jsonBuildObject({
              id: eb.ref("x.id"),
              serviceName: eb.ref("x.serviceName"),
              environmentName: eb.ref("x.environmentName"),
              version: eb.ref("x.version"),
              deployedAt: eb.ref("x.deployedAt"),
            }),
          ])
          .orderBy("x.deployedAt", "desc")
          .filterWhere("x.rn", "<=", UNLINKED_SAMPLE)
          .as("sample"),
      ])
      .executeTakeFirstOrThrow(),
    db.incident.findMany({
      where: { serviceId: null, ...(byEvent ? { detectedAt: { gte: since } } : { createdAt: { gte: since } }) },
      orderBy: { detectedAt: "desc" },
      take: 50,
      select: { id: true, title: true, serviceName: true, source: true, detectedAt: true },
    }),
    k
      .selectFrom((qc) =>
        qc
          .selectFrom("Deployment")
          .select([sql.lit("deployment").$castTo<string>().as("kind"), "serviceName as name", "deployedAt as at"])
          .where("serviceId", "is", null)
          .where(byEvent ? "deployedAt" : "createdAt", ">=", utc(since))
          .unionAll((qc2) =>
            qc2
              .selectFrom("Change")
              .select((eb) => [sql.lit("change").$castTo<string>().as("kind"), "serviceName as name", eb.fn.coalesce("mergedAt", "authoredAt").as("at")])
              .where("serviceId", "is", null)
              .where(byEvent ? "authoredAt" : "createdAt", ">=", utc(since)),
          )
          .unionAll((qc2) =>
            qc2
              .selectFrom("Incident")
              .select([sql.lit("incident").$castTo<string>().as("kind"), "serviceName as name", "detectedAt as at"])
              .where("serviceId", "is", null)
              .where("serviceName", "<>", "")
              .where(byEvent ? "detectedAt" : "createdAt", ">=", utc(since)),
          )
          .unionAll((qc2) =>
            qc2
              // A flag change whose project maps to no service (EnvironmentChange keeps no receipt time: event time).
              .selectFrom("EnvironmentChange")
              .select([sql.lit("flag change").$castTo<string>().as("kind"), "serviceName as name", "occurredAt as at"])
              .where("serviceId", "is", null)
              .where("kind", "=", "feature_flag")
              .where("serviceName", "<>", "")
              .where("occurredAt", ">=", utc(since)),
          )
          .as("u"),
      )
      .select((eb) => ["u.kind", "u.name", count.as("count"), eb.fn.max("u.at").as("lastAt")])
      .groupBy(["u.kind", "u.name"])
      .orderBy("count", "desc")
      .limit(100)
      .execute(),
    ingestionReport(db, since, basis),
  ]);
  return {
    since,
    basis,
    ...extra,
    rejectedByReason,
    recentRejections,
    inbound,
    deploymentsWithoutChanges: {
      count: unlinkedDeployments.count,
      // json_build_object writes timestamps as UTC wall-clock text without a zone.
      sample: (unlinkedDeployments.sample ?? []).map((s) => ({ ...s, deployedAt: parseUtcTimestamp(s.deployedAt) })),
    },
    incidentsWithoutService,
    unknownServices,
  };
}

/** What ingestion itself flags: unknown event types, unknown environments, and times far after receipt. */
async function ingestionReport(db: Db, since: Date, basis: DataQualityBasis) {
  const k = db.kysely;
  const count = sql<number>`count(*)::int`;
  const byEvent = basis === "event";
  const inboundAt = byEvent ? sql<Date>`coalesce("occurredAt", "receivedAt")` : sql<Date>`"receivedAt"`;
  const future = sql<boolean>`"occurredAt" > "receivedAt" + interval ${FUTURE_TOLERANCE}`;
  const [unknownTypes, unknownEnvironments, futureCount, futureSample, changeLinkage] = await Promise.all([
    // Stored, never translated: a custom type or one the declared CDEvents release does not define.
    k
      .selectFrom("InboundEvent")
      .select((eb) => ["source", "type", count.as("count"), eb.fn.max("receivedAt").as("lastAt")])
      .where("knownType", "=", false)
      .where(inboundAt, ">=", utc(since))
      .groupBy(["source", "type"])
      .orderBy("count", "desc")
      .limit(100)
      .execute(),
    // Deployments to an environment the catalog does not have (kept by the name the source used).
    k
      .selectFrom("Deployment")
      .select((eb) => [
        "environmentName as name",
        count.as("count"),
        eb.fn.max("deployedAt").as("lastAt"),
        sql<string>`string_agg(DISTINCT source, ', ')`.as("sources"),
      ])
      .where("environmentId", "is", null)
      .where(byEvent ? "deployedAt" : "createdAt", ">=", utc(since))
      .groupBy("environmentName")
      .orderBy("count", "desc")
      .limit(100)
      .execute(),
    k.selectFrom("InboundEvent").select(count.as("count")).where(future).where(inboundAt, ">=", utc(since)).executeTakeFirstOrThrow(),
    k
      .selectFrom("InboundEvent")
      .select(["id", "source", "type", "externalId", "occurredAt", "receivedAt"])
      .where(future)
      .where(inboundAt, ">=", utc(since))
      .orderBy("receivedAt", "desc")
      .limit(UNLINKED_SAMPLE)
      .execute(),
    // How changes were credited to deployments (server/dora/linkage.ts): merge_order rows are the fallback, where the
    // deployment said nothing about what it deployed (send its commit or change list to fix them).
    k
      .selectFrom("DeploymentChange as dc")
      .innerJoin("Deployment as d", "d.id", "dc.deploymentId")
      .select(["dc.environmentName", "dc.linkedBy", count.as("count"), sql<string>`string_agg(DISTINCT d.source, ', ')`.as("sources")])
      .where(byEvent ? "dc.deployedAt" : "d.createdAt", ">=", utc(since))
      .groupBy(["dc.environmentName", "dc.linkedBy"])
      .orderBy("dc.environmentName")
      .orderBy("dc.linkedBy")
      .execute(),
  ]);
  return { unknownTypes, unknownEnvironments, futureTimestamps: { count: futureCount.count, sample: futureSample }, changeLinkage };
}
