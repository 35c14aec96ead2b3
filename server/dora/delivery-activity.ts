// The canonical store's non-DORA delivery activity: CI pipeline runs (CDEvents pipelineRun/taskRun) and environment
// changes that are not service deployments (CDEvents environment.modified: an infrastructure run, a health signal
// after a sync). The only writer of PipelineRun and EnvironmentChange. Names are matched to the catalog the way
// deployments are (./catalog-lookup.ts); unmatched names are kept as sent, with a null id, for the data-quality page.
import { newId, type DB, type Db, type Kysely, type Tx } from "../db";
import { findEnvironment, findService, normaliseEnvironmentName, normaliseServiceName } from "./catalog-lookup";

export type PipelineRunInput = {
  source: string;
  externalId: string;
  kind: "pipeline" | "task";
  serviceName: string;
  serviceId?: string | null;
  name: string;
  status: "queued" | "running" | "succeeded" | "failed" | "canceled" | "skipped";
  ref: string;
  sha: string;
  url: string;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** The event's own time: a run's row only moves forward (an older event processed late changes nothing). */
  updatedAt: Date;
};

export type EnvironmentChangeInput = {
  source: string;
  externalId: string;
  /** feature_flag: a flag changed (Unleash, LaunchDarkly, Flagsmith); revision holds the flag's key, status its action. */
  kind: "infrastructure" | "health_degraded" | "feature_flag";
  environmentName: string;
  serviceName: string;
  serviceId?: string | null;
  status: string;
  summary: string;
  revision: string;
  url: string;
  occurredAt: Date;
};

async function serviceIdOf(tx: Tx, serviceName: string, serviceId?: string | null) {
  if (serviceId) return serviceId;
  return serviceName ? ((await findService(tx, serviceName))?.id ?? null) : null;
}

/** Creates or moves forward one run (by source + externalId). */
export async function recordPipelineRun(tx: Tx, input: PipelineRunInput) {
  const serviceId = await serviceIdOf(tx, input.serviceName, input.serviceId);
  const row = { ...input, serviceId, serviceName: input.serviceId ? input.serviceName : normaliseServiceName(input.serviceName) };
  await tx
    .insertInto("PipelineRun")
    .values({ id: newId(), ...row })
    .onConflict((oc) =>
      oc
        .columns(["source", "externalId"])
        .doUpdateSet((eb) => ({
          status: eb.ref("excluded.status"),
          name: eb.ref("excluded.name"),
          serviceId: eb.ref("excluded.serviceId"),
          serviceName: eb.ref("excluded.serviceName"),
          // A start or finish time, once known, stays known (a later "running" event carries no finish time).
          startedAt: eb.fn.coalesce("excluded.startedAt", "PipelineRun.startedAt"),
          finishedAt: eb.fn.coalesce("excluded.finishedAt", "PipelineRun.finishedAt"),
          updatedAt: eb.ref("excluded.updatedAt"),
        }))
        .where("PipelineRun.updatedAt", "<=", (eb) => eb.ref("excluded.updatedAt")),
    )
    .execute();
}

/** Records one environment change once (by source + externalId; a repeat changes nothing). */
export async function recordEnvironmentChange(tx: Tx, input: EnvironmentChangeInput) {
  const serviceId = await serviceIdOf(tx, input.serviceName, input.serviceId);
  const environment = await findEnvironment(tx, input.environmentName);
  await tx
    .insertInto("EnvironmentChange")
    .values({
      id: newId(),
      ...input,
      serviceId,
      serviceName: input.serviceId || !input.serviceName ? input.serviceName : normaliseServiceName(input.serviceName),
      environmentId: environment?.id ?? null,
      environmentName: environment?.name ?? normaliseEnvironmentName(input.environmentName),
    })
    .onConflict((oc) => oc.columns(["source", "externalId"]).doNothing())
    .execute();
}

/** What the service page lists: its latest runs and environment changes (each newest first, at most `take`). */
export async function serviceDeliveryActivity(db: Db, serviceId: string, take = 10) {
  const [runs, environmentChanges] = await Promise.all([
    db.kysely
      .selectFrom("PipelineRun")
      .select(["id", "source", "kind", "name", "status", "ref", "sha", "url", "startedAt", "finishedAt", "updatedAt"])
      .where("serviceId", "=", serviceId)
      .orderBy("updatedAt", "desc")
      .limit(take)
      .execute(),
    db.kysely
      .selectFrom("EnvironmentChange")
      .select(["id", "source", "kind", "environmentName", "status", "summary", "revision", "url", "occurredAt"])
      .where("serviceId", "=", serviceId)
      .orderBy("occurredAt", "desc")
      .limit(take)
      .execute(),
  ]);
  return { runs, environmentChanges };
}

/**
 * The health-degraded signals (Argo CD on-health-degraded) of a service in an environment at or after `since`, oldest
 * first: what rollout verification reads to fail a wave whose deployment went Degraded after its sync.
 */
export async function healthDegradedSignals(db: Kysely<DB>, q: { serviceId: string; environmentId: string; since: Date }) {
  return db
    .selectFrom("EnvironmentChange")
    .select(["id", "source", "status", "summary", "revision", "occurredAt"])
    .where("kind", "=", "health_degraded")
    .where("serviceId", "=", q.serviceId)
    .where("environmentId", "=", q.environmentId)
    .where("occurredAt", ">=", q.since)
    .orderBy("occurredAt", "asc")
    .execute();
}
