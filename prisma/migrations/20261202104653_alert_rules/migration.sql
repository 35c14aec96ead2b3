-- CreateTable
CREATE TABLE "AlertRule" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "metric" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "direction" TEXT NOT NULL DEFAULT 'above',
    "threshold" DOUBLE PRECISION,
    "windowDays" INTEGER NOT NULL DEFAULT 30,
    "baselineWeeks" INTEGER NOT NULL DEFAULT 8,
    "sensitivity" DOUBLE PRECISION NOT NULL DEFAULT 3,
    "teamId" TEXT,
    "serviceId" TEXT,
    "environmentId" TEXT,
    "severity" TEXT NOT NULL DEFAULT 'high',
    "mutedUntil" TIMESTAMP(3),
    "state" TEXT NOT NULL DEFAULT 'ok',
    "lastValue" DOUBLE PRECISION,
    "lastDetail" TEXT NOT NULL DEFAULT '',
    "lastEvaluatedAt" TIMESTAMP(3),
    "stateChangedAt" TIMESTAMP(3),
    "createdById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "AlertRule_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "AlertRule_name_key" ON "AlertRule"("name");

-- CreateIndex
CREATE INDEX "AlertRule_lastEvaluatedAt_idx" ON "AlertRule"("lastEvaluatedAt");
