-- AlterTable
ALTER TABLE "InboundEvent" ADD COLUMN     "occurredAt" TIMESTAMP(3),
ADD COLUMN     "knownType" BOOLEAN NOT NULL DEFAULT true;

-- AlterTable
ALTER TABLE "Incident" ADD COLUMN     "reopenedAt" TIMESTAMP(3);
