// Per-deployment facts the DORA summary reads set-based (server/dora/pier-details.ts), kept when a deployment or an
// incident is projected so no query looks anything up per deployment:
//   nextGoodDeployedAt  the time of the service's next good deployment (succeeded, no incident linked) in the same
//                       environment after this one; for a change failure it is when the service recovered
//                       (failed deployment recovery time = nextGoodDeployedAt − deployedAt).
//   isRework            the deployment is unplanned: a rollback, or deployed while an incident caused by another
//                       deployment of the service was open (detected at or before it, resolved after it or not yet).
// Each fact depends on other rows, so every writer that changes those rows calls the matching refresh here:
// a deployment recorded or changed (its status, time or incident flag) refreshes the next-good time of the earlier
// deployments of its service and environment that could point at it; an incident recorded, re-linked or resolved
// refreshes rework of the service's deployments from its detection on. The migration that added the columns and
// backfillDeploymentFacts (seed, benchmark) compute the same facts for whole histories at once.
import { anyOf, sql, type Tx } from "../db";

/** The SQL expression "deployment d is rework" (the definition, used by the refresh and the backfill). */
const IS_REWORK = sql<boolean>`(d."isRollback" OR EXISTS (
  SELECT 1 FROM "Incident" i WHERE i."serviceId" = d."serviceId" AND i."deploymentId" IS NOT NULL AND i."deploymentId" <> d.id
    AND i."detectedAt" <= d."deployedAt" AND (i."resolvedAt" IS NULL OR i."resolvedAt" > d."deployedAt")))`;

/** The SQL expression "the next good deployment after d in its service and environment". */
const NEXT_GOOD = sql<Date | null>`(SELECT min(n."deployedAt") FROM "Deployment" n
  WHERE n."serviceName" = d."serviceName" AND n."environmentName" = d."environmentName" AND n.status = 'succeeded'
    AND NOT n."hasIncident" AND n."deployedAt" > d."deployedAt")`;

type DeploymentRef = { id: string; serviceName: string; environmentName: string; deployedAt: Date };

/**
 * After deployment `at` was recorded or changed: its own facts, and the next-good time of the earlier deployments of
 * its service and environment that had none or one at or after it (those are the only ones it can change).
 * `previousDeployedAt`: the deployment's time before an update moved it, whose neighbours are refreshed too.
 */
export async function refreshAfterDeployment(tx: Tx, at: DeploymentRef & { serviceId: string | null }, previousDeployedAt?: Date) {
  const times = [at.deployedAt, ...(previousDeployedAt && previousDeployedAt.getTime() !== at.deployedAt.getTime() ? [previousDeployedAt] : [])];
  for (const t of times)
    await sql`
      UPDATE "Deployment" d SET "nextGoodDeployedAt" = ${NEXT_GOOD}
      WHERE d."serviceName" = ${at.serviceName} AND d."environmentName" = ${at.environmentName}
        AND (d.id = ${at.id} OR (d."deployedAt" < ${t}::timestamp AND (d."nextGoodDeployedAt" IS NULL OR d."nextGoodDeployedAt" >= ${t}::timestamp)))
        AND d."nextGoodDeployedAt" IS DISTINCT FROM ${NEXT_GOOD}`.execute(tx);
  await sql`UPDATE "Deployment" d SET "isRework" = ${IS_REWORK} WHERE d.id = ${at.id} AND d."isRework" IS DISTINCT FROM ${IS_REWORK}`.execute(tx);
}

/** After deployments' incident flags changed (an incident linked, re-linked or disputed). */
export async function refreshAfterIncidentFlags(tx: Tx, deploymentIds: string[]) {
  if (deploymentIds.length === 0) return;
  const rows = await tx
    .selectFrom("Deployment")
    .select(["id", "serviceId", "serviceName", "environmentName", "deployedAt"])
    .where("id", "=", anyOf(deploymentIds))
    .execute();
  for (const row of rows) await refreshAfterDeployment(tx, row);
}

/** After an incident of these services was recorded, re-linked or resolved: rework of their deployments since `since`. */
export async function refreshRework(tx: Tx, serviceIds: (string | null | undefined)[], since: Date) {
  const ids = [...new Set(serviceIds.filter((x): x is string => Boolean(x)))];
  if (ids.length === 0) return;
  await sql`
    UPDATE "Deployment" d SET "isRework" = ${IS_REWORK}
    WHERE d."serviceId" = ANY(${ids}::text[]) AND d."deployedAt" >= ${since}::timestamp AND d."isRework" IS DISTINCT FROM ${IS_REWORK}`.execute(tx);
}

/**
 * Both facts for whole histories at once (the seed, the benchmark): window and hash joins, no per-row lookups.
 * Same statements as the migration that added the columns.
 */
export async function backfillDeploymentFacts(tx: Tx, serviceNames?: string[]) {
  const scope = (col: string) => (serviceNames ? sql`AND ${sql.ref(col)} = ANY(${serviceNames}::text[])` : sql``);
  await sql`
    UPDATE "Deployment" d SET "nextGoodDeployedAt" = n.at
    FROM (SELECT id, min("deployedAt") FILTER (WHERE status = 'succeeded' AND NOT "hasIncident")
                     OVER (PARTITION BY "serviceName", "environmentName" ORDER BY "deployedAt"
                           RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING EXCLUDE GROUP) AS at
          FROM "Deployment" x WHERE true ${scope("x.serviceName")}) n
    WHERE d.id = n.id AND d."nextGoodDeployedAt" IS DISTINCT FROM n.at`.execute(tx);
  await sql`
    UPDATE "Deployment" d SET "isRework" = x.rework
    FROM (SELECT r.id, r."isRollback" OR EXISTS (
                   SELECT 1 FROM "Incident" i WHERE i."serviceId" = r."serviceId" AND i."deploymentId" IS NOT NULL AND i."deploymentId" <> r.id
                     AND i."detectedAt" <= r."deployedAt" AND (i."resolvedAt" IS NULL OR i."resolvedAt" > r."deployedAt")) AS rework
          FROM "Deployment" r WHERE true ${scope("r.serviceName")}) x
    WHERE d.id = x.id AND d."isRework" IS DISTINCT FROM x.rework`.execute(tx);
}
