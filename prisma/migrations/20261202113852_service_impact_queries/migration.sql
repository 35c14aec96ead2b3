-- CreateTable
CREATE TABLE "ServiceImpactQueries" (
    "serviceId" TEXT NOT NULL,
    "errorRateQuery" TEXT,
    "latencyQuery" TEXT,
    "updatedById" TEXT,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ServiceImpactQueries_pkey" PRIMARY KEY ("serviceId")
);

-- AddForeignKey
ALTER TABLE "ServiceImpactQueries" ADD CONSTRAINT "ServiceImpactQueries_serviceId_fkey" FOREIGN KEY ("serviceId") REFERENCES "Service"("id") ON DELETE CASCADE ON UPDATE CASCADE;
