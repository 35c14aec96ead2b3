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

UPDATE "Deployment" d SET "isRework" = true
WHERE d."isRollback" OR d.id IN (
  SELECT r.id FROM "Deployment" r JOIN "Incident" i ON i."serviceId" = r."serviceId"
  WHERE i."deploymentId" IS NOT NULL AND i."deploymentId" <> r.id AND i."detectedAt" <= r."deployedAt"
    AND (i."resolvedAt" IS NULL OR i."resolvedAt" > r."deployedAt"));
