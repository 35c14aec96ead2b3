-- AlterTable
ALTER TABLE "InboundEvent" ADD COLUMN     "duplicates" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "lastDuplicateAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "JiraTicket" (
    "key" TEXT NOT NULL,
    "summary" TEXT NOT NULL DEFAULT '',
    "issueType" TEXT NOT NULL DEFAULT '',
    "status" TEXT NOT NULL,
    "statusCategory" TEXT NOT NULL DEFAULT '',
    "url" TEXT NOT NULL DEFAULT '',
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "JiraTicket_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "CustomSource" (
    "id" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "authType" TEXT NOT NULL,
    "settings" JSONB NOT NULL DEFAULT '{}',
    "secretEncrypted" TEXT NOT NULL,
    "currentVersion" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CustomSource_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CustomSourceMapping" (
    "id" TEXT NOT NULL,
    "sourceId" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "expression" TEXT NOT NULL,
    "createdById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CustomSourceMapping_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "CustomSource_slug_key" ON "CustomSource"("slug");

-- CreateIndex
CREATE UNIQUE INDEX "CustomSourceMapping_sourceId_version_key" ON "CustomSourceMapping"("sourceId", "version");

-- AddForeignKey
ALTER TABLE "CustomSourceMapping" ADD CONSTRAINT "CustomSourceMapping_sourceId_fkey" FOREIGN KEY ("sourceId") REFERENCES "CustomSource"("id") ON DELETE CASCADE ON UPDATE CASCADE;
