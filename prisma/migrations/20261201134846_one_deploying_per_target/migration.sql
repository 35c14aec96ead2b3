-- AlterTable
ALTER TABLE "DeploymentRequest" ADD COLUMN     "deployingSlot" BOOLEAN;

-- Runs already deploying hold their target's slot (one per target: should a target have several from before this
-- rule, the earliest started holds it and the others release nothing when they finish).
UPDATE "DeploymentRequest" SET "deployingSlot" = true
 WHERE id IN (SELECT DISTINCT ON ("serviceId", "environmentId") id FROM "DeploymentRequest"
               WHERE status = 'deploying' ORDER BY "serviceId", "environmentId", "startedAt" NULLS LAST, id);

-- CreateIndex
CREATE UNIQUE INDEX "DeploymentRequest_one_deploying_per_target" ON "DeploymentRequest"("serviceId", "environmentId", "deployingSlot");
