// Which catalog service a delivery tool's project (GitLab project, Argo CD Application, Terraform workspace, Jenkins
// job, Jira project, feature-flag project) belongs to: the service's Backstage annotation for that tool, which
// server/ingest/delivery-tools.ts reads when it files a delivery. Admins set it on Admin → Integrations, so a tool
// whose names differ from the catalog's feeds the right service without re-importing a catalog-info.yaml. Each change
// is audited (before/after) with a catalog.service_changed event. A name maps to one service: a second service
// claiming it is refused naming the service that has it. (A service imported from a registered location gets its
// annotations back from the next refresh of that file: put the annotation there for those.)
import { z } from "zod";
import { sql, transaction, type Db, type Tx } from "../db";
import { badRequest } from "../errors";
import type { SessionUser } from "../identity/roles";
import { recordServiceChange } from "./service-editing";
import { selectServiceSummaries } from "./service-summary";

/** The annotation each tool's project name is matched on. */
export const TOOL_PROJECT_ANNOTATIONS = {
  gitlab: "gitlab.com/project-slug",
  argocd: "argocd/app-name",
  terraform: "terraform/workspace",
  jenkins: "jenkins.io/job-full-name",
  jira: "jira/project-key",
  // A flag's project (the feature-flag tool's own) → the service it belongs to.
  unleash: "unleash/project",
  launchdarkly: "launchdarkly/project-key",
  flagsmith: "flagsmith/project",
} as const;
type ToolSource = keyof typeof TOOL_PROJECT_ANNOTATIONS;
const TOOL_SOURCES = Object.keys(TOOL_PROJECT_ANNOTATIONS) as [ToolSource, ...ToolSource[]];

export const toolMappingInput = z.object({
  source: z.enum(TOOL_SOURCES, { error: "source: not a delivery tool Pier maps" }),
  name: z.string().trim().min(1, "Name the tool's project").max(200, "At most 200 characters"),
  slug: z.string().trim().min(1, "Choose a service").max(100),
});
export const toolUnmappingInput = toolMappingInput.pick({ source: true, slug: true });

async function lockedService(tx: Tx, slug: string) {
  const service = await selectServiceSummaries(tx).select("s.annotations").where("s.slug", "=", slug).forUpdate("s").executeTakeFirst();
  if (!service) throw badRequest(`There is no service "${slug}"`, "slug");
  return service;
}

/** Maps the tool's project `name` to the service `slug` (replacing that service's previous name for the tool). */
export async function mapToolProject(db: Db, user: SessionUser, raw: z.input<typeof toolMappingInput>) {
  const { source, name, slug } = toolMappingInput.parse(raw);
  const key = TOOL_PROJECT_ANNOTATIONS[source];
  return transaction(db, async (tx) => {
    const service = await lockedService(tx, slug);
    const taken = await tx
      .selectFrom("Service")
      .select("slug")
      .where("id", "<>", service.id)
      .where(sql<string>`annotations->>${key}`, "=", name)
      .executeTakeFirst();
    if (taken) throw badRequest(`"${name}" is already mapped to ${taken.slug}: remove that mapping first`, "name");
    const { annotations, ...summary } = service;
    const before = ((annotations ?? {}) as Record<string, string>)[key] ?? null;
    await tx
      .updateTable("Service")
      .set({ annotations: sql`annotations || jsonb_build_object(${key}::text, ${name}::text)`, updatedAt: new Date() })
      .where("id", "=", service.id)
      .execute();
    recordServiceChange(tx, user, summary, "updated", { [key]: before }, { [key]: name }, { fields: ["annotations"] });
    return { source, name, slug, serviceName: service.name };
  });
}

/** Removes the service's name for the tool (its deliveries then match by name again). */
export async function unmapToolProject(db: Db, user: SessionUser, raw: z.input<typeof toolUnmappingInput>) {
  const { source, slug } = toolUnmappingInput.parse(raw);
  const key = TOOL_PROJECT_ANNOTATIONS[source];
  return transaction(db, async (tx) => {
    const { annotations, ...summary } = await lockedService(tx, slug);
    const before = ((annotations ?? {}) as Record<string, string>)[key];
    if (before === undefined) return { removed: false };
    await tx
      .updateTable("Service")
      .set({ annotations: sql`annotations - ${key}::text`, updatedAt: new Date() })
      .where("id", "=", summary.id)
      .execute();
    recordServiceChange(tx, user, summary, "updated", { [key]: before }, { [key]: null }, { fields: ["annotations"] });
    return { removed: true };
  });
}

/** Every mapping, by tool then name. */
export async function listToolMappings(db: Db) {
  const keys = Object.values(TOOL_PROJECT_ANNOTATIONS);
  const rows = await db.reader
    .selectFrom("Service as s")
    .innerJoin("Team as t", "t.id", "s.teamId")
    .select(["s.slug", "s.name", "s.annotations", "t.name as teamName"])
    .where(sql<boolean>`s.annotations ?| ${keys}::text[]`)
    .execute();
  return rows
    .flatMap((r) =>
      TOOL_SOURCES.flatMap((source) => {
        const name = ((r.annotations ?? {}) as Record<string, unknown>)[TOOL_PROJECT_ANNOTATIONS[source]];
        return typeof name === "string" ? [{ source, name, slug: r.slug, serviceName: r.name, teamName: r.teamName }] : [];
      }),
    )
    .sort((a, b) => TOOL_SOURCES.indexOf(a.source) - TOOL_SOURCES.indexOf(b.source) || a.name.localeCompare(b.name));
}
