// The canonical DORA store: deployments, changes and incidents, whoever reported them (Pier itself, CDEvents,
// GitHub, PagerDuty). Every writer goes through these functions so the links DORA reads are made one way:
//   change → deployment: the first successful deployment of the change's service in each environment at or after
//     the merge (DeploymentChange); out-of-order arrivals re-link to the earlier deployment.
//   incident → deployment: the one named by the source, else the same version, else the service's last
//     successful deployment in that environment up to LINK_WINDOW before detection (DevLake's rule, bounded).
import type { Tx } from "../db";
import { findEnvironment, findService, normaliseEnvironmentName, normaliseServiceName } from "./catalog-lookup";

export const INCIDENT_LINK_WINDOW_HOURS = 7 * 24;

/** Serialises writers per service (by name) so change/deployment linking never interleaves for one service. */
export async function lockServiceHistory(tx: Tx, serviceName: string) {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${"dora:" + normaliseServiceName(serviceName)}))`;
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
};

async function resolveRefs(tx: Tx, serviceName: string, serviceId: string | null | undefined, envName: string, envId?: string | null) {
  const service = serviceId ? { id: serviceId } : await findService(tx, serviceName);
  const environment = envId
    ? await tx.environment.findUnique({ where: { id: envId }, select: { id: true, name: true, isProduction: true } })
    : await findEnvironment(tx, envName);
  return { serviceId: service?.id ?? null, environment };
}

/** Creates or updates a deployment (by source+externalId, or by Pier's request id) and links what it shipped. */
export async function recordDeployment(tx: Tx, input: DeploymentInput) {
  const serviceName = normaliseServiceName(input.serviceName);
  const { serviceId, environment } = await resolveRefs(tx, input.serviceName, input.serviceId, input.environmentName, input.environmentId);
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
  };
  const existing = input.deploymentRequestId
    ? await tx.deployment.findUnique({ where: { deploymentRequestId: input.deploymentRequestId } })
    : input.externalId
      ? await tx.deployment.findUnique({ where: { source_externalId: { source: input.source, externalId: input.externalId } } })
      : null;
  let deployment;
  if (existing) {
    // A later event about the same deployment: a rollback keeps the original deploy time.
    const update = input.status === "rolled_back" && existing.status !== "failed"
      ? { status: "rolled_back", rolledBackAt: data.rolledBackAt ?? input.deployedAt }
      : data;
    deployment = await tx.deployment.update({ where: { id: existing.id }, data: update });
  } else {
    deployment = await tx.deployment.create({ data });
  }
  if (deployment.status !== "failed" && !deployment.isRollback) await linkChangesToDeployment(tx, deployment.id);
  return deployment;
}

/** Marks the latest successful deployment of the service in that environment before `at` as rolled back. */
export async function markPreviousRolledBack(tx: Tx, rollback: { id: string; serviceName: string; environmentName: string; deployedAt: Date }, rolledBackVersion?: string) {
  const target = await tx.deployment.findFirst({
    where: {
      id: { not: rollback.id },
      serviceName: rollback.serviceName,
      environmentName: rollback.environmentName,
      status: "succeeded",
      isRollback: false,
      deployedAt: { lte: rollback.deployedAt },
      ...(rolledBackVersion ? { version: rolledBackVersion } : {}),
    },
    orderBy: { deployedAt: "desc" },
  });
  if (!target) return null;
  return tx.deployment.update({
    where: { id: target.id },
    data: { status: "rolled_back", rolledBackAt: rollback.deployedAt, rolledBackById: rollback.id },
  });
}

/**
 * Links to deployment `id` every merged change of its service merged after the previous successful deployment
 * there and at or before this one; a change already linked to a *later* deployment in this environment moves here.
 * (Changes merged before the previous deployment were shipped by it; late-arriving changes link themselves.)
 */
export async function linkChangesToDeployment(tx: Tx, deploymentId: string) {
  await tx.$executeRaw`
    WITH d AS (
      SELECT id, "serviceId", "serviceName", "environmentId", "environmentName", "deployedAt" FROM "Deployment" WHERE id = ${deploymentId}
    ), prev AS (
      SELECT max(p."deployedAt") AS at FROM "Deployment" p, d
      WHERE p."serviceName" = d."serviceName" AND p."environmentName" = d."environmentName" AND p.id <> d.id
        AND p.status <> 'failed' AND NOT p."isRollback" AND p."deployedAt" < d."deployedAt"
    )
    INSERT INTO "DeploymentChange" ("deploymentId", "changeId", "serviceId", "environmentId", "environmentName", "deployedAt", "leadTimeSeconds")
    SELECT d.id, c.id, d."serviceId", d."environmentId", d."environmentName", d."deployedAt",
           GREATEST(0, EXTRACT(EPOCH FROM d."deployedAt" - c."authoredAt"))
    FROM d, prev, "Change" c
    WHERE c."serviceName" = d."serviceName"
      AND c."mergedAt" <= d."deployedAt"
      AND (prev.at IS NULL OR c."mergedAt" > prev.at)
    ON CONFLICT ("changeId", "environmentName") DO UPDATE
      SET "deploymentId" = excluded."deploymentId", "deployedAt" = excluded."deployedAt",
          "leadTimeSeconds" = excluded."leadTimeSeconds", "serviceId" = excluded."serviceId", "environmentId" = excluded."environmentId"
      WHERE "DeploymentChange"."deployedAt" > excluded."deployedAt"`;
  await syncChangeDeploymentIds(tx, { deploymentId });
}

/** Change.deploymentId names the deployment that took it to production (or, before that, its first deployment). */
async function syncChangeDeploymentIds(tx: Tx, where: { deploymentId?: string; changeId?: string }) {
  await tx.$executeRaw`
    UPDATE "Change" c SET "deploymentId" = pick.id
    FROM (
      SELECT DISTINCT ON (dc."changeId") dc."changeId", dc."deploymentId" AS id
      FROM "DeploymentChange" dc LEFT JOIN "Environment" e ON e.id = dc."environmentId"
      WHERE dc."changeId" IN (
        SELECT "changeId" FROM "DeploymentChange"
        WHERE (${where.deploymentId ?? null}::text IS NULL OR "deploymentId" = ${where.deploymentId ?? null})
          AND (${where.changeId ?? null}::text IS NULL OR "changeId" = ${where.changeId ?? null}))
      ORDER BY dc."changeId", COALESCE(e."isProduction", false) DESC, dc."deployedAt"
    ) pick
    WHERE c.id = pick."changeId" AND c."deploymentId" IS DISTINCT FROM pick.id`;
}

export type ChangeInput = {
  source: string;
  externalId: string;
  serviceName: string;
  repository?: string;
  title?: string;
  authoredAt?: Date | null;
  mergedAt?: Date | null;
};

/** Creates or updates a change; a merged change is linked to the deployments that already shipped it. */
export async function recordChange(tx: Tx, input: ChangeInput) {
  const serviceName = normaliseServiceName(input.serviceName);
  const service = await findService(tx, serviceName);
  const existing = await tx.change.findUnique({ where: { source_externalId: { source: input.source, externalId: input.externalId } } });
  const authoredAt = earliest(existing?.authoredAt, input.authoredAt ?? input.mergedAt ?? undefined) ?? new Date();
  const mergedAt = input.mergedAt ?? existing?.mergedAt ?? null;
  const change = await tx.change.upsert({
    where: { source_externalId: { source: input.source, externalId: input.externalId } },
    create: {
      source: input.source,
      externalId: input.externalId,
      serviceId: service?.id ?? null,
      serviceName,
      repository: input.repository ?? "",
      title: input.title ?? "",
      authoredAt,
      mergedAt,
    },
    update: { authoredAt, mergedAt, ...(input.title ? { title: input.title } : {}), ...(input.repository ? { repository: input.repository } : {}) },
  });
  if (mergedAt) await linkChangeToDeployments(tx, change.id);
  return change;
}

/** For a change that arrived after its deployment: the first successful deployment per environment after merge. */
async function linkChangeToDeployments(tx: Tx, changeId: string) {
  await tx.$executeRaw`
    INSERT INTO "DeploymentChange" ("deploymentId", "changeId", "serviceId", "environmentId", "environmentName", "deployedAt", "leadTimeSeconds")
    SELECT DISTINCT ON (d."environmentName") d.id, c.id, d."serviceId", d."environmentId", d."environmentName", d."deployedAt",
           GREATEST(0, EXTRACT(EPOCH FROM d."deployedAt" - c."authoredAt"))
    FROM "Change" c JOIN "Deployment" d ON d."serviceName" = c."serviceName"
    WHERE c.id = ${changeId} AND d.status <> 'failed' AND NOT d."isRollback"
      AND c."mergedAt" IS NOT NULL AND d."deployedAt" >= c."mergedAt"
    ORDER BY d."environmentName", d."deployedAt"
    ON CONFLICT ("changeId", "environmentName") DO UPDATE
      SET "deploymentId" = excluded."deploymentId", "deployedAt" = excluded."deployedAt", "leadTimeSeconds" = excluded."leadTimeSeconds"`;
  await syncChangeDeploymentIds(tx, { changeId });
}

const earliest = (a?: Date | null, b?: Date | null) => (a && b ? (a < b ? a : b) : (a ?? b ?? undefined));

export type IncidentInput = {
  source: string;
  externalId?: string | null;
  serviceName?: string;
  environmentName?: string | null;
  title: string;
  severity?: string;
  detectedAt?: Date;
  resolvedAt?: Date | null;
  /** The deployed version the source blames, when it says. */
  version?: string | null;
  deploymentId?: string | null;
  createdById?: string | null;
};

/** Creates or updates an incident (resolution may arrive before detection) and keeps its deployment link. */
export async function recordIncident(tx: Tx, input: IncidentInput) {
  const serviceName = input.serviceName ? normaliseServiceName(input.serviceName) : "";
  const service = serviceName ? await findService(tx, serviceName) : null;
  const environment = input.environmentName ? await findEnvironment(tx, input.environmentName) : null;
  const existing = input.externalId
    ? await tx.incident.findUnique({ where: { source_externalId: { source: input.source, externalId: input.externalId } } })
    : null;
  const detectedAt = earliest(existing?.detectedAt, input.detectedAt ?? input.resolvedAt ?? undefined) ?? new Date();
  const resolvedAt = input.resolvedAt ?? existing?.resolvedAt ?? null;
  const base = {
    serviceId: service?.id ?? existing?.serviceId ?? null,
    serviceName: serviceName || existing?.serviceName || "",
    environmentId: environment?.id ?? existing?.environmentId ?? null,
    title: input.title || existing?.title || "Incident",
    severity: input.severity ?? existing?.severity ?? "high",
    detectedAt,
    resolvedAt,
  };
  const deploymentId =
    input.deploymentId ?? existing?.deploymentId ?? (await findBlamedDeployment(tx, base.serviceName, base.environmentId, detectedAt, input.version));
  const incident = existing
    ? await tx.incident.update({ where: { id: existing.id }, data: { ...base, deploymentId } })
    : await tx.incident.create({
        data: { ...base, deploymentId, source: input.source, externalId: input.externalId ?? null, createdById: input.createdById ?? null },
      });
  await refreshHasIncident(tx, [deploymentId, existing?.deploymentId]);
  return incident;
}

async function findBlamedDeployment(tx: Tx, serviceName: string, environmentId: string | null, detectedAt: Date, version?: string | null) {
  if (!serviceName) return null;
  // No environment named: incidents are about production unless they say otherwise.
  const env = environmentId
    ? { environmentId }
    : { environment: { isProduction: true } };
  const since = new Date(detectedAt.getTime() - INCIDENT_LINK_WINDOW_HOURS * 3600_000);
  const found = await tx.deployment.findFirst({
    where: {
      serviceName,
      ...env,
      status: { not: "failed" },
      isRollback: false,
      deployedAt: { lte: detectedAt, gte: since },
      ...(version ? { version } : {}),
    },
    orderBy: { deployedAt: "desc" },
    select: { id: true },
  });
  return found?.id ?? null;
}

export async function refreshHasIncident(tx: Tx, deploymentIds: (string | null | undefined)[]) {
  const ids = [...new Set(deploymentIds.filter((x): x is string => Boolean(x)))];
  if (ids.length === 0) return;
  await tx.$executeRaw`
    UPDATE "Deployment" d SET "hasIncident" = EXISTS (SELECT 1 FROM "Incident" i WHERE i."deploymentId" = d.id)
    WHERE d.id = ANY(${ids})`;
}
