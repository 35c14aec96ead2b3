-- CreateTable
CREATE TABLE "PipelineRun" (
    "id" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "externalId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "serviceId" TEXT,
    "serviceName" TEXT NOT NULL,
    "name" TEXT NOT NULL DEFAULT '',
    "status" TEXT NOT NULL,
    "ref" TEXT NOT NULL DEFAULT '',
    "sha" TEXT NOT NULL DEFAULT '',
    "url" TEXT NOT NULL DEFAULT '',
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "PipelineRun_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "EnvironmentChange" (
    "id" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "externalId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "environmentId" TEXT,
    "environmentName" TEXT NOT NULL,
    "serviceId" TEXT,
    "serviceName" TEXT NOT NULL DEFAULT '',
    "status" TEXT NOT NULL,
    "summary" TEXT NOT NULL DEFAULT '',
    "revision" TEXT NOT NULL DEFAULT '',
    "url" TEXT NOT NULL DEFAULT '',
    "occurredAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "EnvironmentChange_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "PipelineRun_serviceId_updatedAt_idx" ON "PipelineRun"("serviceId", "updatedAt");

-- CreateIndex
CREATE UNIQUE INDEX "PipelineRun_source_externalId_key" ON "PipelineRun"("source", "externalId");

-- CreateIndex
CREATE INDEX "EnvironmentChange_environmentName_occurredAt_idx" ON "EnvironmentChange"("environmentName", "occurredAt");

-- CreateIndex
CREATE INDEX "EnvironmentChange_serviceId_occurredAt_idx" ON "EnvironmentChange"("serviceId", "occurredAt");

-- CreateIndex
CREATE UNIQUE INDEX "EnvironmentChange_source_externalId_key" ON "EnvironmentChange"("source", "externalId");
