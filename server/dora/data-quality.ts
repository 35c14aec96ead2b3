// What a platform team needs to fix its feeds: refused events by reason, events stuck or dead, deployments that
// shipped no known changes, incidents without a service, and names the catalog does not know. All aggregated in SQL.
import { jsonBuildObject } from "kysely/helpers/postgres";
import { parseUtcTimestamp, sql, type Db } from "../db";
import { utc } from "./metrics";

/** At most this many of the deployments without changes are listed (all are counted). */
const UNLINKED_SAMPLE = 20;

export async function dataQualityReport(db: Db, since: Date) {
  const k = db.kysely;
  const count = sql<number>`count(*)::int`;
  const [rejectedByReason, recentRejections, inbound, unlinkedDeployments, incidentsWithoutService, unknownServices] = await Promise.all([
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
      .where("receivedAt", ">=", utc(since))
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
          .where("d.deployedAt", ">=", utc(since))
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
      where: { serviceId: null, detectedAt: { gte: since } },
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
          .where("deployedAt", ">=", utc(since))
          .unionAll((qc2) =>
            qc2
              .selectFrom("Change")
              .select((eb) => [sql.lit("change").$castTo<string>().as("kind"), "serviceName as name", eb.fn.coalesce("mergedAt", "authoredAt").as("at")])
              .where("serviceId", "is", null)
              .where("authoredAt", ">=", utc(since)),
          )
          .unionAll((qc2) =>
            qc2
              .selectFrom("Incident")
              .select([sql.lit("incident").$castTo<string>().as("kind"), "serviceName as name", "detectedAt as at"])
              .where("serviceId", "is", null)
              .where("serviceName", "<>", "")
              .where("detectedAt", ">=", utc(since)),
          )
          .as("u"),
      )
      .select((eb) => ["u.kind", "u.name", count.as("count"), eb.fn.max("u.at").as("lastAt")])
      .groupBy(["u.kind", "u.name"])
      .orderBy("count", "desc")
      .limit(100)
      .execute(),
  ]);
  return {
    since,
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
