// The one writer of CatalogEntity and CatalogRelation: an entity as its file declared it, and the relations it
// declares (replaced as a whole on every change, since the file is the source of truth). Each change writes its
// audit record and a catalog.entity_changed event in the caller's transaction.
import { recordAudit } from "../audit/audit-log";
import { emitPierEvent } from "../bus/events";
import { newId, type Tx } from "../db";
import { actorOf } from "../identity/access";
import type { SessionUser } from "../identity/roles";
import type { BackstageEntity } from "./backstage-mapping";
import { refKey, type Ref, type Relation } from "./entity-relations";

export type StoredEntity = {
  id: string;
  ref: string;
  kind: string;
  namespace: string;
  name: string;
  entity: BackstageEntity;
  serviceId: string | null;
  teamId: string | null;
};

const COLUMNS = ["id", "ref", "kind", "namespace", "name", "entity", "serviceId", "teamId"] as const;

/** The stored entity with that ref (locked for the rest of the transaction), or undefined. */
export async function lockEntity(tx: Tx, ref: string): Promise<StoredEntity | undefined> {
  return (await tx.selectFrom("CatalogEntity").select(COLUMNS).where("ref", "=", ref).forUpdate().executeTakeFirst()) as StoredEntity | undefined;
}

export async function readEntities(tx: Tx, refs: readonly string[]): Promise<StoredEntity[]> {
  if (!refs.length) return [];
  return (await tx.selectFrom("CatalogEntity").select(COLUMNS).where("ref", "in", refs).execute()) as StoredEntity[];
}

/** Creates or replaces the entity and its relations; audited. */
export async function writeEntity(tx: Tx, user: SessionUser, ref: Ref, entity: BackstageEntity, relations: Relation[], before: StoredEntity | undefined) {
  const key = refKey(ref);
  const row = {
    kind: ref.kind,
    namespace: ref.namespace,
    name: ref.name,
    title: entity.metadata.title ?? null,
    entity: JSON.stringify(entity),
    updatedAt: new Date(),
  };
  const written = before
    ? await tx.updateTable("CatalogEntity").set(row).where("id", "=", before.id).returning(COLUMNS).executeTakeFirstOrThrow()
    : await tx
        .insertInto("CatalogEntity")
        .values({ ...row, id: newId(), ref: key })
        .returning(COLUMNS)
        .executeTakeFirstOrThrow();
  await tx.deleteFrom("CatalogRelation").where("sourceRef", "=", key).execute();
  if (relations.length) {
    await tx
      .insertInto("CatalogRelation")
      .values(relations.map((r) => ({ sourceRef: key, type: r.type, targetRef: refKey(r.target) })))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
  const actor = actorOf(user);
  const change = before ? "updated" : "created";
  recordAudit(tx, {
    actor,
    action: `catalog.entity_${change}`,
    subjectType: "catalog_entity",
    subjectId: written.id,
    before: before?.entity ?? null,
    after: entity,
  });
  emitPierEvent(tx, { type: "catalog.entity_changed", severity: "info", subject: {}, actor, data: { ref: key, change }, labels: { change, kind: ref.kind } });
  return written as StoredEntity;
}

/** Records which Pier service or team the entity is (null: none). */
export async function linkEntity(tx: Tx, id: string, link: { serviceId?: string | null; teamId?: string | null }) {
  await tx.updateTable("CatalogEntity").set(link).where("id", "=", id).execute();
}

/** Refs of the entities whose relations of these types point at any of `targets`. */
export async function sourcesPointingAt(tx: Tx, targets: readonly string[], types: readonly string[]): Promise<string[]> {
  if (!targets.length) return [];
  const rows = await tx.selectFrom("CatalogRelation").select("sourceRef").distinct().where("targetRef", "in", targets).where("type", "in", types).execute();
  return rows.map((r) => r.sourceRef);
}

/** Deletes an entity and the relations it declares (relations pointing at it stay, unresolved again); audited. */
export async function deleteEntity(tx: Tx, user: SessionUser, entity: StoredEntity, why: string) {
  await tx.deleteFrom("CatalogEntity").where("id", "=", entity.id).execute();
  await tx.deleteFrom("CatalogRelation").where("sourceRef", "=", entity.ref).execute();
  const actor = actorOf(user);
  recordAudit(tx, {
    actor,
    action: "catalog.entity_deleted",
    subjectType: "catalog_entity",
    subjectId: entity.id,
    before: entity.entity,
    after: { reason: why },
  });
}
