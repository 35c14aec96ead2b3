-- CreateTable
CREATE TABLE "Release" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "environmentId" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending_approval',
    "onFailure" TEXT NOT NULL DEFAULT 'rollback',
    "creatorId" TEXT NOT NULL,
    "policySnapshot" JSONB NOT NULL DEFAULT '{}',
    "approvalsRequired" INTEGER NOT NULL DEFAULT 1,
    "approvedBy" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "message" TEXT NOT NULL DEFAULT '',
    "revision" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "Release_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ReleaseMember" (
    "releaseId" TEXT NOT NULL,
    "requestId" TEXT NOT NULL,
    "serviceId" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "after" TEXT[] DEFAULT ARRAY[]::TEXT[],

    CONSTRAINT "ReleaseMember_pkey" PRIMARY KEY ("releaseId","position")
);

-- CreateTable
CREATE TABLE "TargetLiveVersion" (
    "serviceId" TEXT NOT NULL,
    "environmentId" TEXT NOT NULL,
    "target" TEXT NOT NULL DEFAULT '',
    "version" TEXT NOT NULL,
    "observedAt" TIMESTAMP(3) NOT NULL,
    "source" TEXT NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TargetLiveVersion_pkey" PRIMARY KEY ("serviceId","environmentId","target")
);

-- CreateTable
CREATE TABLE "DriftStatus" (
    "serviceId" TEXT NOT NULL,
    "environmentId" TEXT NOT NULL,
    "target" TEXT NOT NULL DEFAULT '',
    "desiredVersion" TEXT,
    "liveVersion" TEXT,
    "status" TEXT NOT NULL DEFAULT 'unknown',
    "driftSince" TIMESTAMP(3),
    "checkedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DriftStatus_pkey" PRIMARY KEY ("serviceId","environmentId","target")
);

-- CreateIndex
CREATE INDEX "Release_status_idx" ON "Release"("status");

-- CreateIndex
CREATE INDEX "Release_environmentId_createdAt_idx" ON "Release"("environmentId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "ReleaseMember_requestId_key" ON "ReleaseMember"("requestId");

-- CreateIndex
CREATE INDEX "TargetLiveVersion_environmentId_idx" ON "TargetLiveVersion"("environmentId");

-- CreateIndex
CREATE INDEX "DriftStatus_status_idx" ON "DriftStatus"("status");

-- CreateIndex
CREATE INDEX "DriftStatus_environmentId_idx" ON "DriftStatus"("environmentId");

-- AddForeignKey
ALTER TABLE "ReleaseMember" ADD CONSTRAINT "ReleaseMember_releaseId_fkey" FOREIGN KEY ("releaseId") REFERENCES "Release"("id") ON DELETE CASCADE ON UPDATE CASCADE;
