// The canonical DORA store: deployments, changes and incidents, whoever reported them (Pier itself, CDEvents,
// GitHub, PagerDuty). Every writer goes through these functions so the links DORA reads are made one way:
//   change → deployment: the first successful deployment of the change's service in each environment whose content
//     contains it (./linkage.ts: listed by the deployment, merged before its revision, else merge order);
//     out-of-order arrivals re-link to the earlier deployment.
//   incident → deployment: ./incident-links.ts (evidence first, then the same-service window heuristic).
import { anyOf, newId, sql, type DB, type Selectable, type Tx } from "../db";
import { findEnvironment, findService, findServiceByIncidentAlias, normaliseEnvironmentName, normaliseServiceName } from "./catalog-lookup";
import { attributeIncident, rootCauseFromText } from "./incident-links";
import { linkChange, linkDeployment, resolveRevision, revisionMergedAt, unlinkDeployment } from "./linkage";
import { updateLiveVersion } from "./live-version";
import { refreshAfterDeployment, refreshAfterIncidentFlags, refreshRework } from "./deployment-facts";

export type DeploymentRow = Selectable<DB["Deployment"]>;

/** Serialises writers per service (by name) so change/deployment linking never interleaves for one service. */
export async function lockServiceHistory(tx: Tx, serviceName: string) {
  const key = "dora:" + normaliseServiceName(serviceName);
  await tx.selectNoFrom((eb) => [eb.fn("pg_advisory_xact_lock", [eb.fn("hashtext", [eb.val(key)])]).as("locked")]).execute();
}

export type DeploymentInput = {
  source: string;
  externalId?: string | null;
  deploymentRequestId?: string | null;
  serviceName: string;
  serviceId?: string | null;
  environmentName: string;
  environmentId?: string | null;
  version?: string;
  status: "succeeded" | "failed" | "rolled_back";
  isRollback?: boolean;
  deployedAt: Date;
  rolledBackAt?: Date | null;
  /** The commit the deployed revision points at (defaults to version when that looks like a commit sha). */
  revision?: string | null;
  /** Commits or change ids the source says this deployment carries. */
  shippedRefs?: string[];
};

const looksLikeSha = (v: string) => /^[0-9a-f]{7,40}$/i.test(v);

async function resolveRefs(tx: Tx, serviceName: string, serviceId: string | null | undefined, envName: string, envId?: string | null) {
  const service = serviceId ? { id: serviceId } : await findService(tx, serviceName);
  const environment = envId
    ? ((await tx.selectFrom("Environment").select(["id", "name", "isProduction"]).where("id", "=", envId).executeTakeFirst()) ?? null)
    : await findEnvironment(tx, envName);
  return { serviceId: service?.id ?? null, environment };
}

/** Creates or updates a deployment (by source+externalId, or by Pier's request id) and links what it shipped. */
export async function recordDeployment(tx: Tx, input: DeploymentInput): Promise<DeploymentRow> {
  const serviceName = normaliseServiceName(input.serviceName);
  const { serviceId, environment } = await resolveRefs(tx, input.serviceName, input.serviceId, input.environmentName, input.environmentId);
  const revision = input.revision ?? (input.version && looksLikeSha(input.version) ? input.version : "");
  const data = {
    serviceId,
    serviceName,
    environmentId: environment?.id ?? null,
    environmentName: environment?.name ?? normaliseEnvironmentName(input.environmentName),
    version: input.version ?? "",
    status: input.status,
    isRollback: input.isRollback ?? false,
    deployedAt: input.deployedAt,
    rolledBackAt: input.rolledBackAt ?? (input.status === "rolled_back" ? input.deployedAt : null),
    source: input.source,
    externalId: input.externalId ?? null,
    deploymentRequestId: input.deploymentRequestId ?? null,
    revision,
    shippedRefs: [...new Set((input.shippedRefs ?? []).filter(Boolean))],
    revisionMergedAt: await revisionMergedAt(tx, serviceName, revision),
  };
  const existing = input.deploymentRequestId
    ? await tx.selectFrom("Deployment").select(["id", "status", "deployedAt"]).where("deploymentRequestId", "=", input.deploymentRequestId).executeTakeFirst()
    : input.externalId
      ? await tx
          .selectFrom("Deployment")
          .select(["id", "status", "deployedAt"])
          .where("source", "=", input.source)
          .where("externalId", "=", input.externalId)
          .executeTakeFirst()
      : undefined;
  let deployment: DeploymentRow;
  if (existing) {
    // A later event about the same deployment: a rollback keeps the original deploy time.
    const update =
      input.status === "rolled_back" && existing.status !== "failed" ? { status: "rolled_back", rolledBackAt: data.rolledBackAt ?? input.deployedAt } : data;
    deployment = await tx.updateTable("Deployment").set(update).where("id", "=", existing.id).returningAll().executeTakeFirstOrThrow();
  } else {
    deployment = await tx
      .insertInto("Deployment")
      .values({ id: newId(), ...data })
      .returningAll()
      .executeTakeFirstOrThrow();
  }
  if (deployment.status === "failed") await unlinkDeployment(tx, deployment.id);
  else if (!deployment.isRollback) await linkDeployment(tx, deployment.id);
  if (deployment.status === "succeeded") await updateLiveVersion(tx, deployment);
  await refreshAfterDeployment(tx, deployment, existing?.deployedAt);
  return deployment;
}

type Rollback = Pick<DeploymentRow, "id" | "deployedAt">;

/**
 * Marks the deployment of Pier's request `deploymentRequestId` rolled back by `rollback`, unless it failed.
 * "absent" when Pier recorded no deployment for that request.
 */
export async function markRolledBack(tx: Tx, target: { deploymentRequestId: string }, rollback: Rollback): Promise<"marked" | "failed" | "absent"> {
  const found = await tx.selectFrom("Deployment").select(["id", "status"]).where("deploymentRequestId", "=", target.deploymentRequestId).executeTakeFirst();
  if (!found) return "absent";
  if (found.status === "failed") return "failed";
  const marked = await tx
    .updateTable("Deployment")
    .set({ status: "rolled_back", rolledBackAt: rollback.deployedAt, rolledBackById: rollback.id })
    .where("id", "=", found.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await refreshAfterDeployment(tx, marked);
  return "marked";
}

/** Marks the latest successful deployment of the service in that environment before `at` as rolled back. */
export async function markPreviousRolledBack(tx: Tx, rollback: Rollback & Pick<DeploymentRow, "serviceName" | "environmentName">, rolledBackVersion?: string) {
  const row = await tx
    .updateTable("Deployment")
    .set({ status: "rolled_back", rolledBackAt: rollback.deployedAt, rolledBackById: rollback.id })
    .where("id", "=", (eb) =>
      eb
        .selectFrom("Deployment")
        .select("id")
        .where("id", "<>", rollback.id)
        .where("serviceName", "=", rollback.serviceName)
        .where("environmentName", "=", rollback.environmentName)
        .where("status", "=", "succeeded")
        .where("isRollback", "=", false)
        .where("deployedAt", "<=", rollback.deployedAt)
        .$if(Boolean(rolledBackVersion), (qb) => qb.where("version", "=", rolledBackVersion ?? ""))
        .orderBy("deployedAt", "desc")
        .limit(1),
    )
    .returningAll()
    .executeTakeFirst();
  if (row) await refreshAfterDeployment(tx, row);
  return row ?? null;
}

export type ChangeInput = {
  source: string;
  externalId: string;
  serviceName: string;
  repository?: string;
  title?: string;
  authoredAt?: Date | null;
  mergedAt?: Date | null;
  /** The commit that put it on the main line (merge commit / pushed commit). */
  commitSha?: string | null;
  /** Its first commit's time, when the source said: the lead-time start. */
  firstCommitAt?: Date | null;
};

/** Creates or updates a change; a merged change is linked to the deployments that already shipped it. */
export async function recordChange(tx: Tx, input: ChangeInput) {
  const serviceName = normaliseServiceName(input.serviceName);
  const service = await findService(tx, serviceName);
  const existing = await tx
    .selectFrom("Change")
    .select(["authoredAt", "mergedAt", "firstCommitAt", "commitSha"])
    .where("source", "=", input.source)
    .where("externalId", "=", input.externalId)
    .executeTakeFirst();
  const authoredAt = earliest(existing?.authoredAt, input.authoredAt ?? input.mergedAt ?? undefined) ?? new Date();
  const mergedAt = input.mergedAt ?? existing?.mergedAt ?? null;
  const firstCommitAt = earliest(existing?.firstCommitAt, input.firstCommitAt) ?? null;
  const commitSha = input.commitSha || existing?.commitSha || "";
  const change = await tx
    .insertInto("Change")
    .values({
      id: newId(),
      source: input.source,
      externalId: input.externalId,
      serviceId: service?.id ?? null,
      serviceName,
      repository: input.repository ?? "",
      title: input.title ?? "",
      authoredAt,
      mergedAt,
      firstCommitAt,
      commitSha,
    })
    .onConflict((oc) =>
      oc.columns(["source", "externalId"]).doUpdateSet({
        authoredAt,
        mergedAt,
        firstCommitAt,
        commitSha,
        ...(input.title ? { title: input.title } : {}),
        ...(input.repository ? { repository: input.repository } : {}),
      }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
  if (mergedAt) {
    await resolveRevision(tx, change);
    await linkChange(tx, change.id);
  }
  return change;
}

const earliest = (a?: Date | null, b?: Date | null) => (a && b ? (a < b ? a : b) : (a ?? b ?? undefined));
const latest = (a?: Date | null, b?: Date | null) => (a && b ? (a > b ? a : b) : (a ?? b ?? undefined));

export type IncidentInput = {
  source: string;
  externalId?: string | null;
  serviceName?: string;
  environmentName?: string | null;
  title: string;
  severity?: string;
  detectedAt?: Date;
  resolvedAt?: Date | null;
  /** The source reopened it at this time (PagerDuty incident.reopened). */
  reopenedAt?: Date | null;
  /** The deployed version the source blames, when it says. */
  version?: string | null;
  /** The commit or change id the source names as root cause. */
  rootCauseRef?: string | null;
  /** The incident tool's own id for the service (PagerDuty service id): matched against Service.incidentAliases. */
  serviceRef?: string | null;
  deploymentId?: string | null;
  createdById?: string | null;
};

/**
 * Creates or updates an incident (resolution may arrive before detection) and keeps its deployment link. Events may
 * be processed out of order, so state follows event times, not arrival: the latest reopening and the latest
 * resolution are kept, and the incident is resolved only when its latest resolution comes after its latest reopening.
 */
export async function recordIncident(tx: Tx, input: IncidentInput) {
  const serviceName = input.serviceName ? normaliseServiceName(input.serviceName) : "";
  const service =
    (input.serviceRef ? await findServiceByIncidentAlias(tx, input.serviceRef) : null) ??
    (serviceName ? ((await findServiceByIncidentAlias(tx, serviceName)) ?? (await findService(tx, serviceName))) : null);
  const environment = input.environmentName ? await findEnvironment(tx, input.environmentName) : null;
  const existing = input.externalId
    ? await tx.selectFrom("Incident").selectAll().where("source", "=", input.source).where("externalId", "=", input.externalId).executeTakeFirst()
    : undefined;
  const detectedAt = earliest(existing?.detectedAt, input.detectedAt ?? input.resolvedAt ?? undefined) ?? new Date();
  const reopenedAt = latest(existing?.reopenedAt, input.reopenedAt) ?? null;
  const lastResolution = latest(existing?.resolvedAt, input.resolvedAt);
  const resolvedAt = lastResolution && (!reopenedAt || lastResolution > reopenedAt) ? lastResolution : null;
  const base = {
    serviceId: service?.id ?? existing?.serviceId ?? null,
    // A catalog match by alias files the incident under the catalog's name (the name linkage and metrics use).
    serviceName: (service && "slug" in service ? service.slug : serviceName) || existing?.serviceName || "",
    environmentId: environment?.id ?? existing?.environmentId ?? null,
    title: input.title || existing?.title || "Incident",
    severity: input.severity ?? existing?.severity ?? "high",
    detectedAt,
    resolvedAt,
    reopenedAt,
  };
  const rootCauseRef = input.rootCauseRef ?? rootCauseFromText(input.title) ?? existing?.rootCauseRef ?? "";
  const hasNewEvidence = Boolean(input.deploymentId || input.version || (input.rootCauseRef ?? rootCauseFromText(input.title)));
  // An owner's decision (manual link, confirmation, dispute) stands; new evidence replaces a heuristic; otherwise keep the link.
  // A disputed link stays removed until the source sends evidence.
  const keep =
    existing &&
    (existing.linkReason === "manual" ||
      existing.linkStatus === "confirmed" ||
      ((existing.deploymentId || existing.linkStatus === "disputed") && !hasNewEvidence));
  const { deploymentId, linkReason } = keep
    ? { deploymentId: existing.deploymentId, linkReason: existing.linkReason }
    : await attributeIncident(tx, { serviceName: base.serviceName, environmentId: base.environmentId, detectedAt }, { ...input, rootCauseRef });
  const incident = existing
    ? await tx
        .updateTable("Incident")
        .set({ ...base, deploymentId, linkReason, rootCauseRef })
        .where("id", "=", existing.id)
        .returningAll()
        .executeTakeFirstOrThrow()
    : await tx
        .insertInto("Incident")
        .values({
          id: newId(),
          ...base,
          deploymentId,
          linkReason,
          rootCauseRef,
          source: input.source,
          externalId: input.externalId ?? null,
          createdById: input.createdById ?? null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
  await refreshHasIncident(tx, [deploymentId, existing?.deploymentId]);
  await refreshRework(tx, [incident.serviceId, existing?.serviceId], earliest(existing?.detectedAt, incident.detectedAt) ?? incident.detectedAt);
  return incident;
}

export async function refreshHasIncident(tx: Tx, deploymentIds: (string | null | undefined)[]) {
  const ids = [...new Set(deploymentIds.filter((x): x is string => Boolean(x)))];
  if (ids.length === 0) return;
  await tx
    .updateTable("Deployment as d")
    .set({
      hasIncident: (eb) => eb.exists(eb.selectFrom("Incident as i").select(sql.lit(1).as("one")).whereRef("i.deploymentId", "=", "d.id")).$castTo<boolean>(),
    })
    .where("d.id", "=", anyOf(ids))
    .execute();
  await refreshAfterIncidentFlags(tx, ids);
}
