// Worker side of the delivery-tool webhooks (GitLab, Argo CD, Terraform, Jenkins, Jira; CDEvents pipeline/task runs
// and migration events): translate a stored event, map the tool's project / Application / workspace / job to a
// catalog service and environment, and apply the facts.
// Mapping (the minimal mechanism, documented in the README): a catalog service whose Backstage annotation
// (gitlab.com/project-slug, argocd/app-name, terraform/workspace, jenkins.io/job-full-name, jira/project-key) equals
// the name the tool sent wins; otherwise the
// canonical store's usual name matching applies (server/dora/catalog-lookup.ts: slug, name, repository URL, on the
// name's last path segment). Unmatched names are kept as sent, so the data-quality page lists them.
import { sql, type Tx } from "../db";
import { TOOL_PROJECT_ANNOTATIONS } from "../catalog/tool-mappings";
import { findEnvironment, findService } from "../dora/catalog-lookup";
import { recordEnvironmentChange, recordPipelineRun } from "../dora/delivery-activity";
import { withoutFutureTimes } from "./canonical-facts";
import { argocdEnvironmentCandidates, degradedIncidentPrefix, translateArgocd } from "./argocd-webhooks";
import type { DeliveryFact, ToolFact } from "./delivery-facts";
import { FEATURE_FLAG_SOURCES, isFeatureFlagSource, translateFeatureFlag } from "./feature-flag-webhooks";
import { translateGitlab } from "./gitlab-webhooks";
import { jiraProjectKey, translateJira } from "./jira-webhooks";
import { recordTicketStatus } from "./jira-tickets";
import { isMigrationType, recordMigration, translateMigration } from "./deployment-migrations";
import type { CdEvent } from "./cdevents";
import { isCdeventRunType, translateCdeventRun } from "./jenkins-cdevents";
import { jenkinsJobOf as jenkinsJobName, translateJenkins } from "./jenkins-webhooks";
import { terraformEnvironmentCandidates, translateTerraform } from "./terraform-webhooks";

const DELIVERY_TOOL_SOURCES = ["gitlab", "argocd", "terraform", "jenkins", "jira", ...FEATURE_FLAG_SOURCES] as const;
type ToolSource = (typeof DELIVERY_TOOL_SOURCES)[number];

export const isDeliveryToolSource = (source: string): source is ToolSource => (DELIVERY_TOOL_SOURCES as readonly string[]).includes(source);

const SERVICE_ANNOTATION: Record<ToolSource, string> = TOOL_PROJECT_ANNOTATIONS;

/** The slug of the catalog service annotated `key` with one of `values`, if any. */
async function annotatedService(tx: Tx, key: string, values: string[]): Promise<string | null> {
  if (values.length === 0) return null;
  const row = await tx
    .selectFrom("Service")
    .select("slug")
    .where(sql<string>`annotations->>${key}`, "in", values)
    .orderBy("slug")
    .limit(1)
    .executeTakeFirst();
  return row?.slug ?? null;
}

/** The first candidate that names a catalog environment, else `fallback` (kept as sent for the data-quality page). */
async function chooseEnvironment(tx: Tx, candidates: string[], fallback = candidates[0] ?? ""): Promise<string> {
  for (const c of candidates) if (await findEnvironment(tx, c)) return c;
  return fallback;
}

function serviceNameOf(f: ToolFact): string {
  switch (f.kind) {
    case "deployment":
      return f.deployment.serviceName;
    case "change":
      return f.change.serviceName;
    case "pipelineRun":
      return f.run.serviceName;
    case "environmentChange":
      return f.change.serviceName;
    case "incident":
      return f.incident.serviceName ?? "";
    default:
      return "";
  }
}

function withNames(f: ToolFact, service: string | null, environment: string | null): ToolFact {
  const s = <T extends { serviceName: string }>(x: T): T => (service ? { ...x, serviceName: service } : x);
  const e = <T extends { environmentName: string }>(x: T): T => (environment !== null ? { ...x, environmentName: environment } : x);
  switch (f.kind) {
    case "deployment":
      return { ...f, deployment: e(s(f.deployment)) };
    case "change":
      return { ...f, change: s(f.change) };
    case "pipelineRun":
      return { ...f, run: s(f.run) };
    case "environmentChange":
      return { ...f, change: e(s(f.change)) };
    case "incident":
      return {
        ...f,
        incident: {
          ...f.incident,
          ...(service ? { serviceName: service } : {}),
          ...(environment !== null && f.incident.environmentName ? { environmentName: environment } : {}),
        },
      };
    default:
      return f;
  }
}

/** Times far after receipt are the sender's error (see canonical-facts.ts): the rows take the receipt time. */
function capped(f: ToolFact, receivedAt: Date): ToolFact {
  const limit = receivedAt.getTime() + 10 * 60_000;
  const cap = (d: Date | null): Date | null => (d && d.getTime() > limit ? new Date(receivedAt) : d);
  if (f.kind === "pipelineRun")
    return { ...f, run: { ...f.run, startedAt: cap(f.run.startedAt), finishedAt: cap(f.run.finishedAt), updatedAt: cap(f.run.updatedAt)! } };
  if (f.kind === "environmentChange") return { ...f, change: { ...f.change, occurredAt: cap(f.change.occurredAt)! } };
  if (f.kind === "ticketStatus") return { ...f, ticket: { ...f.ticket, updatedAt: cap(f.ticket.updatedAt)! } };
  if (f.kind === "migration") return { ...f, migration: { ...f.migration, occurredAt: cap(f.migration.occurredAt)! } };
  return withoutFutureTimes(f, receivedAt);
}

/** Translates one stored delivery-tool event into facts with catalog names and sane times. */
export async function translateDeliveryToolEvent(tx: Tx, row: { source: ToolSource; payload: unknown; receivedAt: Date }): Promise<ToolFact[]> {
  const payload = row.payload as Record<string, unknown>;
  const facts = isFeatureFlagSource(row.source)
    ? translateFeatureFlag(row.source, payload)
    : row.source === "gitlab"
      ? translateGitlab(payload, row.receivedAt)
      : row.source === "argocd"
        ? translateArgocd(payload, row.receivedAt)
        : row.source === "jenkins"
          ? translateJenkins(payload, row.receivedAt)
          : row.source === "jira"
            ? translateJira(payload, row.receivedAt)
            : translateTerraform(payload, row.receivedAt);
  const environment =
    row.source === "argocd"
      ? await chooseEnvironment(tx, argocdEnvironmentCandidates(payload))
      : row.source === "terraform"
        ? await chooseEnvironment(tx, terraformEnvironmentCandidates(payload), terraformEnvironmentCandidates(payload).at(-1))
        : null;
  const out: ToolFact[] = [];
  const mapped = new Map<string, string | null>();
  for (const fact of facts) {
    const sent = serviceNameOf(fact);
    if (sent && !mapped.has(sent)) {
      // Terraform's "<organization>/<workspace>" may be annotated with or without the organization.
      const values = row.source === "terraform" ? [sent, sent.split("/").pop() ?? sent] : row.source === "jira" ? [jiraProjectKey(payload), sent] : [sent];
      mapped.set(sent, await annotatedService(tx, SERVICE_ANNOTATION[row.source], values));
    }
    out.push(capped(withNames(fact, mapped.get(sent) ?? null, environment), row.receivedAt));
  }
  if (row.source === "argocd") return [...out, ...(await argocdRecoveries(tx, payload))];
  if (row.source === "terraform") return [...out, ...(await terraformDeployments(tx, out))];
  if (row.source === "jenkins") return [...out, ...(await jenkinsDeployments(tx, out, payload))];
  return out;
}

/** CDEvents that are delivery activity rather than DORA facts: pipeline/task runs and Pier's migration events. */
export const isCdeventDeliveryType = (type: string) => isCdeventRunType(type) || isMigrationType(type);

/**
 * A CDEvents pipelinerun/taskrun (any release; the Jenkins CDEvents plugin's) → a pipeline run on its service; a
 * dev.cdeventsx.pier-migration event → the migration its deployment ran.
 */
export async function translateCdeventRunEvent(tx: Tx, row: { type: string; payload: unknown; receivedAt: Date }): Promise<ToolFact[]> {
  if (isMigrationType(row.type)) return [capped({ kind: "migration", migration: translateMigration(row.payload as CdEvent) }, row.receivedAt)];
  const fact = translateCdeventRun(row.payload as CdEvent);
  if (fact.kind !== "pipelineRun") return [fact];
  const annotated = await annotatedService(tx, SERVICE_ANNOTATION.jenkins, [fact.run.serviceName].filter(Boolean));
  return [capped(withNames(fact, annotated, null), row.receivedAt)];
}

/**
 * on-deployed fires once an Application is synced and Healthy: it restores the Application's open health-degraded
 * incidents (see ./argocd-webhooks.ts), so DORA's time to restore runs from Degraded to Healthy.
 */
async function argocdRecoveries(tx: Tx, payload: Record<string, unknown>): Promise<ToolFact[]> {
  if (payload.event !== "on-deployed") return [];
  const healthyAt = new Date(String(payload.finishedAt ?? payload.at ?? ""));
  if (Number.isNaN(healthyAt.getTime())) return [];
  const open = await tx
    .selectFrom("Incident")
    .select(["externalId", "title", "detectedAt"])
    .where("source", "=", "argocd")
    .where("externalId", "like", `${degradedIncidentPrefix(payload).replace(/[\\%_]/g, "\\$&")}%:degraded`)
    .where("resolvedAt", "is", null)
    .where("detectedAt", "<=", healthyAt)
    .execute();
  return open.map((i) => ({ kind: "incident" as const, incident: { source: "argocd", externalId: i.externalId, title: i.title, resolvedAt: healthyAt } }));
}

/** "<job full name>=<environment>, …" on a catalog service: those jobs' completed builds deploy it. */
const JENKINS_DEPLOY_JOBS_ANNOTATION = "pier.dev/jenkins-deploy-jobs";

/** The services (and environments) whose pier.dev/jenkins-deploy-jobs list `job`. */
async function jenkinsDeployTargets(tx: Tx, job: string): Promise<Array<{ slug: string; environment: string }>> {
  if (!job) return [];
  const rows = await tx
    .selectFrom("Service")
    .select(["slug", sql<string>`annotations->>${JENKINS_DEPLOY_JOBS_ANNOTATION}`.as("jobs")])
    .where(sql<string>`annotations->>${JENKINS_DEPLOY_JOBS_ANNOTATION}`, "like", `%${job.replace(/[\\%_]/g, "\\$&")}%`)
    .orderBy("slug")
    .execute();
  const out: Array<{ slug: string; environment: string }> = [];
  for (const r of rows)
    for (const entry of (r.jobs ?? "").split(",")) {
      const [name, environment] = entry.split("=").map((s) => s.trim());
      if (name === job && environment) out.push({ slug: r.slug, environment });
    }
  return out;
}

/** A finished build of a deploy job (see above): a deployment per listed service, keyed by the build. */
async function jenkinsDeployments(tx: Tx, facts: ToolFact[], payload: Record<string, unknown>): Promise<ToolFact[]> {
  const build = (payload.build ?? {}) as Record<string, unknown>;
  if (build.phase !== "COMPLETED" && build.phase !== "FINALIZED") return [];
  const out: ToolFact[] = [];
  for (const f of facts) {
    if (f.kind !== "pipelineRun" || (f.run.status !== "succeeded" && f.run.status !== "failed")) continue;
    for (const target of await jenkinsDeployTargets(tx, jenkinsJobName(payload)))
      out.push({
        kind: "deployment",
        deployment: {
          source: "jenkins",
          externalId: `${f.run.externalId}:${target.slug}`,
          serviceName: target.slug,
          environmentName: target.environment,
          version: f.run.sha || String(build.number ?? ""),
          status: f.run.status,
          deployedAt: f.run.finishedAt ?? f.run.updatedAt,
        },
      });
  }
  return out;
}

/** Set to "true" on a catalog service (an infrastructure component) whose Terraform applies count as deployments. */
const TERRAFORM_DEPLOYS_ANNOTATION = "pier.dev/terraform-runs-are-deployments";

/**
 * When the admin says so (the annotation above on the workspace's service), a finished Terraform run is also a
 * deployment of that component: applied → succeeded, errored → failed (a canceled or discarded run deployed nothing).
 * Keyed by the run id, so the run's notifications make one deployment.
 */
async function terraformDeployments(tx: Tx, facts: ToolFact[]): Promise<ToolFact[]> {
  const out: ToolFact[] = [];
  for (const f of facts) {
    if (f.kind !== "environmentChange" || (f.change.status !== "applied" && f.change.status !== "errored")) continue;
    const service = await findService(tx, f.change.serviceName);
    if (!service) continue;
    const flagged = await tx
      .selectFrom("Service")
      .select("id")
      .where("id", "=", service.id)
      .where(sql<string>`annotations->>${TERRAFORM_DEPLOYS_ANNOTATION}`, "=", "true")
      .executeTakeFirst();
    if (!flagged) continue;
    out.push({
      kind: "deployment",
      deployment: {
        source: "terraform",
        externalId: f.change.revision,
        serviceName: service.slug,
        environmentName: f.change.environmentName,
        version: f.change.revision,
        status: f.change.status === "applied" ? "succeeded" : "failed",
        deployedAt: f.change.occurredAt,
      },
    });
  }
  return out;
}

export async function applyDeliveryFact(tx: Tx, fact: DeliveryFact) {
  if (fact.kind === "pipelineRun") await recordPipelineRun(tx, fact.run);
  else if (fact.kind === "ticketStatus") await recordTicketStatus(tx, fact.ticket);
  else if (fact.kind === "migration") await recordMigration(tx, fact.migration);
  else await recordEnvironmentChange(tx, fact.change);
}
