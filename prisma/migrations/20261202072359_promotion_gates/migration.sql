-- CreateTable
CREATE TABLE "PromotionGate" (
    "environmentId" TEXT NOT NULL,
    "minTargets" INTEGER,
    "soakMinutes" INTEGER NOT NULL DEFAULT 0,
    "requiredEvidence" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PromotionGate_pkey" PRIMARY KEY ("environmentId")
);
