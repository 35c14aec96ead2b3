// A demo catalog location, marked as an example (shown on /catalog/locations, never read: the demo has no GitHub),
// listing the demo Backstage entities (./backstage-entities.ts) as if it had read them. Idempotent.
import { systemActor } from "../../server/audit/audit-log";
import { transaction, type Db } from "../../server/db";
import { insertLocation, recordRead } from "../../server/catalog/discovery/location-store";

export const DEMO_LOCATION = "https://github.com/pier-demo/shop/blob/main/catalog-info.yaml";

export async function seedCatalogLocations(db: Db) {
  const existing = await db.kysely.selectFrom("CatalogLocation").select("id").where("target", "=", DEMO_LOCATION).executeTakeFirst();
  if (existing) return { location: "kept" };
  const refs = (await db.kysely.selectFrom("CatalogEntity").select("ref").orderBy("ref").limit(200).execute()).map((r) => r.ref);
  const actor = systemActor("seed");
  await transaction(db, async (tx) => {
    const loc = await insertLocation(tx, actor, { type: "url", target: DEMO_LOCATION, integration: null, example: true });
    await recordRead(tx, actor, loc, { kind: "read", etags: {}, listed: refs, problems: null, summary: `demo: ${refs.length} entities listed` });
  });
  return { location: "created", entities: refs.length };
}
