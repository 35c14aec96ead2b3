// Export to Backstage catalog-info.yaml: one service, or the whole catalog. Imported entities go out exactly as
// they came in (relations, labels, links, Groups, Users, Domains, Locations…); services and teams made in Pier are
// written as Components and the Groups owning them. Every entity is checked against Backstage's schema AND its
// field-format rules, so Pier never exports what Backstage refuses.
import YAML from "yaml";
import type { Db } from "../db";
import { notFound } from "../errors";
import { fieldFormatProblems, isValidTag } from "./backstage-format";
import { entityProblems, isSupportedKind } from "./backstage-schema";
import { ANNOTATION, type BackstageEntity } from "./backstage-mapping";

const exportSelect = {
  slug: true,
  name: true,
  description: true,
  kind: true,
  type: true,
  lifecycle: true,
  tier: true,
  language: true,
  repositoryUrl: true,
  runbookUrl: true,
  links: true,
  tags: true,
  system: true,
  annotations: true,
  backstageSpec: true,
  team: { select: { slug: true } },
  dependsOn: { orderBy: { toService: { slug: "asc" } }, select: { toService: { select: { slug: true, kind: true } } } },
} as const;

type ExportRow = Awaited<ReturnType<typeof loadRows>>[number];

/** Services made in Pier (no imported entity stands for them). */
async function loadRows(db: Db, slug?: string) {
  const linked = (await db.kysely.selectFrom("CatalogEntity").select("serviceId").where("serviceId", "is not", null).execute()).map((r) => r.serviceId!);
  return db.service.findMany({
    where: { ...(slug ? { slug } : {}), id: { notIn: linked } },
    orderBy: [{ kind: "asc" }, { slug: "asc" }],
    select: exportSelect,
  });
}

function serviceToEntity(s: ExportRow): BackstageEntity {
  const annotations: Record<string, string> = { ...((s.annotations ?? {}) as Record<string, string>) };
  annotations[ANNOTATION.tier] = String(s.tier);
  if (s.language) annotations[ANNOTATION.language] = s.language;
  if (s.repositoryUrl) annotations[ANNOTATION.sourceLocation] = `url:${s.repositoryUrl}`;
  const links: { url: string; title?: string; type?: string }[] = ((s.links ?? []) as { title: string; url: string }[]).map((l) => ({
    url: l.url,
    title: l.title,
  }));
  if (s.runbookUrl) links.push({ url: s.runbookUrl, title: "Runbook", type: "runbook" });

  const kind = isSupportedKind(s.kind) && s.kind !== "Group" ? s.kind : "Component";
  const spec: Record<string, unknown> = { ...((s.backstageSpec ?? {}) as Record<string, unknown>) };
  // A System has no type unless one was given (Pier's default "system" is not one).
  if (!(kind === "System" && s.type === "system")) spec.type = s.type;
  spec.owner = `group:${s.team.slug}`;
  if (kind === "Component" || kind === "API") spec.lifecycle = s.lifecycle;
  if (s.system && kind !== "System") spec.system = s.system;
  if (kind === "Component" || kind === "Resource") {
    const apis = s.dependsOn.filter((d) => d.toService.kind === "API").map((d) => `api:${d.toService.slug}`);
    const others = s.dependsOn.filter((d) => d.toService.kind !== "API").map((d) => `${d.toService.kind.toLowerCase()}:${d.toService.slug}`);
    if (others.length) spec.dependsOn = others;
    if (apis.length && kind === "Component") spec.consumesApis = apis;
    else if (apis.length) spec.dependsOn = [...others, ...apis];
  }
  // An API needs a definition to be valid; Pier-made APIs have none, so point at the repository instead.
  if (kind === "API" && typeof spec.definition !== "string") spec.definition = s.repositoryUrl ?? "(no definition recorded)";

  const metadata: BackstageEntity["metadata"] = { name: s.slug };
  if (s.name !== s.slug) metadata.title = s.name;
  if (s.description) metadata.description = s.description;
  // Tags saved before Pier used Backstage's tag rule (e.g. "node.js") go out in a form Backstage accepts.
  if (s.tags.length)
    metadata.tags = [
      ...new Set(
        s.tags
          .map((t) =>
            isValidTag(t)
              ? t
              : t
                  .toLowerCase()
                  .replace(/[^a-z0-9:+#]+/g, "-")
                  .replace(/^-+|-+$/g, ""),
          )
          .filter(isValidTag),
      ),
    ];
  if (links.length) metadata.links = links;
  metadata.annotations = annotations;
  return { apiVersion: "backstage.io/v1alpha1", kind, metadata, spec };
}

type TeamRow = { slug: string; name: string; description: string; onCallName: string | null; onCallUrl: string | null };

function teamToEntity(t: TeamRow): BackstageEntity {
  const annotations: Record<string, string> = {};
  if (t.onCallName) annotations[ANNOTATION.onCallName] = t.onCallName;
  if (t.onCallUrl) annotations[ANNOTATION.onCallUrl] = t.onCallUrl;
  const metadata: BackstageEntity["metadata"] = { name: t.slug };
  if (t.description) metadata.description = t.description;
  if (Object.keys(annotations).length) metadata.annotations = annotations;
  return { apiVersion: "backstage.io/v1alpha1", kind: "Group", metadata, spec: { type: "team", profile: { displayName: t.name }, children: [] } };
}

/** Imported entities, as stored (optionally only the one standing for a service). */
async function loadEntities(db: Db, serviceSlug?: string): Promise<BackstageEntity[]> {
  let q = db.kysely.selectFrom("CatalogEntity as e").select("e.entity").orderBy("e.kind").orderBy("e.namespace").orderBy("e.name");
  if (serviceSlug) q = q.innerJoin("Service as s", "s.id", "e.serviceId").where("s.slug", "=", serviceSlug);
  return (await q.execute()).map((r) => readable(r.entity as BackstageEntity));
}

const METADATA_ORDER = ["name", "namespace", "title", "description", "labels", "annotations", "tags", "links"];

/** Keys in the order catalog files use (jsonb hands them back in its own order). */
function readable(e: BackstageEntity): BackstageEntity {
  const { apiVersion, kind, metadata, spec, ...rest } = e;
  const ordered = Object.fromEntries([
    ...METADATA_ORDER.filter((k) => k in metadata).map((k) => [k, metadata[k]]),
    ...Object.entries(metadata).filter(([k]) => !METADATA_ORDER.includes(k)),
  ]) as BackstageEntity["metadata"];
  return { apiVersion, kind, metadata: ordered, ...(spec ? { spec } : {}), ...rest };
}

/** Backstage's own checks (schema + field formats): the problems, or none. */
export function backstageProblems(e: BackstageEntity): string[] {
  if (!isSupportedKind(e.kind)) return [`kind ${e.kind} is not a Backstage kind`];
  return [...entityProblems(e.kind, e), ...fieldFormatProblems(e)];
}

function toYaml(entities: BackstageEntity[]) {
  for (const e of entities) {
    const problems = backstageProblems(e);
    // A failure here is Pier's bug, not the user's: say exactly which entity.
    if (problems.length) throw new Error(`Exported ${e.kind} ${e.metadata.name} is not a valid Backstage entity: ${problems.join("; ")}`);
  }
  return entities.map((e) => `---\n${YAML.stringify(e, { lineWidth: 0 })}`).join("");
}

/** catalog-info.yaml for one service. */
export async function exportServiceYaml(db: Db, slug: string) {
  const [entities, rows] = await Promise.all([loadEntities(db, slug), loadRows(db, slug)]);
  if (!entities.length && !rows.length) throw notFound(`Service "${slug}"`);
  return toYaml([...entities, ...rows.map(serviceToEntity)]);
}

/** The whole catalog: every imported entity, then Pier's own teams (as Groups) and services. */
export async function exportCatalogYaml(db: Db) {
  const linkedTeams = (await db.kysely.selectFrom("CatalogEntity").select("teamId").where("teamId", "is not", null).execute()).map((r) => r.teamId!);
  const [entities, teams, rows] = await Promise.all([
    loadEntities(db),
    db.team.findMany({
      where: { services: { some: {} }, id: { notIn: linkedTeams } },
      orderBy: { slug: "asc" },
      select: { slug: true, name: true, description: true, onCallName: true, onCallUrl: true },
    }),
    loadRows(db),
  ]);
  return toYaml([...entities, ...teams.map(teamToEntity), ...rows.map(serviceToEntity)]);
}
