// Registered catalog locations, as admins manage them (register, list, refresh now, delete), and orphaned entities,
// which an admin or a member of the owning team may delete. Reading happens in ./refresh.ts.
import { actorOf, canAdminister, canManageService } from "../../identity/access";
import type { SessionUser } from "../../identity/roles";
import { transaction, type Db } from "../../db";
import { badRequest, conflict, forbidden, notFound } from "../../errors";
import { checkOutboundUrl, loadAllowList } from "../../platform/outbound-url";
import { teamOfGroupRef } from "../entity-projection";
import { relationsOf } from "../entity-relations";
import { deleteEntity, lockEntity } from "../entity-store";
import { apiBase, parseTarget, type LocationType } from "./location-source";
import { deleteLocationRow, forgetOrphan, insertLocation, listLocationRows, locationsOfEntity, orphanRows, readLocation } from "./location-store";
import { loadCredentials, refreshLocation } from "./refresh";
import type { Fetcher } from "./location-source";
import { forgetUserMapping } from "../user-mapping";

function assertAdmin(user: SessionUser) {
  if (!canAdminister(user)) throw forbidden("Only admins manage catalog locations");
}

export type RegisterInput = { type: LocationType; target: string; integration?: string | null };

/**
 * Registers a location (admins), then reads it once. Refused with a 400 naming the field: a target that is not a
 * GitHub/GitLab file URL (or an org URL), an unknown integration, an API the outbound guard refuses; 409: already
 * registered.
 */
export async function registerLocation(db: Db, user: SessionUser, input: RegisterInput, opts: { fetcher?: Fetcher } = {}) {
  assertAdmin(user);
  const target = input.target.trim();
  const parsed = parseTarget(input.type, target);
  const integration = input.integration?.trim() || null;
  let creds;
  try {
    creds = await loadCredentials(db, integration);
  } catch (err) {
    throw badRequest((err as Error).message, "integration");
  }
  const api = apiBase(parsed.type === "url" ? parsed.file : parsed.org, creds);
  const check = await checkOutboundUrl(api, await loadAllowList(db.kysely));
  if (!check.ok) throw badRequest(`The API ${api} cannot be called: URL ${check.reason}`, integration ? "integration" : "target");
  const existing = await db.kysely.selectFrom("CatalogLocation").select("id").where("target", "=", target).executeTakeFirst();
  if (existing) throw conflict("This location is already registered", "target");
  const location = await transaction(db, (tx) => insertLocation(tx, actorOf(user), { type: input.type, target, integration }));
  const refresh = await refreshLocation(db, location.id, opts);
  return { id: location.id, refresh };
}

/** Every location with its status, and the orphans each holds. */
export async function listLocations(db: Db, user: SessionUser) {
  assertAdmin(user);
  const [rows, orphans] = await Promise.all([listLocationRows(db.kysely), orphanRows(db.kysely)]);
  return rows.map(({ etags: _etags, ...r }) => ({ ...r, orphanRefs: orphans.filter((o) => o.locationId === r.id).map((o) => o.ref) }));
}

export async function refreshLocationNow(db: Db, user: SessionUser, id: string, opts: { fetcher?: Fetcher } = {}) {
  assertAdmin(user);
  if (!(await readLocation(db.kysely, id))) throw notFound("Catalog location");
  return refreshLocation(db, id, opts);
}

/** Deletes the location; the entities it listed stay in the catalog (delete them one by one if they should go). */
export async function deleteLocation(db: Db, user: SessionUser, id: string) {
  assertAdmin(user);
  await transaction(db, async (tx) => {
    const loc = await readLocation(tx, id);
    if (!loc) throw notFound("Catalog location");
    await deleteLocationRow(tx, actorOf(user), loc);
  });
  return { deleted: true };
}

/** Where an entity comes from: the locations that list (or listed) it, whether it is an orphan, who may delete it. */
export async function entityOrigin(db: Db, user: SessionUser, ref: string) {
  const key = ref.toLowerCase();
  const locations = await locationsOfEntity(db.kysely, key);
  const orphan = locations.length > 0 && locations.every((l) => l.orphanedAt);
  return { ref: key, orphan, locations, canDelete: orphan && (await mayDeleteOrphan(db, user, key)) };
}

async function mayDeleteOrphan(db: Db, user: SessionUser, ref: string): Promise<boolean> {
  if (canAdminister(user)) return true;
  return transaction(db, async (tx) => {
    const entity = await lockEntity(tx, ref);
    const owner = entity ? relationsOf(entity.entity).find((r) => r.type === "ownedBy")?.target : undefined;
    const team = owner ? await teamOfGroupRef(tx, owner) : null;
    return !!team && canManageService(user, team.id);
  });
}

/** Deletes an orphaned entity (admins, or members of the team that owns it); audited. */
export async function deleteOrphan(db: Db, user: SessionUser, ref: string) {
  const key = ref.toLowerCase();
  return transaction(db, async (tx) => {
    const [orphan] = await orphanRows(tx, { ref: key });
    if (!orphan) throw badRequest(`${key} is not an orphan: a location still lists it (or none ever did)`, "ref");
    const entity = await lockEntity(tx, key);
    if (!entity) throw notFound(`Entity ${key}`);
    if (!canAdminister(user)) {
      const owner = relationsOf(entity.entity).find((r) => r.type === "ownedBy")?.target;
      const team = owner ? await teamOfGroupRef(tx, owner) : null;
      if (!team || !canManageService(user, team.id)) throw forbidden("Only admins and members of the owning team may delete this entity");
    }
    await deleteEntity(tx, user, entity, `orphaned: no longer listed by ${orphan.target}`);
    await forgetUserMapping(tx, user, entity.ref);
    await forgetOrphan(tx, actorOf(user), orphan);
    return { deleted: key };
  });
}
