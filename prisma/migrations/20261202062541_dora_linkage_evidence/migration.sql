-- AlterTable
ALTER TABLE "Service" ADD COLUMN     "incidentAliases" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- AlterTable
ALTER TABLE "Deployment" ADD COLUMN     "revision" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "revisionMergedAt" TIMESTAMP(3),
ADD COLUMN     "shippedRefs" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- AlterTable
ALTER TABLE "Change" ADD COLUMN     "commitSha" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "firstCommitAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "Incident" ADD COLUMN     "linkReason" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "linkStatus" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "rootCauseRef" TEXT NOT NULL DEFAULT '';

-- AlterTable
ALTER TABLE "DeploymentChange" ADD COLUMN     "linkedBy" TEXT NOT NULL DEFAULT 'merge_order',
ADD COLUMN     "startKind" TEXT NOT NULL DEFAULT 'merge';

-- CreateTable
CREATE TABLE "LiveVersion" (
    "serviceId" TEXT NOT NULL,
    "environmentId" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "deploymentId" TEXT NOT NULL,
    "deployedAt" TIMESTAMP(3) NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "LiveVersion_pkey" PRIMARY KEY ("serviceId","environmentId")
);

-- CreateIndex
CREATE INDEX "Change_serviceName_commitSha_idx" ON "Change"("serviceName", "commitSha");
