// Read side of imported entities: an entity's page (its entity, its relations both ways with whether each target
// exists), and the catalog's unresolved relations. A relation is resolved when an entity with the target ref is in
// the catalog, or Pier's own service (component:default/<slug>) or team (group:default/<slug>) is.
import { sql, type DB, type Kysely } from "../db";
import { notFound } from "../errors";
import type { BackstageEntity } from "./backstage-mapping";
import { INVERSE, refKey } from "./entity-relations";
import { catalogSettings } from "./user-mapping";

/** `pierPage`: a target that is Pier's own team or service (no imported entity) opens that page instead. */
export type RelationView = { type: string; ref: string; resolved: boolean; kind: string; namespace: string; name: string; pierPage?: string };
type Known = { kind: string; namespace: string; name: string; pierPage?: string };

const splitRef = (ref: string) => {
  const m = /^([^:]+):([^/]+)\/(.+)$/.exec(ref)!;
  return { kind: m[1], namespace: m[2], name: m[3] };
};

/** Which of the refs exist (as entities, or as Pier's own services and teams in the default namespace). */
async function existingRefs(db: Kysely<DB>, refs: readonly string[]): Promise<Map<string, Known>> {
  const out = new Map<string, Known>();
  if (!refs.length) return out;
  for (const e of await db.selectFrom("CatalogEntity").select(["ref", "kind", "namespace", "name"]).where("ref", "in", refs).execute()) out.set(e.ref, e);
  const slugs = (prefix: string) => refs.filter((r) => !out.has(r) && r.startsWith(prefix)).map((r) => r.slice(prefix.length));
  const services = slugs("component:default/");
  if (services.length)
    for (const s of await db.selectFrom("Service").select("slug").where("slug", "in", services).execute())
      out.set(`component:default/${s.slug}`, { kind: "Component", namespace: "default", name: s.slug, pierPage: `/services/${s.slug}` });
  const teams = slugs("group:default/");
  if (teams.length)
    for (const t of await db.selectFrom("Team").select("slug").where("slug", "in", teams).execute())
      out.set(`group:default/${t.slug}`, { kind: "Group", namespace: "default", name: t.slug, pierPage: `/teams/${t.slug}` });
  return out;
}

export async function entityPage(db: Kysely<DB>, input: { kind: string; namespace: string; name: string }) {
  const ref = refKey(input);
  const row = await db
    .selectFrom("CatalogEntity")
    .select(["ref", "kind", "namespace", "name", "entity", "serviceId", "teamId", "userId"])
    .where("ref", "=", ref)
    .executeTakeFirst();
  if (!row) throw notFound(`Entity ${ref}`);
  const [outgoing, incoming] = await Promise.all([
    db.selectFrom("CatalogRelation").select(["type", "targetRef as ref"]).where("sourceRef", "=", ref).orderBy("type").orderBy("targetRef").execute(),
    db.selectFrom("CatalogRelation").select(["type", "sourceRef as ref"]).where("targetRef", "=", ref).orderBy("type").orderBy("sourceRef").execute(),
  ]);
  const known = await existingRefs(db, [...new Set([...outgoing, ...incoming].map((r) => r.ref))]);
  const view = (r: { type: string; ref: string }): RelationView => ({
    type: r.type,
    ref: r.ref,
    resolved: known.has(r.ref),
    ...(known.get(r.ref) ?? splitRef(r.ref)),
  });
  const service = row.serviceId ? await db.selectFrom("Service").select(["slug"]).where("id", "=", row.serviceId).executeTakeFirst() : undefined;
  const team = row.teamId ? await db.selectFrom("Team").select(["slug"]).where("id", "=", row.teamId).executeTakeFirst() : undefined;
  const pierUser = row.kind === "User" ? await pierUserOf(db, row.userId) : null;
  return {
    ref,
    kind: row.kind,
    namespace: row.namespace,
    name: row.name,
    entity: row.entity as BackstageEntity,
    serviceSlug: service?.slug ?? null,
    teamSlug: team?.slug ?? null,
    // A User's Pier account (./user-mapping.ts): whether the mapping is on, the e-mail it goes by, the account.
    pierUser,
    relations: outgoing.map(view),
    // Relations other entities declare towards this one, named from this side (ownerOf, hasPart, apiProvidedBy, …).
    inverse: incoming.map((r) => ({ ...view(r), type: INVERSE[r.type] ?? `${r.type} (from)` })),
  };
}

async function pierUserOf(db: Kysely<DB>, userId: string | null) {
  const { mapUsersByEmail } = await catalogSettings(db);
  const account = userId ? await db.selectFrom("User").select(["id", "name", "email"]).where("id", "=", userId).executeTakeFirst() : undefined;
  return { mapping: mapUsersByEmail, account: account ?? null };
}

/** Relations whose target is not (yet) in the catalog (the first 1,000). */
export async function unresolvedRelations(db: Kysely<DB>) {
  // NOT EXISTS on the ref alone: an anti-join Postgres can feed from the ref index (an index-only scan), not from the
  // entity rows with their JSON (at 50,000 entities and 90,000 relations, what /catalog/entities waited for).
  const rows = await db
    .selectFrom("CatalogRelation as r")
    .select(["r.sourceRef", "r.type", "r.targetRef"])
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom("CatalogEntity as e").select("e.ref").whereRef("e.ref", "=", "r.targetRef"))))
    .orderBy("r.sourceRef")
    .orderBy("r.type")
    .orderBy("r.targetRef")
    .limit(1000)
    .execute();
  const known = await existingRefs(db, [...new Set(rows.map((r) => r.targetRef))]);
  return rows.filter((r) => !known.has(r.targetRef));
}

/** Imported entities of a kind (or all), for lists. */
export async function listEntities(db: Kysely<DB>, kind?: string) {
  let q = db
    .selectFrom("CatalogEntity")
    .select(["ref", "kind", "namespace", "name", "title", sql<string | null>`entity->'metadata'->>'description'`.as("description")]);
  if (kind) q = q.where("kind", "=", kind);
  return q.orderBy("kind").orderBy("namespace").orderBy("name").limit(500).execute();
}

/**
 * How many entities of each kind, for the counts beside the kind filter of /catalog/entities. By the (kind,
 * namespace) index alone: an index-only scan, never the entity rows (at 50,000 entities a GROUP BY over their JSON
 * for type/lifecycle/owner counts would cost the page its 100 ms).
 */
export async function entityKindCounts(db: Kysely<DB>): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom("CatalogEntity")
    .select((eb) => ["kind", eb.fn.countAll<string>().as("n")])
    .groupBy("kind")
    .execute();
  return Object.fromEntries(rows.map((r) => [r.kind, Number(r.n)]));
}
