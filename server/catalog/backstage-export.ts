// Export to Backstage catalog-info.yaml: one service, or the whole catalog with the Groups that own it, so the
// file imports into Backstage (or back into Pier) on its own. Every entity is checked against Backstage's schema.
import YAML from "yaml";
import type { Db } from "../db";
import { notFound } from "../errors";
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

function loadRows(db: Db, slug?: string) {
  return db.service.findMany({ where: slug ? { slug } : undefined, orderBy: [{ kind: "asc" }, { slug: "asc" }], select: exportSelect });
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
  spec.type = s.type;
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
  if (s.tags.length) metadata.tags = s.tags;
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

function toYaml(entities: BackstageEntity[]) {
  for (const e of entities) {
    const problems = entityProblems(e.kind as "Component", e);
    // A failure here is Pier's bug, not the user's: say exactly which entity.
    if (problems.length) throw new Error(`Exported ${e.kind} ${e.metadata.name} is not a valid Backstage entity: ${problems.join("; ")}`);
  }
  return entities.map((e) => `---\n${YAML.stringify(e, { lineWidth: 0 })}`).join("");
}

/** catalog-info.yaml for one service. */
export async function exportServiceYaml(db: Db, slug: string) {
  const rows = await loadRows(db, slug);
  if (!rows.length) throw notFound(`Service "${slug}"`);
  return toYaml(rows.map(serviceToEntity));
}

/** The whole catalog: the owning teams as Groups, then every service. */
export async function exportCatalogYaml(db: Db) {
  const [teams, rows] = await Promise.all([
    db.team.findMany({
      where: { services: { some: {} } },
      orderBy: { slug: "asc" },
      select: { slug: true, name: true, description: true, onCallName: true, onCallUrl: true },
    }),
    loadRows(db),
  ]);
  return toYaml([...teams.map(teamToEntity), ...rows.map(serviceToEntity)]);
}
