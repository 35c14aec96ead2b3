-- AlterTable
ALTER TABLE "DeploymentRequest" ADD COLUMN     "failureProbability" DOUBLE PRECISION,
ADD COLUMN     "failureReasons" JSONB NOT NULL DEFAULT '[]';

-- CreateTable
CREATE TABLE "RiskModel" (
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "reason" TEXT NOT NULL DEFAULT '',
    "coefficients" JSONB NOT NULL DEFAULT '{}',
    "finished" INTEGER NOT NULL,
    "failures" INTEGER NOT NULL,
    "trainCount" INTEGER NOT NULL DEFAULT 0,
    "testCount" INTEGER NOT NULL DEFAULT 0,
    "auc" DOUBLE PRECISION,
    "brier" DOUBLE PRECISION,
    "baselineAuc" DOUBLE PRECISION,
    "calibration" JSONB NOT NULL DEFAULT '[]',
    "trainedById" TEXT,
    "trainedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RiskModel_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "RiskModel_trainedAt_idx" ON "RiskModel"("trainedAt");
