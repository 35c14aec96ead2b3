-- CreateTable
CREATE TABLE "CatalogLocation" (
    "id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "integration" TEXT,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "lastReadAt" TIMESTAMP(3),
    "lastChangedAt" TIMESTAMP(3),
    "entityCount" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "etags" JSONB NOT NULL DEFAULT '{}',
    "example" BOOLEAN NOT NULL DEFAULT false,
    "createdById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CatalogLocation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CatalogLocationEntity" (
    "locationId" TEXT NOT NULL,
    "ref" TEXT NOT NULL,
    "orphanedAt" TIMESTAMP(3),
    "seenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CatalogLocationEntity_pkey" PRIMARY KEY ("locationId","ref")
);

-- CreateIndex
CREATE UNIQUE INDEX "CatalogLocation_target_key" ON "CatalogLocation"("target");

-- CreateIndex
CREATE INDEX "CatalogLocationEntity_ref_idx" ON "CatalogLocationEntity"("ref");

-- AddForeignKey
ALTER TABLE "CatalogLocationEntity" ADD CONSTRAINT "CatalogLocationEntity_locationId_fkey" FOREIGN KEY ("locationId") REFERENCES "CatalogLocation"("id") ON DELETE CASCADE ON UPDATE CASCADE;
