// What a platform team needs to fix its feeds: refused events by reason, events stuck or dead, deployments that
// shipped no known changes, incidents without a service, and names the catalog does not know. All aggregated in SQL.
import type { Db } from "../db";
import { utc } from "./metrics";

export async function dataQualityReport(db: Db, since: Date) {
  const [rejectedByReason, recentRejections, inbound, unlinkedDeployments, incidentsWithoutService, unknownServices] = await Promise.all([
    db.$queryRaw<{ source: string; reason: string; count: number; lastAt: Date }[]>`
      SELECT source, split_part(reason, ':', 1) AS reason, count(*)::int AS count, max("receivedAt") AS "lastAt"
      FROM "RejectedEvent" WHERE "receivedAt" >= ${utc(since)}
      GROUP BY 1, 2 ORDER BY count DESC LIMIT 50`,
    db.rejectedEvent.findMany({ where: { receivedAt: { gte: since } }, orderBy: { receivedAt: "desc" }, take: 20 }),
    db.$queryRaw<{ source: string; status: string; count: number }[]>`
      SELECT source, status, count(*)::int AS count FROM "InboundEvent" WHERE "receivedAt" >= ${utc(since)} GROUP BY 1, 2 ORDER BY 1, 2`,
    db.$queryRaw<{ count: number; sample: { id: string; serviceName: string; environmentName: string; version: string; deployedAt: string }[] | null }[]>`
      SELECT count(*)::int AS count,
             (json_agg(json_build_object('id', id, 'serviceName', "serviceName", 'environmentName', "environmentName", 'version', version, 'deployedAt', "deployedAt") ORDER BY "deployedAt" DESC)
               FILTER (WHERE rn <= 20)) AS sample
      FROM (
        SELECT d.*, row_number() OVER (ORDER BY d."deployedAt" DESC) AS rn FROM "Deployment" d
        WHERE d."deployedAt" >= ${utc(since)} AND d.status <> 'failed' AND NOT d."isRollback"
          AND NOT EXISTS (SELECT 1 FROM "DeploymentChange" dc WHERE dc."deploymentId" = d.id)
      ) x`,
    db.incident.findMany({
      where: { serviceId: null, detectedAt: { gte: since } },
      orderBy: { detectedAt: "desc" },
      take: 50,
      select: { id: true, title: true, serviceName: true, source: true, detectedAt: true },
    }),
    db.$queryRaw<{ kind: string; name: string; count: number; lastAt: Date }[]>`
      SELECT kind, name, count(*)::int AS count, max(at) AS "lastAt" FROM (
        SELECT 'deployment' AS kind, "serviceName" AS name, "deployedAt" AS at FROM "Deployment" WHERE "serviceId" IS NULL AND "deployedAt" >= ${utc(since)}
        UNION ALL SELECT 'change', "serviceName", COALESCE("mergedAt", "authoredAt") FROM "Change" WHERE "serviceId" IS NULL AND "authoredAt" >= ${utc(since)}
        UNION ALL SELECT 'incident', "serviceName", "detectedAt" FROM "Incident" WHERE "serviceId" IS NULL AND "serviceName" <> '' AND "detectedAt" >= ${utc(since)}
      ) u GROUP BY kind, name ORDER BY count DESC LIMIT 100`,
  ]);
  return {
    since,
    rejectedByReason,
    recentRejections,
    inbound,
    deploymentsWithoutChanges: { count: unlinkedDeployments[0]?.count ?? 0, sample: unlinkedDeployments[0]?.sample ?? [] },
    incidentsWithoutService,
    unknownServices,
  };
}
