-- CreateTable
CREATE TABLE "AuditHead" (
    "id" INTEGER NOT NULL,
    "hash" TEXT NOT NULL,
    "prevHash" TEXT NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "AuditHead_pkey" PRIMARY KEY ("id")
);

-- An existing chain continues from its newest record.
INSERT INTO "AuditHead" ("id", "hash", "prevHash", "updatedAt")
SELECT 1, "hash", "prevHash", now() FROM "AuditEvent" ORDER BY "seq" DESC LIMIT 1;
