// Backstage catalog-info.yaml import: every document is validated against Backstage's schemas, mapped onto teams
// and services, and applied in ONE transaction. If any entity has an error, nothing is applied and the report
// says which entity and why; otherwise each entity is reported created, updated or skipped (with the reason).
// Limits per request (a 400 naming the limit): INLINE_IMPORT_LIMITS (bytes, documents), YAML aliases (alias bombs),
// nesting (./catalog-yaml.ts), and IMPORT_TIME_LIMIT_MS for the whole transaction (with a statement timeout inside
// it). Larger files go to the background import (./import-jobs.ts), which applies the same per-entity functions
// exported here in chunks. URLs follow the one rule the service form uses (server/platform/input-rules.ts).
import { anyOf, newId, sql, transaction, type Db, type Tx } from "../db";
import { canonicalJson, recordAudit } from "../audit/audit-log";
import { env } from "../env";
import { badRequest } from "../errors";
import { HTTP_URL_MESSAGE, isHttpUrl } from "../platform/input-rules";
import { actorOf, canAdminister, canManageService } from "../identity/access";
import type { SessionUser } from "../identity/roles";
import { entityProblems, envelopeProblems, isSupportedKind, type SupportedKind } from "./backstage-schema";
import { ANNOTATION, MAPPED_SPEC_KEYS, parseEntityRef, repositoryFromSourceLocation, slugFromName, type BackstageEntity } from "./backstage-mapping";
import { readCatalogDocuments } from "./catalog-yaml";
import { INLINE_IMPORT_LIMITS } from "./import-limits";
import { recordServiceChange } from "./service-editing";
import { LIFECYCLES, SLUG_RE, tagSchema } from "./service-input";
import { selectServiceSummaries } from "./service-summary";

type ImportStatus = "created" | "updated" | "skipped" | "error";
type ImportEntityResult = {
  index: number;
  kind: string;
  name: string;
  status: ImportStatus;
  reason?: string;
  warnings?: string[];
};
export type ImportReport = {
  applied: boolean;
  dryRun: boolean;
  counts: Record<ImportStatus, number>;
  entities: ImportEntityResult[];
};

/** The whole import (validation and its one transaction) must finish within this; longer files go in parts. */
const IMPORT_TIME_LIMIT_MS = 20_000;

class Rollback extends Error {
  constructor() {
    super("rollback");
  }
}

/** An entity that passed validation, ready to apply: its position in the file, kind, body and Pier slug. */
export type Prepared = { index: number; kind: SupportedKind; entity: BackstageEntity; slug: string };

const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);

/**
 * Validates every entity on its own (envelope, kind, Backstage schema, name → slug, a name used twice): no database.
 * `results` has an entry per value, in order ("pending" for the prepared ones); `prepared` the entities to apply.
 */
export function prepareEntities(values: unknown[]): { results: ImportEntityResult[]; prepared: Prepared[] } {
  const results: ImportEntityResult[] = [];
  const prepared: Prepared[] = [];
  // Slug → first entity using it, teams and services apart (a Group may share a Component's name).
  const taken = new Map<string, number>();
  values.forEach((value, index) => {
    const meta = (value as { metadata?: { name?: unknown } })?.metadata;
    const kind = String((value as { kind?: unknown })?.kind ?? "?");
    const name = typeof meta?.name === "string" ? meta.name : "?";
    const envelope = envelopeProblems(value);
    if (envelope.length) return results.push({ index, kind, name, status: "error", reason: envelope.join("; ") });
    if (!isSupportedKind(kind)) {
      return results.push({
        index,
        kind,
        name,
        status: "skipped",
        reason: `Pier does not import ${kind} entities (only Component, API, Resource, System and Group)`,
      });
    }
    const problems = entityProblems(kind, value);
    if (problems.length) return results.push({ index, kind, name, status: "error", reason: problems.join("; ") });
    const slug = slugFromName(name);
    if (!SLUG_RE.test(slug) || slug.length > 63) {
      return results.push({ index, kind, name, status: "error", reason: `metadata.name "${name}" cannot become a Pier slug (letters, digits and dashes)` });
    }
    const key = `${kind === "Group" ? "team" : "service"}:${slug}`;
    const dup = taken.get(key);
    if (dup !== undefined) return results.push({ index, kind, name, status: "error", reason: `Entity ${dup + 1} already uses the name "${slug}"` });
    taken.set(key, index);
    prepared.push({ index, kind, entity: value as BackstageEntity, slug });
    results.push({ index, kind, name, status: "skipped", reason: "pending" });
  });
  return { results, prepared };
}

export async function importCatalogYaml(db: Db, user: SessionUser, text: string, opts: { dryRun?: boolean; timeLimitMs?: number } = {}): Promise<ImportReport> {
  const limit = opts.timeLimitMs ?? IMPORT_TIME_LIMIT_MS;
  const deadline = Date.now() + limit;
  const inTime = () => {
    if (Date.now() > deadline) {
      throw badRequest(`The import took longer than ${limit / 1000} s and was not applied; import the file in smaller parts`, "yaml");
    }
  };
  const values = await readCatalogDocuments(
    text,
    INLINE_IMPORT_LIMITS,
    (n) => `The file holds ${n} documents; at most ${INLINE_IMPORT_LIMITS.documents} are imported per request (import it in the background, or split the file)`,
  );
  const { results, prepared } = prepareEntities(values);

  const setResult = (index: number, r: Omit<ImportEntityResult, "index" | "kind" | "name">) => {
    const target = results.find((x) => x.index === index)!;
    Object.assign(target, r);
  };

  let applied = false;
  try {
    await transaction(db, async (tx) => {
      // No single statement may outlast what is left of the request's time (never above the pool's own timeout).
      const configured = env().PIER_DB_STATEMENT_TIMEOUT_MS || Number.POSITIVE_INFINITY;
      const timeout = Math.max(1000, Math.min(configured, deadline - Date.now()));
      await sql`SELECT set_config('statement_timeout', ${String(timeout)}, true)`.execute(tx);
      for (const p of prepared.filter((p) => p.kind === "Group")) {
        inTime();
        setResult(p.index, await applyGroup(tx, user, p));
      }
      const services = prepared.filter((p) => p.kind !== "Group");
      const ids = new Map<string, string>();
      for (const p of services) {
        inTime();
        const r = await applyService(tx, user, p);
        setResult(p.index, r.result);
        if (r.id) ids.set(p.slug, r.id);
      }
      // Dependencies last, so entities later in the file can be depended on by earlier ones.
      for (const p of services) {
        const id = ids.get(p.slug);
        if (!id) continue;
        inTime();
        const { warnings, changed } = await syncDependencies(tx, user, id, p);
        const r = results.find((x) => x.index === p.index)!;
        if (warnings.length) r.warnings = [...(r.warnings ?? []), ...warnings];
        if (changed && r.status === "skipped") Object.assign(r, { status: "updated", reason: "dependencies changed" });
      }
      if (results.some((r) => r.status === "error") || opts.dryRun) throw new Rollback();
    });
    applied = true;
  } catch (err) {
    if (!(err instanceof Rollback)) throw err;
  }
  const counts: Record<ImportStatus, number> = { created: 0, updated: 0, skipped: 0, error: 0 };
  for (const r of results) counts[r.status]++;
  return { applied, dryRun: !!opts.dryRun, counts, entities: results };
}

/** What applying one entity did (its status and why). */
type Applied = Omit<ImportEntityResult, "index" | "kind" | "name">;

export async function applyGroup(tx: Tx, user: SessionUser, p: Prepared): Promise<Applied> {
  const { metadata, spec = {} } = p.entity;
  const profile = (spec.profile ?? {}) as { displayName?: string };
  const data = {
    name: profile.displayName ?? metadata.title ?? metadata.name,
    description: metadata.description ?? "",
    onCallName: metadata.annotations?.[ANNOTATION.onCallName] ?? null,
    onCallUrl: metadata.annotations?.[ANNOTATION.onCallUrl] ?? null,
  };
  if (data.onCallUrl !== null && !isHttpUrl(data.onCallUrl)) {
    return { status: "error", reason: `Annotation ${ANNOTATION.onCallUrl}: ${HTTP_URL_MESSAGE}` };
  }
  const before = await tx.selectFrom("Team").select(TEAM_COLUMNS).where("slug", "=", p.slug).executeTakeFirst();
  if (before) {
    // Keep on-call contacts set in Pier when the file says nothing about them.
    if (!metadata.annotations?.[ANNOTATION.onCallName]) data.onCallName = before.onCallName;
    if (!metadata.annotations?.[ANNOTATION.onCallUrl]) data.onCallUrl = before.onCallUrl;
    if (sameFields(before, data)) return { status: "skipped", reason: "no changes" };
  }
  if (!canAdminister(user)) return { status: "error", reason: "Only admins may create or change teams" };
  const after = before
    ? await tx
        .updateTable("Team")
        .set({ ...data, updatedAt: new Date() })
        .where("id", "=", before.id)
        .returning(TEAM_COLUMNS)
        .executeTakeFirstOrThrow()
    : await tx
        .insertInto("Team")
        .values({ ...data, id: newId(), slug: p.slug, updatedAt: new Date() })
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
  return { status: before ? "updated" : "created", reason: before ? "team details changed" : "new team" };
}

const TEAM_COLUMNS = ["id", "slug", "name", "description", "onCallName", "onCallUrl"] as const;

const sameFields = (a: Record<string, unknown>, b: Record<string, unknown>) =>
  // canonicalJson: jsonb hands keys back in its own order, which is not a change.
  Object.keys(b).every((k) => canonicalJson(a[k] ?? null) === canonicalJson(b[k] ?? null));

export async function applyService(tx: Tx, user: SessionUser, p: Prepared): Promise<{ result: Applied; id?: string }> {
  const { metadata, spec = {} } = p.entity;
  const ownerRef = parseEntityRef(String(spec.owner));
  if (ownerRef.kind && ownerRef.kind !== "group") {
    return { result: { status: "error", reason: `spec.owner "${spec.owner}": Pier services are owned by teams (groups), not ${ownerRef.kind}s` } };
  }
  const team = await tx.selectFrom("Team").select(["id", "slug", "name"]).where("slug", "=", slugFromName(ownerRef.name)).executeTakeFirst();
  if (!team) return { result: { status: "error", reason: `Unknown owner "${spec.owner}": no team with that name (import its Group too)` } };

  const lifecycle = spec.lifecycle === undefined ? undefined : String(spec.lifecycle);
  if (lifecycle !== undefined && !(LIFECYCLES as readonly string[]).includes(lifecycle)) {
    return { result: { status: "error", reason: `spec.lifecycle "${lifecycle}" must be one of ${LIFECYCLES.join(", ")}` } };
  }
  const tags: string[] = [];
  for (const t of metadata.tags ?? []) {
    const parsed = tagSchema.safeParse(t);
    if (!parsed.success) return { result: { status: "error", reason: `Tag "${t}": ${parsed.error.issues[0].message}` } };
    tags.push(parsed.data);
  }
  const annotations = { ...(metadata.annotations ?? {}) };
  const tier = Number(annotations[ANNOTATION.tier] ?? 2);
  if (![1, 2, 3].includes(tier)) return { result: { status: "error", reason: `Annotation ${ANNOTATION.tier} must be 1, 2 or 3` } };
  const language = annotations[ANNOTATION.language] ?? null;
  const repositoryUrl = repositoryFromSourceLocation(annotations[ANNOTATION.sourceLocation]);
  delete annotations[ANNOTATION.tier];
  delete annotations[ANNOTATION.language];
  if (repositoryUrl) delete annotations[ANNOTATION.sourceLocation];
  // The service form's URL rule for every URL the entity brings (links, runbook, source location).
  const badLink = (metadata.links ?? []).findIndex((l) => typeof l.url !== "string" || !isHttpUrl(l.url));
  if (badLink >= 0) return { result: { status: "error", reason: `metadata.links[${badLink}].url: ${HTTP_URL_MESSAGE}` } };
  if (repositoryUrl !== null && !isHttpUrl(repositoryUrl)) {
    return { result: { status: "error", reason: `Annotation ${ANNOTATION.sourceLocation}: ${HTTP_URL_MESSAGE}` } };
  }
  const links = (metadata.links ?? []).filter((l) => l.type !== "runbook").map((l) => ({ title: l.title ?? l.url, url: l.url }));
  const runbookUrl = (metadata.links ?? []).find((l) => l.type === "runbook")?.url ?? null;
  const backstageSpec = Object.fromEntries(Object.entries(spec).filter(([k]) => !(MAPPED_SPEC_KEYS as readonly string[]).includes(k)));
  const defaultType = { Component: "service", API: "api", Resource: "resource", System: "system", Group: "team" }[p.kind];

  const existing = await selectImported(tx).where("s.slug", "=", p.slug).executeTakeFirst();
  if (existing && existing.kind !== p.kind) {
    return { result: { status: "error", reason: `A ${existing.kind} named "${p.slug}" already exists; names are unique across kinds in Pier` } };
  }
  if (!canManageService(user, team.id) || (existing && !canManageService(user, existing.teamId))) {
    return {
      result: {
        status: "error",
        reason: `Only admins and members of ${existing && !canManageService(user, existing.teamId) ? existing.team.name : team.name} may change this entity`,
      },
    };
  }
  const data = {
    name: metadata.title ?? metadata.name,
    description: metadata.description ?? "",
    kind: p.kind,
    type: String(spec.type ?? defaultType).toLowerCase(),
    // Resources and Systems carry no lifecycle in Backstage: keep Pier's, or call them production.
    lifecycle: (lifecycle ?? existing?.lifecycle ?? "production") as (typeof LIFECYCLES)[number],
    system: typeof spec.system === "string" ? parseEntityRef(spec.system).name : null,
    tier,
    language,
    repositoryUrl: repositoryUrl ?? (existing ? existing.repositoryUrl : null),
    runbookUrl,
    tags,
    links,
    annotations,
    backstageSpec,
    teamId: team.id,
  };
  if (existing) {
    const { id: _id, slug: _slug, team: _team, ...comparable } = existing;
    if (sameFields(comparable as Record<string, unknown>, data)) return { result: { status: "skipped", reason: "no changes" }, id: existing.id };
  }
  const row = {
    ...data,
    links: JSON.stringify(links),
    annotations: JSON.stringify(annotations),
    backstageSpec: JSON.stringify(backstageSpec),
    updatedAt: new Date(),
  };
  const written = existing
    ? await tx.updateTable("Service").set(row).where("id", "=", existing.id).returning(IMPORTED_SERVICE_COLUMNS).executeTakeFirstOrThrow()
    : await tx
        .insertInto("Service")
        .values({ ...row, id: newId(), slug: p.slug })
        .returning(IMPORTED_SERVICE_COLUMNS)
        .executeTakeFirstOrThrow();
  const after = { ...written, team };
  recordServiceChange(tx, user, after, existing ? "imported" : "created", existing ?? null, after, { source: "backstage" });
  return { result: { status: existing ? "updated" : "created", reason: existing ? "fields changed" : `new ${p.kind}` }, id: after.id };
}

/** What an import may change besides the summary: the record the audit's before/after holds. */
const IMPORTED_COLUMNS = ["language", "repositoryUrl", "runbookUrl", "links", "tags", "system", "annotations", "backstageSpec"] as const;
const IMPORTED_SERVICE_COLUMNS = ["id", "slug", "name", "description", "tier", "lifecycle", "type", "kind", "teamId", ...IMPORTED_COLUMNS] as const;

function selectImported(tx: Tx) {
  return selectServiceSummaries(tx).select(IMPORTED_COLUMNS.map((c) => `s.${c}` as const));
}

/** Makes the service's dependencies exactly what the entity declares (the file is the source of truth). */
export async function syncDependencies(tx: Tx, user: SessionUser, serviceId: string, p: Prepared) {
  const spec = p.entity.spec ?? {};
  const refs = [...strings(spec.dependsOn), ...strings(spec.consumesApis).map((r) => (r.includes(":") ? r : `api:${r}`))];
  const warnings: string[] = [];
  const wanted = new Map<string, "runtime" | "data">();
  for (const raw of refs) {
    const ref = parseEntityRef(raw);
    const target = await tx.selectFrom("Service").select(["id", "kind"]).where("slug", "=", slugFromName(ref.name)).executeTakeFirst();
    if (!target || (ref.kind && target.kind.toLowerCase() !== ref.kind)) {
      warnings.push(`Dependency "${raw}" is not in the catalog; ignored`);
      continue;
    }
    if (target.id === serviceId) continue;
    wanted.set(target.id, target.kind === "Resource" ? "data" : "runtime");
  }
  const current = await tx.selectFrom("ServiceDependency").select(["toServiceId", "kind"]).where("fromServiceId", "=", serviceId).execute();
  const toRemove = current.filter((c) => !wanted.has(c.toServiceId));
  const toAdd = [...wanted].filter(([id]) => !current.some((c) => c.toServiceId === id));
  if (!toRemove.length && !toAdd.length) return { warnings, changed: false };
  if (toRemove.length) {
    await tx
      .deleteFrom("ServiceDependency")
      .where("fromServiceId", "=", serviceId)
      .where("toServiceId", "=", anyOf(toRemove.map((r) => r.toServiceId)))
      .execute();
  }
  if (toAdd.length) {
    await tx
      .insertInto("ServiceDependency")
      .values(toAdd.map(([toServiceId, kind]) => ({ fromServiceId: serviceId, toServiceId, kind })))
      .execute();
  }
  const service = await selectServiceSummaries(tx).where("s.id", "=", serviceId).executeTakeFirstOrThrow();
  recordServiceChange(
    tx,
    user,
    service,
    "imported",
    { dependsOn: current.map((c) => c.toServiceId) },
    { dependsOn: [...wanted.keys()] },
    { source: "backstage", dependenciesAdded: toAdd.length, dependenciesRemoved: toRemove.length },
  );
  return { warnings, changed: true };
}
