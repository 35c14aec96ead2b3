// The one writer of CatalogLocation and CatalogLocationEntity: registered locations, what each read found, and
// which entities each location lists (an entity a later read no longer lists is marked orphaned, as Backstage
// does; it is never deleted by a read). Registration, a read that changed something or failed, deletion: each
// writes its audit record and a catalog.location_changed event in the caller's transaction. A read that found
// nothing new (every file 304) only moves lastReadAt.
import { recordAudit, type Actor } from "../../audit/audit-log";
import { emitPierEvent } from "../../bus/events";
import { anyOf, newId, sql, type DB, type Kysely, type Tx } from "../../db";
import type { LocationType } from "./location-source";

const LOCATION_COLUMNS = [
  "id",
  "type",
  "target",
  "integration",
  "status",
  "lastReadAt",
  "lastChangedAt",
  "entityCount",
  "error",
  "etags",
  "example",
  "createdById",
  "createdAt",
] as const;

export type StoredLocation = {
  id: string;
  type: LocationType;
  target: string;
  integration: string | null;
  status: "pending" | "ok" | "error";
  lastReadAt: Date | null;
  lastChangedAt: Date | null;
  entityCount: number;
  error: string | null;
  /** Per file read: its ETag and the refs it listed (./refresh.ts). */
  etags: Record<string, unknown>;
  example: boolean;
  createdById: string | null;
  createdAt: Date;
};

const url = (id: string) => `/catalog/locations#${id}`;

function changed(
  tx: Tx,
  actor: Actor,
  loc: { id: string; target: string },
  change: "registered" | "refreshed" | "failed" | "deleted" | "orphan_deleted",
  summary: string,
) {
  emitPierEvent(tx, {
    type: "catalog.location_changed",
    severity: change === "failed" ? "medium" : "info",
    subject: {},
    actor,
    data: { locationId: loc.id, target: loc.target, change, summary, url: url(loc.id) },
    labels: { change },
  });
}

export async function insertLocation(
  tx: Tx,
  actor: Actor,
  input: { type: LocationType; target: string; integration: string | null; example?: boolean },
): Promise<StoredLocation> {
  const row = (await tx
    .insertInto("CatalogLocation")
    .values({ id: newId(), ...input, example: input.example ?? false, createdById: actor.id, updatedAt: new Date() })
    .returning(LOCATION_COLUMNS)
    .executeTakeFirstOrThrow()) as StoredLocation;
  recordAudit(tx, { actor, action: "catalog.location_registered", subjectType: "catalog_location", subjectId: row.id, before: null, after: input });
  changed(tx, actor, row, "registered", `${input.type} location ${input.target} registered`);
  return row;
}

export async function readLocation(db: Kysely<DB> | Tx, id: string): Promise<StoredLocation | undefined> {
  return (await db.selectFrom("CatalogLocation").select(LOCATION_COLUMNS).where("id", "=", id).executeTakeFirst()) as StoredLocation | undefined;
}

export async function lockLocation(tx: Tx, id: string): Promise<StoredLocation | undefined> {
  return (await tx.selectFrom("CatalogLocation").select(LOCATION_COLUMNS).where("id", "=", id).forUpdate().executeTakeFirst()) as StoredLocation | undefined;
}

export type LocationRow = StoredLocation & { orphans: number };

/** Every location with its orphan count, newest first. */
export async function listLocationRows(db: Kysely<DB>): Promise<LocationRow[]> {
  const rows = await db
    .selectFrom("CatalogLocation as l")
    .select(LOCATION_COLUMNS.map((c) => `l.${c}` as const))
    .select((eb) =>
      eb
        .selectFrom("CatalogLocationEntity as le")
        .select(sql<number>`count(*)::int`.as("n"))
        .whereRef("le.locationId", "=", "l.id")
        .where("le.orphanedAt", "is not", null)
        .as("orphans"),
    )
    .orderBy("l.createdAt", "desc")
    .execute();
  return rows.map((r) => ({ ...(r as unknown as StoredLocation), orphans: Number(r.orphans ?? 0) }));
}

/** Locations due for a read (never read, or read before `before`), oldest read first; example locations never. */
export async function dueLocationIds(db: Kysely<DB>, before: Date, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom("CatalogLocation")
    .select("id")
    .where("example", "=", false)
    .where((eb) => eb.or([eb("lastReadAt", "is", null), eb("lastReadAt", "<", before)]))
    .orderBy(sql`"lastReadAt" NULLS FIRST`)
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

export type ReadOutcome =
  | { kind: "unchanged" }
  | { kind: "failed"; error: string }
  | { kind: "read"; etags: Record<string, unknown>; listed: string[]; summary: string; problems: string | null };

/**
 * Records a read. "unchanged": lastReadAt only. "failed": status error with its message (entities untouched: a
 * location that cannot be read orphans nothing). "read": the entities listed now (the ones no longer listed become
 * orphans, listed ones stop being orphans), the count and ETags. Returns the refs newly orphaned.
 */
export async function recordRead(tx: Tx, actor: Actor, loc: StoredLocation, outcome: ReadOutcome): Promise<{ orphaned: string[] }> {
  const now = new Date();
  if (outcome.kind === "unchanged") {
    await tx.updateTable("CatalogLocation").set({ lastReadAt: now }).where("id", "=", loc.id).execute();
    return { orphaned: [] };
  }
  if (outcome.kind === "failed") {
    const sameError = loc.status === "error" && loc.error === outcome.error;
    await tx.updateTable("CatalogLocation").set({ lastReadAt: now, status: "error", error: outcome.error, updatedAt: now }).where("id", "=", loc.id).execute();
    if (!sameError) {
      recordAudit(tx, {
        actor,
        action: "catalog.location_failed",
        subjectType: "catalog_location",
        subjectId: loc.id,
        before: { status: loc.status, error: loc.error },
        after: { status: "error", error: outcome.error },
      });
      changed(tx, actor, loc, "failed", outcome.error);
    }
    return { orphaned: [] };
  }
  const listed = [...new Set(outcome.listed)];
  const before = await tx.selectFrom("CatalogLocationEntity").select(["ref", "orphanedAt"]).where("locationId", "=", loc.id).execute();
  const listedSet = new Set(listed);
  const orphaned = before.filter((e) => !listedSet.has(e.ref) && !e.orphanedAt).map((e) => e.ref);
  if (listed.length)
    await tx
      .insertInto("CatalogLocationEntity")
      .values(listed.map((ref) => ({ locationId: loc.id, ref, seenAt: now })))
      .onConflict((oc) => oc.columns(["locationId", "ref"]).doUpdateSet({ orphanedAt: null, seenAt: now }))
      .execute();
  if (orphaned.length)
    await tx.updateTable("CatalogLocationEntity").set({ orphanedAt: now }).where("locationId", "=", loc.id).where("ref", "=", anyOf(orphaned)).execute();
  const after = { status: outcome.problems ? ("error" as const) : ("ok" as const), error: outcome.problems, entityCount: listed.length };
  await tx
    .updateTable("CatalogLocation")
    .set({ ...after, lastReadAt: now, lastChangedAt: now, etags: JSON.stringify(outcome.etags), updatedAt: now })
    .where("id", "=", loc.id)
    .execute();
  const summary = `${outcome.summary}${orphaned.length ? `; ${orphaned.length} no longer listed (orphaned)` : ""}`;
  recordAudit(tx, {
    actor,
    action: "catalog.location_refreshed",
    subjectType: "catalog_location",
    subjectId: loc.id,
    before: { status: loc.status, entityCount: loc.entityCount },
    after: { ...after, orphaned },
  });
  changed(tx, actor, loc, "refreshed", summary);
  return { orphaned };
}

export async function deleteLocationRow(tx: Tx, actor: Actor, loc: StoredLocation) {
  await tx.deleteFrom("CatalogLocation").where("id", "=", loc.id).execute();
  recordAudit(tx, {
    actor,
    action: "catalog.location_deleted",
    subjectType: "catalog_location",
    subjectId: loc.id,
    before: { type: loc.type, target: loc.target },
    after: null,
  });
  changed(tx, actor, loc, "deleted", `${loc.type} location ${loc.target} deleted; its entities stay in the catalog`);
}

export type Orphan = { ref: string; locationId: string; target: string; orphanedAt: Date };

/** The locations that list (or listed) an entity, with when it was orphaned there. */
export async function locationsOfEntity(db: Kysely<DB>, ref: string) {
  return db
    .selectFrom("CatalogLocationEntity as le")
    .innerJoin("CatalogLocation as l", "l.id", "le.locationId")
    .select(["l.id", "l.target", "l.type", "le.orphanedAt", "le.seenAt"])
    .where("le.ref", "=", ref)
    .orderBy("l.target")
    .execute();
}

/** An entity is an orphan when some location listed it and none lists it any more. */
export async function orphanRows(db: Kysely<DB> | Tx, filter: { locationId?: string; ref?: string } = {}): Promise<Orphan[]> {
  let q = db
    .selectFrom("CatalogLocationEntity as le")
    .innerJoin("CatalogLocation as l", "l.id", "le.locationId")
    .select(["le.ref", "le.locationId", "l.target", "le.orphanedAt"])
    .where("le.orphanedAt", "is not", null)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom("CatalogLocationEntity as other").select("other.ref").whereRef("other.ref", "=", "le.ref").where("other.orphanedAt", "is", null))),
    );
  if (filter.locationId) q = q.where("le.locationId", "=", filter.locationId);
  if (filter.ref) q = q.where("le.ref", "=", filter.ref);
  return (await q.orderBy("le.orphanedAt", "desc").orderBy("le.ref").execute()) as Orphan[];
}

/** After an orphaned entity is deleted: the locations forget it; audited with the deletion. */
export async function forgetOrphan(tx: Tx, actor: Actor, orphan: Orphan) {
  await tx.deleteFrom("CatalogLocationEntity").where("ref", "=", orphan.ref).execute();
  changed(tx, actor, { id: orphan.locationId, target: orphan.target }, "orphan_deleted", `Orphaned entity ${orphan.ref} deleted`);
}
