// The canonical DORA store: deployments, changes and incidents, whoever reported them (Pier itself, CDEvents,
// GitHub, PagerDuty). Every writer goes through these functions so the links DORA reads are made one way:
//   change → deployment: the first successful deployment of the change's service in each environment at or after
//     the merge (DeploymentChange); out-of-order arrivals re-link to the earlier deployment.
//   incident → deployment: the one named by the source, else the same version, else the service's last
//     successful deployment in that environment up to LINK_WINDOW before detection (DevLake's rule, bounded).
import { anyOf, newId, sql, type DB, type Selectable, type Tx } from "../db";
import { findEnvironment, findService, normaliseEnvironmentName, normaliseServiceName } from "./catalog-lookup";

const INCIDENT_LINK_WINDOW_HOURS = 7 * 24;

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
};

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
    ? await tx.selectFrom("Deployment").select(["id", "status"]).where("deploymentRequestId", "=", input.deploymentRequestId).executeTakeFirst()
    : input.externalId
      ? await tx
          .selectFrom("Deployment")
          .select(["id", "status"])
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
  if (deployment.status !== "failed" && !deployment.isRollback) await linkChangesToDeployment(tx, deployment.id);
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
  await tx
    .updateTable("Deployment")
    .set({ status: "rolled_back", rolledBackAt: rollback.deployedAt, rolledBackById: rollback.id })
    .where("id", "=", found.id)
    .execute();
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
  return row ?? null;
}

/** Lead time of a change shipped by a deployment: deployment − commit time, never negative. */
const leadTimeSeconds = sql<number>`GREATEST(0, EXTRACT(EPOCH FROM d."deployedAt" - c."authoredAt"))`;

const LINK_COLUMNS = ["deploymentId", "changeId", "serviceId", "environmentId", "environmentName", "deployedAt", "leadTimeSeconds"] as const;

/**
 * Links to deployment `id` every merged change of its service merged after the previous successful deployment
 * there and at or before this one; a change already linked to a *later* deployment in this environment moves here.
 * (Changes merged before the previous deployment were shipped by it; late-arriving changes link themselves.)
 */
async function linkChangesToDeployment(tx: Tx, deploymentId: string) {
  await tx
    .with("d", (db) =>
      db.selectFrom("Deployment").select(["id", "serviceId", "serviceName", "environmentId", "environmentName", "deployedAt"]).where("id", "=", deploymentId),
    )
    .with("prev", (db) =>
      db
        .selectFrom(["Deployment as p", "d"])
        .select((eb) => eb.fn.max("p.deployedAt").as("at"))
        .whereRef("p.serviceName", "=", "d.serviceName")
        .whereRef("p.environmentName", "=", "d.environmentName")
        .whereRef("p.id", "<>", "d.id")
        .where("p.status", "<>", "failed")
        .where((eb) => eb.not(eb.ref("p.isRollback")))
        .whereRef("p.deployedAt", "<", "d.deployedAt"),
    )
    .insertInto("DeploymentChange")
    .columns(LINK_COLUMNS)
    .expression((eb) =>
      eb
        .selectFrom(["d", "prev", "Change as c"])
        .select(["d.id", "c.id as changeId", "d.serviceId", "d.environmentId", "d.environmentName", "d.deployedAt", leadTimeSeconds.as("leadTimeSeconds")])
        .whereRef("c.serviceName", "=", "d.serviceName")
        .whereRef("c.mergedAt", "<=", "d.deployedAt")
        .where((eb) => eb.or([eb("prev.at", "is", null), eb("c.mergedAt", ">", eb.ref("prev.at"))])),
    )
    .onConflict((oc) =>
      oc
        .columns(["changeId", "environmentName"])
        .doUpdateSet((eb) => ({
          deploymentId: eb.ref("excluded.deploymentId"),
          deployedAt: eb.ref("excluded.deployedAt"),
          leadTimeSeconds: eb.ref("excluded.leadTimeSeconds"),
          serviceId: eb.ref("excluded.serviceId"),
          environmentId: eb.ref("excluded.environmentId"),
        }))
        .whereRef("DeploymentChange.deployedAt", ">", "excluded.deployedAt"),
    )
    .execute();
  await syncChangeDeploymentIds(tx, { deploymentId });
}

/** Change.deploymentId names the deployment that took it to production (or, before that, its first deployment). */
async function syncChangeDeploymentIds(tx: Tx, where: { deploymentId: string } | { changeId: string }) {
  const changes = tx.selectFrom("DeploymentChange").select("changeId");
  const linked = "deploymentId" in where ? changes.where("deploymentId", "=", where.deploymentId) : changes.where("changeId", "=", where.changeId);
  await tx
    .updateTable("Change as c")
    .from(
      tx
        .selectFrom("DeploymentChange as dc")
        .leftJoin("Environment as e", "e.id", "dc.environmentId")
        .distinctOn("dc.changeId")
        .select(["dc.changeId", "dc.deploymentId as id"])
        .where("dc.changeId", "in", linked)
        .orderBy("dc.changeId")
        .orderBy((eb) => eb.fn.coalesce("e.isProduction", sql.lit(false)), "desc")
        .orderBy("dc.deployedAt")
        .as("pick"),
    )
    .set((eb) => ({ deploymentId: eb.ref("pick.id") }))
    .whereRef("c.id", "=", "pick.changeId")
    .whereRef("c.deploymentId", "is distinct from", "pick.id")
    .execute();
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
  const existing = await tx
    .selectFrom("Change")
    .select(["authoredAt", "mergedAt"])
    .where("source", "=", input.source)
    .where("externalId", "=", input.externalId)
    .executeTakeFirst();
  const authoredAt = earliest(existing?.authoredAt, input.authoredAt ?? input.mergedAt ?? undefined) ?? new Date();
  const mergedAt = input.mergedAt ?? existing?.mergedAt ?? null;
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
    })
    .onConflict((oc) =>
      oc.columns(["source", "externalId"]).doUpdateSet({
        authoredAt,
        mergedAt,
        ...(input.title ? { title: input.title } : {}),
        ...(input.repository ? { repository: input.repository } : {}),
      }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
  if (mergedAt) await linkChangeToDeployments(tx, change.id);
  return change;
}

/** For a change that arrived after its deployment: the first successful deployment per environment after merge. */
async function linkChangeToDeployments(tx: Tx, changeId: string) {
  await tx
    .insertInto("DeploymentChange")
    .columns(LINK_COLUMNS)
    .expression(
      tx
        .selectFrom("Change as c")
        .innerJoin("Deployment as d", "d.serviceName", "c.serviceName")
        .distinctOn("d.environmentName")
        .select(["d.id", "c.id as changeId", "d.serviceId", "d.environmentId", "d.environmentName", "d.deployedAt", leadTimeSeconds.as("leadTimeSeconds")])
        .where("c.id", "=", changeId)
        .where("d.status", "<>", "failed")
        .where((eb) => eb.not(eb.ref("d.isRollback")))
        .where("c.mergedAt", "is not", null)
        .whereRef("d.deployedAt", ">=", "c.mergedAt")
        .orderBy("d.environmentName")
        .orderBy("d.deployedAt"),
    )
    .onConflict((oc) =>
      oc.columns(["changeId", "environmentName"]).doUpdateSet((eb) => ({
        deploymentId: eb.ref("excluded.deploymentId"),
        deployedAt: eb.ref("excluded.deployedAt"),
        leadTimeSeconds: eb.ref("excluded.leadTimeSeconds"),
      })),
    )
    .execute();
  await syncChangeDeploymentIds(tx, { changeId });
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
  const service = serviceName ? await findService(tx, serviceName) : null;
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
    serviceName: serviceName || existing?.serviceName || "",
    environmentId: environment?.id ?? existing?.environmentId ?? null,
    title: input.title || existing?.title || "Incident",
    severity: input.severity ?? existing?.severity ?? "high",
    detectedAt,
    resolvedAt,
    reopenedAt,
  };
  const deploymentId =
    input.deploymentId ?? existing?.deploymentId ?? (await findBlamedDeployment(tx, base.serviceName, base.environmentId, detectedAt, input.version));
  const incident = existing
    ? await tx
        .updateTable("Incident")
        .set({ ...base, deploymentId })
        .where("id", "=", existing.id)
        .returningAll()
        .executeTakeFirstOrThrow()
    : await tx
        .insertInto("Incident")
        .values({ id: newId(), ...base, deploymentId, source: input.source, externalId: input.externalId ?? null, createdById: input.createdById ?? null })
        .returningAll()
        .executeTakeFirstOrThrow();
  await refreshHasIncident(tx, [deploymentId, existing?.deploymentId]);
  return incident;
}

async function findBlamedDeployment(tx: Tx, serviceName: string, environmentId: string | null, detectedAt: Date, version?: string | null) {
  if (!serviceName) return null;
  const since = new Date(detectedAt.getTime() - INCIDENT_LINK_WINDOW_HOURS * 3600_000);
  const found = await tx
    .selectFrom("Deployment")
    .select("id")
    .where("serviceName", "=", serviceName)
    // No environment named: incidents are about production unless they say otherwise.
    .where("environmentId", "in", environmentId ? [environmentId] : tx.selectFrom("Environment").select("id").where("isProduction", "=", true))
    .where("status", "<>", "failed")
    .where("isRollback", "=", false)
    .where("deployedAt", "<=", detectedAt)
    .where("deployedAt", ">=", since)
    .$if(Boolean(version), (qb) => qb.where("version", "=", version ?? ""))
    .orderBy("deployedAt", "desc")
    .limit(1)
    .executeTakeFirst();
  return found?.id ?? null;
}

async function refreshHasIncident(tx: Tx, deploymentIds: (string | null | undefined)[]) {
  const ids = [...new Set(deploymentIds.filter((x): x is string => Boolean(x)))];
  if (ids.length === 0) return;
  await tx
    .updateTable("Deployment as d")
    .set({
      hasIncident: (eb) => eb.exists(eb.selectFrom("Incident as i").select(sql.lit(1).as("one")).whereRef("i.deploymentId", "=", "d.id")).$castTo<boolean>(),
    })
    .where("d.id", "=", anyOf(ids))
    .execute();
}
