// The services' dependency graph as the rest of Pier reads it (impact analysis, release order): the declared
// service dependencies (ServiceDependency: Pier's own edits and Backstage `dependsOn`) plus API consumption as
// Backstage users read it: a Component that `consumesApis` an API depends on every Component that `providesApis`
// it. API edges are derived from the stored relations when read, never copied into ServiceDependency, so they follow
// the catalog as entities come and go (and removing a `consumesApis` line removes the edge).
import { sql, type DB, type Kysely } from "../db";

/** The API consumption edges alone: consumer `fromServiceId` depends on provider `toServiceId`. */
export function apiConsumptionEdges(db: Kysely<DB>) {
  return db
    .selectFrom("CatalogRelation as consumes")
    .innerJoin("CatalogRelation as provides", (j) => j.onRef("provides.targetRef", "=", "consumes.targetRef").on("provides.type", "=", "providesApi"))
    .innerJoin("CatalogEntity as consumer", "consumer.ref", "consumes.sourceRef")
    .innerJoin("CatalogEntity as provider", "provider.ref", "provides.sourceRef")
    .select([sql<string>`consumer."serviceId"`.as("fromServiceId"), sql<string>`provider."serviceId"`.as("toServiceId")])
    .where("consumes.type", "=", "consumesApi")
    .where("consumer.serviceId", "is not", null)
    .where("provider.serviceId", "is not", null)
    .whereRef("consumer.serviceId", "<>", "provider.serviceId");
}

/** Every edge: `fromServiceId` depends on `toServiceId` (duplicates possible when both kinds say so). */
function serviceEdges(db: Kysely<DB>) {
  return db.selectFrom("ServiceDependency").select(["fromServiceId", "toServiceId"]).unionAll(apiConsumptionEdges(db));
}

/** Whether any Component consumes an API at all: when none does, readers keep to ServiceDependency's indexes. */
export async function hasApiConsumption(db: Kysely<DB>): Promise<boolean> {
  const row = await db.selectFrom("CatalogRelation").select("sourceRef").where("type", "=", "consumesApi").limit(1).executeTakeFirst();
  return !!row;
}

/** The edges among these services (each pair once), consumer → provider. */
export async function dependencyEdgesAmong(db: Kysely<DB>, serviceIds: readonly string[]): Promise<{ consumerId: string; providerId: string }[]> {
  if (!serviceIds.length) return [];
  const rows = await db
    .selectFrom(serviceEdges(db).as("d"))
    .select(["d.fromServiceId", "d.toServiceId"])
    .distinct()
    .where("d.fromServiceId", "in", serviceIds)
    .where("d.toServiceId", "in", serviceIds)
    .execute();
  return rows.map((r) => ({ consumerId: r.fromServiceId, providerId: r.toServiceId }));
}
