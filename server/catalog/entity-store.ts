// The one writer of CatalogEntity and CatalogRelation: an entity as its file declared it, and the relations it
// declares (replaced as a whole on every change, since the file is the source of truth). Each change writes its
// audit record and a catalog.entity_changed event in the caller's transaction.
import { recordAudit, recordAudits } from "../audit/audit-log";
import { emitPierEvent } from "../bus/events";
import { anyOf, newId, sql, type Tx } from "../db";
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

/** The stored entities with these refs, locked for the rest of the transaction (one statement), by ref. */
export async function lockEntities(tx: Tx, refs: readonly string[]): Promise<Map<string, StoredEntity>> {
  if (!refs.length) return new Map();
  const rows = (await tx.selectFrom("CatalogEntity").select(COLUMNS).where("ref", "=", anyOf(refs)).orderBy("ref").forUpdate().execute()) as StoredEntity[];
  return new Map(rows.map((r) => [r.ref, r]));
}

export async function readEntities(tx: Tx, refs: readonly string[]): Promise<StoredEntity[]> {
  if (!refs.length) return [];
  return (await tx.selectFrom("CatalogEntity").select(COLUMNS).where("ref", "in", refs).execute()) as StoredEntity[];
}

export type EntityWrite = { ref: Ref; entity: BackstageEntity; relations: Relation[]; before: StoredEntity | undefined };

/** Statements stay well under Postgres's 65,535 parameters whatever the batch. */
const ROWS_PER_STATEMENT = 500;

/**
 * Creates or replaces entities and their relations (the file is the source of truth, so relations are replaced as
 * a whole): one upsert per 500 entities and their relations in two statements; an audit record and a
 * catalog.entity_changed event per entity, in the given order. Refs must be distinct.
 */
export async function writeEntities(tx: Tx, user: SessionUser, writes: readonly EntityWrite[]) {
  if (!writes.length) return;
  const updatedAt = new Date();
  const ids = new Map<string, string>();
  for (let i = 0; i < writes.length; i += ROWS_PER_STATEMENT) {
    const part = writes.slice(i, i + ROWS_PER_STATEMENT);
    const keys = part.map((w) => refKey(w.ref));
    await tx
      .insertInto("CatalogEntity")
      .values(
        part.map((w, j) => ({
          id: w.before?.id ?? newId(),
          ref: keys[j],
          kind: w.ref.kind,
          namespace: w.ref.namespace,
          name: w.ref.name,
          title: w.entity.metadata.title ?? null,
          entity: JSON.stringify(w.entity),
          updatedAt,
        })),
      )
      .onConflict((oc) =>
        oc.column("ref").doUpdateSet((eb) => ({
          kind: eb.ref("excluded.kind"),
          namespace: eb.ref("excluded.namespace"),
          name: eb.ref("excluded.name"),
          title: eb.ref("excluded.title"),
          entity: eb.ref("excluded.entity"),
          updatedAt: eb.ref("excluded.updatedAt"),
        })),
      )
      .returning(["ref", "id"])
      .execute()
      .then((rows) => rows.forEach((r) => ids.set(r.ref, r.id)));
    await tx.deleteFrom("CatalogRelation").where("sourceRef", "=", anyOf(keys)).execute();
    const relations = part.flatMap((w, j) => w.relations.map((r) => ({ sourceRef: keys[j], type: r.type, targetRef: refKey(r.target) })));
    for (let k = 0; k < relations.length; k += ROWS_PER_STATEMENT * 4) {
      await tx
        .insertInto("CatalogRelation")
        .values(relations.slice(k, k + ROWS_PER_STATEMENT * 4))
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
  }
  const actor = actorOf(user);
  recordAudits(
    tx,
    writes.map((w) => ({
      actor,
      action: `catalog.entity_${w.before ? "updated" : "created"}`,
      subjectType: "catalog_entity",
      subjectId: ids.get(refKey(w.ref))!,
      before: w.before?.entity ?? null,
      after: w.entity,
    })),
  );
  for (const w of writes) {
    const change = w.before ? "updated" : "created";
    emitPierEvent(tx, {
      type: "catalog.entity_changed",
      severity: "info",
      subject: {},
      actor,
      data: { ref: refKey(w.ref), change },
      labels: { change, kind: w.ref.kind },
    });
  }
}

/** Records which Pier services or teams many entities are, in one statement per column. */
export async function linkEntities(tx: Tx, links: readonly { id: string; serviceId?: string; teamId?: string }[]) {
  for (const column of ["serviceId", "teamId"] as const) {
    const rows = links.filter((l) => l[column] !== undefined);
    if (!rows.length) continue;
    const values = sql.join(rows.map((l) => sql`(${l.id}::text, ${l[column]}::text)`));
    await sql`UPDATE "CatalogEntity" e SET ${sql.ref(column)} = v.target FROM (VALUES ${values}) v (id, target) WHERE e.id = v.id`.execute(tx);
  }
}

/** Records which Pier user each User entity is (null: none), audited as catalog.user_linked / catalog.user_unlinked. */
export async function linkEntityUsers(tx: Tx, user: SessionUser, links: readonly { id: string; ref: string; userId: string | null; before: string | null }[]) {
  for (const l of links) await tx.updateTable("CatalogEntity").set({ userId: l.userId }).where("id", "=", l.id).execute();
  const actor = actorOf(user);
  recordAudits(
    tx,
    links.map((l) => ({
      actor,
      action: l.userId ? "catalog.user_linked" : "catalog.user_unlinked",
      subjectType: "catalog_entity",
      subjectId: l.id,
      before: { ref: l.ref, userId: l.before },
      after: { ref: l.ref, userId: l.userId },
    })),
  );
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
