-- DropIndex
DROP INDEX "Incident_detectedAt_serviceId_environmentId_resolvedAt_idx";

-- DropIndex
DROP INDEX "DeploymentChange_dora_covering_idx";

-- CreateIndex
CREATE INDEX "Incident_dora_covering_idx" ON "Incident"("detectedAt", "serviceId", "environmentId", "resolvedAt", "linkReason", "deploymentId");

-- CreateIndex
CREATE INDEX "DeploymentChange_dora_covering_idx" ON "DeploymentChange"("environmentId", "deployedAt", "serviceId", "leadTimeSeconds", "startKind", "linkedBy");

-- CreateIndex
CREATE INDEX "DeploymentChange_dora_service_idx" ON "DeploymentChange"("serviceId", "environmentId", "deployedAt", "leadTimeSeconds", "startKind", "linkedBy");
