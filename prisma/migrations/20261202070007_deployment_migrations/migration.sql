-- CreateTable
CREATE TABLE "DeploymentMigration" (
    "id" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "externalId" TEXT NOT NULL,
    "serviceId" TEXT,
    "serviceName" TEXT NOT NULL,
    "environmentId" TEXT,
    "environmentName" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "deploymentId" TEXT,
    "migrationId" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "downStep" TEXT NOT NULL DEFAULT '',
    "occurredAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "DeploymentMigration_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "DeploymentMigration_serviceId_environmentId_version_idx" ON "DeploymentMigration"("serviceId", "environmentId", "version");

-- CreateIndex
CREATE UNIQUE INDEX "DeploymentMigration_source_externalId_key" ON "DeploymentMigration"("source", "externalId");
