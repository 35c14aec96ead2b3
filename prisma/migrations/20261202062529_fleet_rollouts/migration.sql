-- CreateTable
CREATE TABLE "DeploymentTarget" (
    "id" TEXT NOT NULL,
    "environmentId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "labels" JSONB NOT NULL DEFAULT '{}',
    "executor" TEXT NOT NULL DEFAULT 'simulator',
    "executorConfig" JSONB NOT NULL DEFAULT '{}',
    "healthCheck" JSONB NOT NULL DEFAULT '{}',
    "health" TEXT NOT NULL DEFAULT 'unknown',
    "healthMessage" TEXT NOT NULL DEFAULT '',
    "healthCheckedAt" TIMESTAMP(3),
    "drained" BOOLEAN NOT NULL DEFAULT false,
    "drainedReason" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DeploymentTarget_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TargetHealthCheck" (
    "id" BIGSERIAL NOT NULL,
    "targetId" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "message" TEXT NOT NULL DEFAULT '',
    "latencyMs" INTEGER NOT NULL DEFAULT 0,
    "checkedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TargetHealthCheck_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RolloutPlan" (
    "environmentId" TEXT NOT NULL,
    "waves" JSONB NOT NULL DEFAULT '[]',
    "maxParallel" INTEGER NOT NULL DEFAULT 5,
    "soakSeconds" INTEGER NOT NULL DEFAULT 0,
    "onUnhealthy" TEXT NOT NULL DEFAULT 'hold',
    "onFailure" TEXT NOT NULL DEFAULT 'rollback_failed',
    "analysis" JSONB,
    "revision" INTEGER NOT NULL DEFAULT 0,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RolloutPlan_pkey" PRIMARY KEY ("environmentId")
);

-- CreateTable
CREATE TABLE "Rollout" (
    "id" TEXT NOT NULL,
    "requestId" TEXT NOT NULL,
    "environmentId" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'running',
    "phase" TEXT NOT NULL DEFAULT 'deploying',
    "dueAt" TIMESTAMP(3),
    "plan" JSONB NOT NULL,
    "currentWave" INTEGER NOT NULL DEFAULT 0,
    "waveCount" INTEGER NOT NULL DEFAULT 0,
    "message" TEXT NOT NULL DEFAULT '',
    "revision" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "Rollout_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RolloutStep" (
    "id" TEXT NOT NULL,
    "rolloutId" TEXT NOT NULL,
    "targetId" TEXT NOT NULL,
    "wave" INTEGER NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempt" INTEGER NOT NULL DEFAULT 0,
    "deployCount" INTEGER NOT NULL DEFAULT 0,
    "message" TEXT NOT NULL DEFAULT '',
    "heartbeatAt" TIMESTAMP(3),
    "queuedAt" TIMESTAMP(3),
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "executorMs" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "RolloutStep_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RolloutAnalysis" (
    "id" TEXT NOT NULL,
    "rolloutId" TEXT NOT NULL,
    "wave" INTEGER NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'running',
    "measurements" JSONB NOT NULL DEFAULT '[]',
    "message" TEXT NOT NULL DEFAULT '',
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "RolloutAnalysis_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "DeploymentTarget_name_key" ON "DeploymentTarget"("name");

-- CreateIndex
CREATE INDEX "DeploymentTarget_environmentId_idx" ON "DeploymentTarget"("environmentId");

-- CreateIndex
CREATE INDEX "DeploymentTarget_healthCheckedAt_idx" ON "DeploymentTarget"("healthCheckedAt");

-- CreateIndex
CREATE INDEX "TargetHealthCheck_targetId_checkedAt_idx" ON "TargetHealthCheck"("targetId", "checkedAt");

-- CreateIndex
CREATE UNIQUE INDEX "Rollout_requestId_key" ON "Rollout"("requestId");

-- CreateIndex
CREATE INDEX "Rollout_status_dueAt_idx" ON "Rollout"("status", "dueAt");

-- CreateIndex
CREATE INDEX "RolloutStep_status_heartbeatAt_idx" ON "RolloutStep"("status", "heartbeatAt");

-- CreateIndex
CREATE UNIQUE INDEX "RolloutStep_rolloutId_targetId_key" ON "RolloutStep"("rolloutId", "targetId");

-- CreateIndex
CREATE UNIQUE INDEX "RolloutAnalysis_rolloutId_wave_key" ON "RolloutAnalysis"("rolloutId", "wave");

-- AddForeignKey
ALTER TABLE "DeploymentTarget" ADD CONSTRAINT "DeploymentTarget_environmentId_fkey" FOREIGN KEY ("environmentId") REFERENCES "Environment"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TargetHealthCheck" ADD CONSTRAINT "TargetHealthCheck_targetId_fkey" FOREIGN KEY ("targetId") REFERENCES "DeploymentTarget"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RolloutPlan" ADD CONSTRAINT "RolloutPlan_environmentId_fkey" FOREIGN KEY ("environmentId") REFERENCES "Environment"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Rollout" ADD CONSTRAINT "Rollout_requestId_fkey" FOREIGN KEY ("requestId") REFERENCES "DeploymentRequest"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RolloutStep" ADD CONSTRAINT "RolloutStep_rolloutId_fkey" FOREIGN KEY ("rolloutId") REFERENCES "Rollout"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RolloutStep" ADD CONSTRAINT "RolloutStep_targetId_fkey" FOREIGN KEY ("targetId") REFERENCES "DeploymentTarget"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RolloutAnalysis" ADD CONSTRAINT "RolloutAnalysis_rolloutId_fkey" FOREIGN KEY ("rolloutId") REFERENCES "Rollout"("id") ON DELETE CASCADE ON UPDATE CASCADE;
