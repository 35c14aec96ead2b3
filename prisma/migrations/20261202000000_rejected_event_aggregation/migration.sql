-- AlterTable
ALTER TABLE "RejectedEvent" ADD COLUMN     "count" INTEGER NOT NULL DEFAULT 1,
ADD COLUMN     "fingerprint" TEXT,
ADD COLUMN     "lastSeenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
ADD COLUMN     "sourceAddress" TEXT NOT NULL DEFAULT '';

-- CreateIndex
CREATE UNIQUE INDEX "RejectedEvent_fingerprint_key" ON "RejectedEvent"("fingerprint");

-- CreateIndex
CREATE INDEX "RejectedEvent_lastSeenAt_idx" ON "RejectedEvent"("lastSeenAt");

-- CreateIndex
CREATE INDEX "RejectedEvent_sourceAddress_receivedAt_idx" ON "RejectedEvent"("sourceAddress", "receivedAt");

-- Data (not schema): rows recorded before aggregation were last seen when they were received.
UPDATE "RejectedEvent" SET "lastSeenAt" = "receivedAt";
