-- CreateTable
CREATE TABLE "CatalogEntity" (
    "id" TEXT NOT NULL,
    "ref" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "namespace" TEXT NOT NULL DEFAULT 'default',
    "name" TEXT NOT NULL,
    "title" TEXT,
    "entity" JSONB NOT NULL,
    "serviceId" TEXT,
    "teamId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CatalogEntity_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CatalogRelation" (
    "sourceRef" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "targetRef" TEXT NOT NULL,

    CONSTRAINT "CatalogRelation_pkey" PRIMARY KEY ("sourceRef","type","targetRef")
);

-- CreateIndex
CREATE UNIQUE INDEX "CatalogEntity_ref_key" ON "CatalogEntity"("ref");

-- CreateIndex
CREATE UNIQUE INDEX "CatalogEntity_serviceId_key" ON "CatalogEntity"("serviceId");

-- CreateIndex
CREATE UNIQUE INDEX "CatalogEntity_teamId_key" ON "CatalogEntity"("teamId");

-- CreateIndex
CREATE INDEX "CatalogEntity_kind_namespace_idx" ON "CatalogEntity"("kind", "namespace");

-- CreateIndex
CREATE INDEX "CatalogRelation_targetRef_idx" ON "CatalogRelation"("targetRef");
