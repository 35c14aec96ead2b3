-- AlterTable
ALTER TABLE "TeamMember" ADD COLUMN     "catalogRef" TEXT;

-- AlterTable
ALTER TABLE "CatalogEntity" ADD COLUMN     "userId" TEXT;

-- CreateTable
CREATE TABLE "CatalogSettings" (
    "id" TEXT NOT NULL DEFAULT 'catalog',
    "mapUsersByEmail" BOOLEAN NOT NULL DEFAULT false,
    "updatedById" TEXT,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CatalogSettings_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "CatalogEntity_userId_idx" ON "CatalogEntity"("userId");

-- AddForeignKey
ALTER TABLE "CatalogEntity" ADD CONSTRAINT "CatalogEntity_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

