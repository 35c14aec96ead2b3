// Database migrations a deployment ran, reported as a CDEvents custom event (any source that sends CDEvents: a
// pipeline step, a custom source's mapping):
//   context.type     dev.cdeventsx.pier-migration.applied.0.1.0
//   subject.content  { service, environment, version,                 — the deployment that ran it
//                      migration: { id, description?, down? } }       — down: how to undo it (a down-migration id
//                                                                        or command); absent = cannot be undone
// The only writer of DeploymentMigration. A migration is keyed to its deployment by service, environment and the
// deployed version (the canonical deployment's id is kept when it is already known); rolling that version back
// (server/deployments) shows the migrations and their down steps (events.migrationsFor).
import type { Db, Tx } from "../db";
import { newId } from "../db";
import { findEnvironment, findService, normaliseEnvironmentName, normaliseServiceName } from "../dora/catalog-lookup";
import { str } from "./canonical-facts";
import type { CdEvent } from "./cdevents";
export { isMigrationType } from "./migration-events";

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : {});

export type MigrationInput = {
  source: string;
  externalId: string;
  serviceName: string;
  environmentName: string;
  version: string;
  migrationId: string;
  description: string;
  downStep: string;
  occurredAt: Date;
};

export function translateMigration(e: CdEvent): MigrationInput {
  const content = obj(e.subject.content);
  const migration = obj(content.migration);
  return {
    source: "cdevents",
    externalId: e.context.id,
    serviceName: str(content.service) ?? "",
    environmentName: str(content.environment) ?? "",
    version: str(content.version) ?? "",
    migrationId: str(migration.id) ?? "",
    description: str(migration.description) ?? "",
    downStep: str(migration.down) ?? "",
    occurredAt: new Date(e.context.timestamp),
  };
}

/** Records one migration once (by source + event id), with the deployment of that version when there is one. */
export async function recordMigration(tx: Tx, input: MigrationInput) {
  const service = await findService(tx, input.serviceName);
  const environment = await findEnvironment(tx, input.environmentName);
  const deployment =
    service && environment
      ? await tx
          .selectFrom("Deployment")
          .select("id")
          .where("serviceId", "=", service.id)
          .where("environmentId", "=", environment.id)
          .where("version", "=", input.version)
          .orderBy("deployedAt", "desc")
          .limit(1)
          .executeTakeFirst()
      : undefined;
  await tx
    .insertInto("DeploymentMigration")
    .values({
      id: newId(),
      ...input,
      serviceId: service?.id ?? null,
      serviceName: service ? input.serviceName : normaliseServiceName(input.serviceName),
      environmentId: environment?.id ?? null,
      environmentName: environment?.name ?? normaliseEnvironmentName(input.environmentName),
      deploymentId: deployment?.id ?? null,
    })
    .onConflict((oc) => oc.columns(["source", "externalId"]).doNothing())
    .execute();
}

/** The migrations the deployment of `version` ran in this service and environment (oldest first). */
export async function migrationsFor(db: Db, where: { serviceId: string; environmentId: string; version: string }) {
  return db.kysely
    .selectFrom("DeploymentMigration")
    .select(["migrationId", "description", "downStep", "occurredAt"])
    .where("serviceId", "=", where.serviceId)
    .where("environmentId", "=", where.environmentId)
    .where("version", "=", where.version)
    .orderBy("occurredAt", "asc")
    .limit(50)
    .execute();
}
