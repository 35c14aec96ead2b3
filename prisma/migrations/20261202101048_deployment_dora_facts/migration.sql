-- DropIndex
DROP INDEX "Deployment_dora_covering_idx";

-- AlterTable
ALTER TABLE "Deployment" ADD COLUMN     "isRework" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "nextGoodDeployedAt" TIMESTAMP(3);

-- CreateIndex
CREATE INDEX "Deployment_dora_covering_idx" ON "Deployment"("environmentId", "deployedAt", "serviceId", "status", "isRollback", "hasIncident", "isRework", "nextGoodDeployedAt");

-- pier:not-in-schema
-- Backfill the facts for existing deployments, set-based (server/dora/deployment-facts.ts backfillDeploymentFacts
-- runs the same statements for the seed and the benchmark; the projection keeps them from now on).
UPDATE "Deployment" d SET "nextGoodDeployedAt" = n.at
FROM (SELECT id, min("deployedAt") FILTER (WHERE status = 'succeeded' AND NOT "hasIncident")
                 OVER (PARTITION BY "serviceName", "environmentName" ORDER BY "deployedAt"
                       RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING EXCLUDE GROUP) AS at
      FROM "Deployment") n
WHERE d.id = n.id AND n.at IS NOT NULL;

-- Rework: rollbacks, and deployments made while an incident blamed on another deployment of the service was open.
-- Two plain updates that touch only the rows that are rework (the first version, one UPDATE with
-- "isRollback" OR id IN (join), had not finished after 29 minutes on a 1M-deployment benchmark database).
UPDATE "Deployment" SET "isRework" = true WHERE "isRollback";

UPDATE "Deployment" d SET "isRework" = true
FROM (SELECT DISTINCT r.id FROM "Deployment" r JOIN "Incident" i ON i."serviceId" = r."serviceId"
      WHERE i."deploymentId" IS NOT NULL AND i."deploymentId" <> r.id AND i."detectedAt" <= r."deployedAt"
        AND (i."resolvedAt" IS NULL OR i."resolvedAt" > r."deployedAt")) x
WHERE d.id = x.id AND NOT d."isRework";
