-- CreateIndex
CREATE INDEX "Deployment_dora_service_idx" ON "Deployment"("serviceId", "environmentId", "deployedAt", "status", "isRollback", "hasIncident", "isRework", "nextGoodDeployedAt");
