-- AlterTable
ALTER TABLE "DeploymentTarget" ADD COLUMN     "failoverTargetId" TEXT;

-- CreateTable
CREATE TABLE "TargetDrainRequest" (
    "id" TEXT NOT NULL,
    "targetId" TEXT NOT NULL,
    "drain" BOOLEAN NOT NULL,
    "reason" TEXT NOT NULL DEFAULT '',
    "requestedById" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "decidedById" TEXT,
    "decidedAt" TIMESTAMP(3),
    "failoverMessage" TEXT NOT NULL DEFAULT '',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TargetDrainRequest_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "TargetDrainRequest_targetId_status_idx" ON "TargetDrainRequest"("targetId", "status");

-- AddForeignKey
ALTER TABLE "TargetDrainRequest" ADD CONSTRAINT "TargetDrainRequest_targetId_fkey" FOREIGN KEY ("targetId") REFERENCES "DeploymentTarget"("id") ON DELETE CASCADE ON UPDATE CASCADE;
