// How an imported entity becomes part of Pier's own catalog (the "projection"): a Group in the default namespace is
// a Team, a Component in the default namespace owned by a Group that is a Team is a Service, and its `dependsOn`
// Components that are Services are its service dependencies. Everything else stays a catalog entity with a page.
// Projections are recomputed whenever an entity or something it points at arrives (./backstage-import.ts
// settles them), so a Component imported before its owner Group becomes a Service when the Group comes.
import { canonicalJson, recordAudits } from "../audit/audit-log";
import { anyOf, newId, type Tx } from "../db";
import { actorOf, canAdminister, canManageService } from "../identity/access";
import type { SessionUser } from "../identity/roles";
import { ANNOTATION, MAPPED_SPEC_KEYS, repositoryFromSourceLocation, slugFromName, type BackstageEntity } from "./backstage-mapping";
import { linkEntities, type StoredEntity } from "./entity-store";
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

/** What projecting one entity did: whether its team or service (or its dependencies) changed, and why it is not one. */
export type Projected = { changed: boolean; warning?: string };

/** The Pier teams of these group refs (see teamOfGroupRef), in two statements, by ref key. */
export async function teamsOfGroupRefs(tx: Tx, keys: readonly string[]): Promise<Map<string, Team>> {
  const out = new Map<string, Team>();
  if (!keys.length) return out;
  const viaEntity = await tx
    .selectFrom("CatalogEntity as e")
    .innerJoin("Team as t", "t.id", "e.teamId")
    .select(["e.ref", "t.id", "t.slug", "t.name"])
    .where("e.ref", "=", anyOf(keys))
    .execute();
  for (const { ref, ...team } of viaEntity) out.set(ref, team);
  const bySlug = new Map(
    keys.filter((k) => !out.has(k)).flatMap((k) => (/^group:default\/(.+)$/.exec(k) ? [[/^group:default\/(.+)$/.exec(k)![1], k] as const] : [])),
  );
  if (bySlug.size) {
    for (const team of await tx
      .selectFrom("Team")
      .select(["id", "slug", "name"])
      .where("slug", "=", anyOf([...bySlug.keys()]))
      .execute())
      out.set(bySlug.get(team.slug)!, team);
  }
  return out;
}

/** Which entity already stands for each of these teams or services. */
async function claimsOf(tx: Tx, column: "teamId" | "serviceId", ids: readonly string[]): Promise<Map<string, string>> {
  if (!ids.length) return new Map();
  const rows = await tx.selectFrom("CatalogEntity").select(["ref", column]).where(column, "=", anyOf(ids)).execute();
  return new Map(rows.map((r) => [r[column]!, r.ref]));
}

/**
 * Default-namespace Groups as Pier teams (on-call contacts set in Pier are kept), a few statements for the lot.
 * Returns, by ref, whether each team changed and why a Group is not one.
 */
export async function projectGroups(tx: Tx, user: SessionUser, entities: readonly StoredEntity[]): Promise<Map<string, Projected>> {
  const out = new Map<string, Projected>();
  const candidates: { e: StoredEntity; slug: string }[] = [];
  for (const e of entities) {
    if (e.namespace !== DEFAULT_NAMESPACE) out.set(e.ref, { changed: false });
    else {
      const slug = projectableSlug(e.name);
      if (slug) candidates.push({ e, slug });
      else out.set(e.ref, { changed: false, warning: `"${e.name}" cannot be a Pier team slug; the Group is kept as a catalog entity` });
    }
  }
  if (!candidates.length) return out;
  const existing = new Map(
    (
      await tx
        .selectFrom("Team")
        .select(TEAM_COLUMNS)
        .where("slug", "=", anyOf(candidates.map((c) => c.slug)))
        .execute()
    ).map((t) => [t.slug, t]),
  );
  const claims = await claimsOf(
    tx,
    "teamId",
    [...existing.values()].map((t) => t.id),
  );
  const links: { id: string; teamId: string }[] = [];
  type TeamRow = { id: string; slug: string; name: string; description: string; onCallName: string | null; onCallUrl: string | null; updatedAt: Date };
  const inserts: { e: StoredEntity; row: TeamRow }[] = [];
  const audits: Parameters<typeof recordAudits>[1][number][] = [];
  const actor = actorOf(user);
  for (const { e, slug } of candidates) {
    const before = existing.get(slug);
    const { metadata, spec = {} } = e.entity;
    const profile = (spec.profile ?? {}) as { displayName?: string };
    const data = {
      name: profile.displayName ?? metadata.title ?? metadata.name,
      description: metadata.description ?? "",
      // On-call contacts set in Pier are kept when the file says nothing about them.
      onCallName: metadata.annotations?.[ANNOTATION.onCallName] ?? before?.onCallName ?? null,
      onCallUrl: metadata.annotations?.[ANNOTATION.onCallUrl] ?? before?.onCallUrl ?? null,
    };
    const claimed = before ? claims.get(before.id) : undefined;
    if (claimed && claimed !== e.ref) {
      out.set(e.ref, { changed: false, warning: `Team "${slug}" is already ${claimed}` });
      continue;
    }
    if (!before) {
      // Two Groups of one slug in the batch: the first one claims it, as it would one after the other.
      const row = { ...data, id: newId(), slug, updatedAt: new Date() };
      existing.set(slug, row);
      claims.set(row.id, e.ref);
      inserts.push({ e, row });
      out.set(e.ref, { changed: true });
      continue;
    }
    claims.set(before.id, e.ref);
    if (!sameFields(before, data)) {
      const after = await tx
        .updateTable("Team")
        .set({ ...data, updatedAt: new Date() })
        .where("id", "=", before.id)
        .returning(TEAM_COLUMNS)
        .executeTakeFirstOrThrow();
      audits.push({ actor, action: "team.updated", subjectType: "team", subjectId: after.id, before, after });
    }
    out.set(e.ref, { changed: !sameFields(before, data) });
    if (e.teamId !== before.id) links.push({ id: e.id, teamId: before.id });
  }
  if (inserts.length) {
    const written = await tx
      .insertInto("Team")
      .values(inserts.map((i) => i.row))
      .returning(TEAM_COLUMNS)
      .execute();
    const bySlug = new Map(written.map((t) => [t.slug, t]));
    for (const { e, row } of inserts) {
      audits.push({ actor, action: "team.created", subjectType: "team", subjectId: row.id, before: null, after: bySlug.get(row.slug) });
      links.push({ id: e.id, teamId: row.id });
    }
  }
  recordAudits(tx, audits);
  await linkEntities(tx, links);
  return out;
}

const IMPORTED_COLUMNS = ["language", "repositoryUrl", "runbookUrl", "links", "tags", "system", "annotations", "backstageSpec"] as const;
const SERVICE_COLUMNS = ["id", "slug", "name", "description", "tier", "lifecycle", "type", "kind", "teamId", ...IMPORTED_COLUMNS] as const;

/** The service columns a Component stands for. */
function serviceDataOf(e: StoredEntity, team: Team, existing: { tier: number; language: string | null; repositoryUrl: string | null } | undefined) {
  const { metadata, spec = {} } = e.entity;
  // Pier's own annotations become columns (the entity keeps them all for the export).
  const annotations = { ...(metadata.annotations ?? {}) };
  const tier = Number(annotations[ANNOTATION.tier] ?? existing?.tier ?? 2);
  const language = annotations[ANNOTATION.language] ?? existing?.language ?? null;
  const repositoryUrl = repositoryFromSourceLocation(annotations[ANNOTATION.sourceLocation]);
  delete annotations[ANNOTATION.tier];
  delete annotations[ANNOTATION.language];
  if (repositoryUrl) delete annotations[ANNOTATION.sourceLocation];
  const httpLinks = (metadata.links ?? []).filter((l) => /^https?:\/\//i.test(l.url));
  return {
    name: metadata.title ?? metadata.name,
    description: metadata.description ?? "",
    kind: "Component",
    type: String(spec.type).toLowerCase(),
    lifecycle: String(spec.lifecycle) as (typeof LIFECYCLES)[number],
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
}

const serviceRow = (data: ReturnType<typeof serviceDataOf>) => ({
  ...data,
  links: JSON.stringify(data.links),
  annotations: JSON.stringify(data.annotations),
  backstageSpec: JSON.stringify(data.backstageSpec),
  updatedAt: new Date(),
});

/**
 * Default-namespace Components whose owner is a Pier team, as Pier services, a few statements for the lot.
 * Returns, by ref, whether each service changed and why a Component is not one.
 */
export async function projectComponents(tx: Tx, user: SessionUser, entities: readonly StoredEntity[]): Promise<Map<string, Projected>> {
  const out = new Map<string, Projected>();
  const components = entities.filter((e) => e.kind === "Component" && e.namespace === DEFAULT_NAMESPACE);
  for (const e of entities) if (!components.includes(e)) out.set(e.ref, { changed: false });
  const owners = new Map(components.map((e) => [e.ref, ownerRefOf(e.entity)]));
  const teams = await teamsOfGroupRefs(tx, [...new Set([...owners.values()].flatMap((o) => (o ? [refKey(o)] : [])))]);
  const candidates: { e: StoredEntity; slug: string; team: Team }[] = [];
  for (const e of components) {
    const owner = owners.get(e.ref);
    const team = owner ? teams.get(refKey(owner)) : undefined;
    const slug = projectableSlug(e.name);
    const lifecycle = String(e.entity.spec?.lifecycle);
    if (!team) out.set(e.ref, { changed: false, warning: `Not a Pier service until its owner ${owner ? refKey(owner) : ""} is a Pier team` });
    else if (!slug) out.set(e.ref, { changed: false, warning: `"${e.name}" cannot be a Pier service slug; the Component is kept as a catalog entity` });
    else if (!(LIFECYCLES as readonly string[]).includes(lifecycle))
      out.set(e.ref, { changed: false, warning: `Lifecycle "${lifecycle}" is not one Pier services have (${LIFECYCLES.join(", ")})` });
    else candidates.push({ e, slug, team });
  }
  if (!candidates.length) return out;
  const existing = new Map(
    (
      await selectServiceSummaries(tx)
        .select(IMPORTED_COLUMNS.map((c) => `s.${c}` as const))
        .where("s.slug", "=", anyOf(candidates.map((c) => c.slug)))
        .execute()
    ).map((s) => [s.slug, s]),
  );
  const claims = await claimsOf(
    tx,
    "serviceId",
    [...existing.values()].map((s) => s.id),
  );
  const taken = new Map<string, string>();
  const links: { id: string; serviceId: string }[] = [];
  const inserts: { e: StoredEntity; team: Team; row: ReturnType<typeof serviceRow> & { id: string; slug: string } }[] = [];
  for (const { e, slug, team } of candidates) {
    const before = existing.get(slug);
    const claimed = before ? claims.get(before.id) : taken.get(slug);
    if ((claimed && claimed !== e.ref) || (before && before.kind !== "Component")) {
      out.set(e.ref, { changed: false, warning: `Service "${slug}" is already ${claimed ?? `a Pier ${before!.kind}`}` });
      continue;
    }
    taken.set(slug, e.ref);
    const data = serviceDataOf(e, team, before);
    if (!before) {
      inserts.push({ e, team, row: { ...serviceRow(data), id: newId(), slug } });
      out.set(e.ref, { changed: true });
      continue;
    }
    const { id: _id, slug: _slug, team: _team, ...comparable } = before;
    if (!sameFields(comparable as Record<string, unknown>, data)) {
      const written = await tx.updateTable("Service").set(serviceRow(data)).where("id", "=", before.id).returning(SERVICE_COLUMNS).executeTakeFirstOrThrow();
      const after = { ...written, team };
      recordServiceChange(tx, user, after, "imported", before, after, { source: "backstage", ref: e.ref });
      out.set(e.ref, { changed: true });
    } else out.set(e.ref, { changed: false });
    if (e.serviceId !== before.id) links.push({ id: e.id, serviceId: before.id });
  }
  if (inserts.length) {
    const written = new Map(
      (
        await tx
          .insertInto("Service")
          .values(inserts.map((i) => i.row))
          .returning(SERVICE_COLUMNS)
          .execute()
      ).map((s) => [s.id, s]),
    );
    for (const { e, team, row } of inserts) {
      const after = { ...written.get(row.id)!, team };
      recordServiceChange(tx, user, after, "created", null, after, { source: "backstage", ref: e.ref });
      links.push({ id: e.id, serviceId: row.id });
    }
  }
  await linkEntities(tx, links);
  return out;
}

/**
 * Makes each service's dependencies its entity's `dependsOn` targets that are Pier services, a few statements for
 * the lot. Returns the refs whose service dependencies changed.
 */
export async function syncServiceDependencies(tx: Tx, user: SessionUser, entities: readonly StoredEntity[]): Promise<Set<string>> {
  const changed = new Set<string>();
  const linked = entities.filter((e): e is StoredEntity & { serviceId: string } => !!e.serviceId);
  if (!linked.length) return changed;
  const targetsOf = new Map(
    linked.map((e) => [
      e.ref,
      relationsOf(e.entity)
        .filter((r) => r.type === "dependsOn")
        .map((r) => refKey(r.target)),
    ]),
  );
  const allTargets = [...new Set([...targetsOf.values()].flat())];
  const legacySlug = (t: string) => /^component:default\/(.+)$/.exec(t)?.[1];
  const legacy = allTargets.map(legacySlug).filter((s): s is string => !!s);
  const [viaEntity, bySlug, current] = await Promise.all([
    allTargets.length
      ? tx.selectFrom("CatalogEntity").select(["ref", "serviceId"]).where("ref", "=", anyOf(allTargets)).where("serviceId", "is not", null).execute()
      : [],
    legacy.length ? tx.selectFrom("Service").select(["id", "slug"]).where("slug", "=", anyOf(legacy)).execute() : [],
    tx
      .selectFrom("ServiceDependency")
      .select(["fromServiceId", "toServiceId"])
      .where("fromServiceId", "=", anyOf(linked.map((e) => e.serviceId)))
      .execute(),
  ]);
  const serviceOfRef = new Map(viaEntity.map((r) => [r.ref, r.serviceId!]));
  const serviceOfSlug = new Map(bySlug.map((r) => [r.slug, r.id]));
  const changes: { e: StoredEntity & { serviceId: string }; before: string[]; wanted: string[]; added: number; removed: number }[] = [];
  const toAdd: { fromServiceId: string; toServiceId: string; kind: "runtime" }[] = [];
  for (const e of linked) {
    const targets = targetsOf.get(e.ref)!;
    const wanted = new Set(
      [...targets.map((t) => serviceOfRef.get(t)), ...targets.map((t) => serviceOfSlug.get(legacySlug(t) ?? ""))].filter(
        (id): id is string => !!id && id !== e.serviceId,
      ),
    );
    const before = current.filter((c) => c.fromServiceId === e.serviceId).map((c) => c.toServiceId);
    const removed = before.filter((id) => !wanted.has(id));
    const added = [...wanted].filter((id) => !before.includes(id));
    if (!removed.length && !added.length) continue;
    if (removed.length) await tx.deleteFrom("ServiceDependency").where("fromServiceId", "=", e.serviceId).where("toServiceId", "=", anyOf(removed)).execute();
    toAdd.push(...added.map((toServiceId) => ({ fromServiceId: e.serviceId, toServiceId, kind: "runtime" as const })));
    changes.push({ e, before, wanted: [...wanted], added: added.length, removed: removed.length });
  }
  if (!changes.length) return changed;
  for (let i = 0; i < toAdd.length; i += 2000)
    await tx
      .insertInto("ServiceDependency")
      .values(toAdd.slice(i, i + 2000))
      .execute();
  const services = new Map(
    (
      await selectServiceSummaries(tx)
        .where("s.id", "=", anyOf(changes.map((c) => c.e.serviceId)))
        .execute()
    ).map((s) => [s.id, s]),
  );
  for (const c of changes) {
    recordServiceChange(
      tx,
      user,
      services.get(c.e.serviceId)!,
      "imported",
      { dependsOn: c.before },
      { dependsOn: c.wanted },
      { source: "backstage", dependenciesAdded: c.added, dependenciesRemoved: c.removed },
    );
    changed.add(c.e.ref);
  }
  return changed;
}
