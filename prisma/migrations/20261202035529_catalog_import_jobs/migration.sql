-- CreateEnum
CREATE TYPE "CatalogImportStatus" AS ENUM ('queued', 'running', 'succeeded', 'failed');

-- CreateTable
CREATE TABLE "CatalogImport" (
    "id" TEXT NOT NULL,
    "requestedById" TEXT NOT NULL,
    "status" "CatalogImportStatus" NOT NULL DEFAULT 'queued',
    "yaml" TEXT NOT NULL,
    "bytes" INTEGER NOT NULL,
    "documents" INTEGER NOT NULL,
    "processed" INTEGER NOT NULL DEFAULT 0,
    "linkTotal" INTEGER NOT NULL DEFAULT 0,
    "linked" INTEGER NOT NULL DEFAULT 0,
    "created" INTEGER NOT NULL DEFAULT 0,
    "updated" INTEGER NOT NULL DEFAULT 0,
    "unchanged" INTEGER NOT NULL DEFAULT 0,
    "skipped" INTEGER NOT NULL DEFAULT 0,
    "errorCount" INTEGER NOT NULL DEFAULT 0,
    "warningCount" INTEGER NOT NULL DEFAULT 0,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "failure" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "CatalogImport_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CatalogImportEntity" (
    "importId" TEXT NOT NULL,
    "index" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "message" TEXT,
    "warnings" TEXT[] DEFAULT ARRAY[]::TEXT[],

    CONSTRAINT "CatalogImportEntity_pkey" PRIMARY KEY ("importId","index")
);

-- CreateIndex
CREATE INDEX "CatalogImport_requestedById_createdAt_idx" ON "CatalogImport"("requestedById", "createdAt");

-- CreateIndex
CREATE INDEX "CatalogImportEntity_importId_status_index_idx" ON "CatalogImportEntity"("importId", "status", "index");

-- AddForeignKey
ALTER TABLE "CatalogImport" ADD CONSTRAINT "CatalogImport_requestedById_fkey" FOREIGN KEY ("requestedById") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CatalogImportEntity" ADD CONSTRAINT "CatalogImportEntity_importId_fkey" FOREIGN KEY ("importId") REFERENCES "CatalogImport"("id") ON DELETE CASCADE ON UPDATE CASCADE;
