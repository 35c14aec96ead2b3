// How an imported entity becomes part of Pier's own catalog (the "projection"): a Group in the default namespace is
// a Team, a Component in the default namespace owned by a Group that is a Team is a Service, and its `dependsOn`
// Components that are Services are its service dependencies. Everything else stays a catalog entity with a page.
// Projections are recomputed whenever an entity or something it points at arrives (./backstage-import.ts
// settles them), so a Component imported before its owner Group becomes a Service when the Group comes.
import { canonicalJson, recordAudit } from "../audit/audit-log";
import { anyOf, newId, type Tx } from "../db";
import { actorOf, canAdminister, canManageService } from "../identity/access";
import type { SessionUser } from "../identity/roles";
import { ANNOTATION, MAPPED_SPEC_KEYS, repositoryFromSourceLocation, slugFromName, type BackstageEntity } from "./backstage-mapping";
import { linkEntity, type StoredEntity } from "./entity-store";
import { DEFAULT_NAMESPACE, refKey, relationsOf, type Ref } from "./entity-relations";
import { recordServiceChange } from "./service-editing";
import { LIFECYCLES, SLUG_RE } from "./service-input";
import { selectServiceSummaries } from "./service-summary";

type Team = { id: string; slug: string; name: string };

const projectableSlug = (name: string) => {
  const slug = slugFromName(name);
  return SLUG_RE.test(slug) && slug.length <= 63 ? slug : null;
};

/** The Pier team a group ref stands for: the Group entity's team, or a Pier team of that exact slug (default namespace). */
export async function teamOfGroupRef(tx: Tx, ref: Ref | string): Promise<Team | null> {
  const key = typeof ref === "string" ? ref : refKey(ref);
  const viaEntity = await tx
    .selectFrom("CatalogEntity as e")
    .innerJoin("Team as t", "t.id", "e.teamId")
    .select(["t.id", "t.slug", "t.name"])
    .where("e.ref", "=", key)
    .executeTakeFirst();
  if (viaEntity) return viaEntity;
  const m = /^group:default\/(.+)$/.exec(key);
  if (!m) return null;
  return (await tx.selectFrom("Team").select(["id", "slug", "name"]).where("slug", "=", m[1]).executeTakeFirst()) ?? null;
}

const ownerRefOf = (e: BackstageEntity) => relationsOf(e).find((r) => r.type === "ownedBy")?.target;

/** Why the user may not write this entity (null: they may). Admins may write any; others only what their team owns. */
export async function writeRefusal(tx: Tx, user: SessionUser, entity: BackstageEntity, before: StoredEntity | undefined): Promise<string | null> {
  if (canAdminister(user)) return null;
  const owner = ownerRefOf(entity);
  const team = owner ? await teamOfGroupRef(tx, owner) : null;
  if (!team) return `Only admins may import a ${entity.kind} ${owner ? `owned by ${refKey(owner)}, which is not a Pier team` : "(it has no owning team)"}`;
  if (!canManageService(user, team.id)) return `Only admins and members of ${team.name} may change this entity`;
  const previousOwner = before ? ownerRefOf(before.entity) : undefined;
  const previousTeam = previousOwner ? await teamOfGroupRef(tx, previousOwner) : null;
  if (before && (!previousTeam || !canManageService(user, previousTeam.id)))
    return `Only admins and members of ${previousTeam?.name ?? "its owning team"} may change this entity`;
  if (entity.kind === "Component" && (entity.metadata.namespace ?? DEFAULT_NAMESPACE) === DEFAULT_NAMESPACE) {
    const slug = projectableSlug(entity.metadata.name);
    const service = slug ? await tx.selectFrom("Service").select(["teamId"]).where("slug", "=", slug).executeTakeFirst() : undefined;
    if (service && !canManageService(user, service.teamId)) return `Only admins and members of the team owning service "${slug}" may change it`;
  }
  return null;
}

const sameFields = (a: Record<string, unknown>, b: Record<string, unknown>) =>
  Object.keys(b).every((k) => canonicalJson(a[k] ?? null) === canonicalJson(b[k] ?? null));

const TEAM_COLUMNS = ["id", "slug", "name", "description", "onCallName", "onCallUrl"] as const;

/** A default-namespace Group as a Pier team (on-call contacts set in Pier are kept). Returns whether it changed. */
export async function projectGroup(tx: Tx, user: SessionUser, e: StoredEntity): Promise<{ changed: boolean; warning?: string }> {
  if (e.namespace !== DEFAULT_NAMESPACE) return { changed: false };
  const slug = projectableSlug(e.name);
  if (!slug) return { changed: false, warning: `"${e.name}" cannot be a Pier team slug; the Group is kept as a catalog entity` };
  const { metadata, spec = {} } = e.entity;
  const profile = (spec.profile ?? {}) as { displayName?: string };
  const before = await tx.selectFrom("Team").select(TEAM_COLUMNS).where("slug", "=", slug).executeTakeFirst();
  const data = {
    name: profile.displayName ?? metadata.title ?? metadata.name,
    description: metadata.description ?? "",
    // On-call contacts set in Pier are kept when the file says nothing about them.
    onCallName: metadata.annotations?.[ANNOTATION.onCallName] ?? before?.onCallName ?? null,
    onCallUrl: metadata.annotations?.[ANNOTATION.onCallUrl] ?? before?.onCallUrl ?? null,
  };
  const claimed = before ? await tx.selectFrom("CatalogEntity").select("ref").where("teamId", "=", before.id).executeTakeFirst() : undefined;
  if (claimed && claimed.ref !== e.ref) return { changed: false, warning: `Team "${slug}" is already ${claimed.ref}` };
  if (before && sameFields(before, data)) {
    if (e.teamId !== before.id) await linkEntity(tx, e.id, { teamId: before.id });
    return { changed: false };
  }
  const after = before
    ? await tx
        .updateTable("Team")
        .set({ ...data, updatedAt: new Date() })
        .where("id", "=", before.id)
        .returning(TEAM_COLUMNS)
        .executeTakeFirstOrThrow()
    : await tx
        .insertInto("Team")
        .values({ ...data, id: newId(), slug, updatedAt: new Date() })
        .returning(TEAM_COLUMNS)
        .executeTakeFirstOrThrow();
  recordAudit(tx, {
    actor: actorOf(user),
    action: before ? "team.updated" : "team.created",
    subjectType: "team",
    subjectId: after.id,
    before: before ?? null,
    after,
  });
  if (e.teamId !== after.id) await linkEntity(tx, e.id, { teamId: after.id });
  return { changed: true };
}

const IMPORTED_COLUMNS = ["language", "repositoryUrl", "runbookUrl", "links", "tags", "system", "annotations", "backstageSpec"] as const;
const SERVICE_COLUMNS = ["id", "slug", "name", "description", "tier", "lifecycle", "type", "kind", "teamId", ...IMPORTED_COLUMNS] as const;

/** A default-namespace Component whose owner is a Pier team, as a Pier service. Returns whether it changed. */
export async function projectComponent(tx: Tx, user: SessionUser, e: StoredEntity): Promise<{ changed: boolean; warning?: string }> {
  if (e.kind !== "Component" || e.namespace !== DEFAULT_NAMESPACE) return { changed: false };
  const { metadata, spec = {} } = e.entity;
  const owner = ownerRefOf(e.entity);
  const team = owner ? await teamOfGroupRef(tx, owner) : null;
  if (!team) return { changed: false, warning: `Not a Pier service until its owner ${owner ? refKey(owner) : ""} is a Pier team` };
  const slug = projectableSlug(e.name);
  if (!slug) return { changed: false, warning: `"${e.name}" cannot be a Pier service slug; the Component is kept as a catalog entity` };
  const lifecycle = String(spec.lifecycle);
  if (!(LIFECYCLES as readonly string[]).includes(lifecycle))
    return { changed: false, warning: `Lifecycle "${lifecycle}" is not one Pier services have (${LIFECYCLES.join(", ")})` };
  const existing = await selectServiceSummaries(tx)
    .select(IMPORTED_COLUMNS.map((c) => `s.${c}` as const))
    .where("s.slug", "=", slug)
    .executeTakeFirst();
  if (existing) {
    const claimed = await tx.selectFrom("CatalogEntity").select("ref").where("serviceId", "=", existing.id).executeTakeFirst();
    if ((claimed && claimed.ref !== e.ref) || existing.kind !== "Component") {
      return { changed: false, warning: `Service "${slug}" is already ${claimed?.ref ?? `a Pier ${existing.kind}`}` };
    }
  }
  // Pier's own annotations become columns (the entity keeps them all for the export).
  const annotations = { ...(metadata.annotations ?? {}) };
  const tier = Number(annotations[ANNOTATION.tier] ?? existing?.tier ?? 2);
  const language = annotations[ANNOTATION.language] ?? existing?.language ?? null;
  const repositoryUrl = repositoryFromSourceLocation(annotations[ANNOTATION.sourceLocation]);
  delete annotations[ANNOTATION.tier];
  delete annotations[ANNOTATION.language];
  if (repositoryUrl) delete annotations[ANNOTATION.sourceLocation];
  const httpLinks = (metadata.links ?? []).filter((l) => /^https?:\/\//i.test(l.url));
  const data = {
    name: metadata.title ?? metadata.name,
    description: metadata.description ?? "",
    kind: "Component",
    type: String(spec.type).toLowerCase(),
    lifecycle: lifecycle as (typeof LIFECYCLES)[number],
    system: relationsOf(e.entity).find((r) => r.type === "partOf" && r.target.kind.toLowerCase() === "system")?.target.name ?? null,
    tier: [1, 2, 3].includes(tier) ? tier : 2,
    language,
    repositoryUrl: repositoryUrl ?? existing?.repositoryUrl ?? null,
    runbookUrl: httpLinks.find((l) => l.type === "runbook")?.url ?? null,
    tags: metadata.tags ?? [],
    links: httpLinks.filter((l) => l.type !== "runbook").map((l) => ({ title: l.title ?? l.url, url: l.url })),
    annotations,
    backstageSpec: Object.fromEntries(Object.entries(spec).filter(([k]) => !(MAPPED_SPEC_KEYS as readonly string[]).includes(k))),
    teamId: team.id,
  };
  if (existing) {
    const { id: _id, slug: _slug, team: _team, ...comparable } = existing;
    if (sameFields(comparable as Record<string, unknown>, data)) {
      if (e.serviceId !== existing.id) await linkEntity(tx, e.id, { serviceId: existing.id });
      return { changed: false };
    }
  }
  const row = {
    ...data,
    links: JSON.stringify(data.links),
    annotations: JSON.stringify(annotations),
    backstageSpec: JSON.stringify(data.backstageSpec),
    updatedAt: new Date(),
  };
  const written = existing
    ? await tx.updateTable("Service").set(row).where("id", "=", existing.id).returning(SERVICE_COLUMNS).executeTakeFirstOrThrow()
    : await tx
        .insertInto("Service")
        .values({ ...row, id: newId(), slug })
        .returning(SERVICE_COLUMNS)
        .executeTakeFirstOrThrow();
  const after = { ...written, team };
  recordServiceChange(tx, user, after, existing ? "imported" : "created", existing ?? null, after, { source: "backstage", ref: e.ref });
  if (e.serviceId !== after.id) await linkEntity(tx, e.id, { serviceId: after.id });
  return { changed: true };
}

/** Makes the service's dependencies the entity's `dependsOn` targets that are Pier services. */
export async function syncServiceDependencies(tx: Tx, user: SessionUser, e: StoredEntity): Promise<boolean> {
  if (!e.serviceId) return false;
  const serviceId = e.serviceId;
  const targets = relationsOf(e.entity)
    .filter((r) => r.type === "dependsOn")
    .map((r) => refKey(r.target));
  const viaEntity = targets.length
    ? await tx.selectFrom("CatalogEntity").select("serviceId").where("ref", "in", targets).where("serviceId", "is not", null).execute()
    : [];
  const legacy = targets.map((t) => /^component:default\/(.+)$/.exec(t)?.[1]).filter((s): s is string => !!s);
  const bySlug = legacy.length ? await tx.selectFrom("Service").select("id").where("slug", "in", legacy).execute() : [];
  const wanted = new Set([...viaEntity.map((r) => r.serviceId!), ...bySlug.map((r) => r.id)].filter((id) => id !== serviceId));
  const current = await tx.selectFrom("ServiceDependency").select(["toServiceId"]).where("fromServiceId", "=", serviceId).execute();
  const toRemove = current.filter((c) => !wanted.has(c.toServiceId)).map((c) => c.toServiceId);
  const toAdd = [...wanted].filter((id) => !current.some((c) => c.toServiceId === id));
  if (!toRemove.length && !toAdd.length) return false;
  if (toRemove.length) await tx.deleteFrom("ServiceDependency").where("fromServiceId", "=", serviceId).where("toServiceId", "=", anyOf(toRemove)).execute();
  if (toAdd.length)
    await tx
      .insertInto("ServiceDependency")
      .values(toAdd.map((toServiceId) => ({ fromServiceId: serviceId, toServiceId, kind: "runtime" as const })))
      .execute();
  const service = await selectServiceSummaries(tx).where("s.id", "=", serviceId).executeTakeFirstOrThrow();
  const before = current.map((c) => c.toServiceId);
  recordServiceChange(
    tx,
    user,
    service,
    "imported",
    { dependsOn: before },
    { dependsOn: [...wanted] },
    { source: "backstage", dependenciesAdded: toAdd.length, dependenciesRemoved: toRemove.length },
  );
  return true;
}
