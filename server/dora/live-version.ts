// One live version per service+environment (issue #14 item 7): every succeeded deployment, whatever its source
// (Pier, GitHub, Argo CD, CDEvents…), updates LiveVersion when it is the latest by event time, so events processed
// out of order never move the version backwards. Only catalogued services and environments have a row.
import { sql, type Db, type Tx } from "../db";
import type { DeploymentRow } from "./canonical";

export async function updateLiveVersion(
  tx: Tx,
  d: Pick<DeploymentRow, "id" | "serviceId" | "environmentId" | "version" | "source" | "deployedAt" | "isRollback">,
) {
  if (!d.serviceId || !d.environmentId) return;
  await tx
    .insertInto("LiveVersion")
    .values({ serviceId: d.serviceId, environmentId: d.environmentId, version: d.version, source: d.source, deploymentId: d.id, deployedAt: d.deployedAt })
    .onConflict((oc) =>
      oc
        .columns(["serviceId", "environmentId"])
        .doUpdateSet((eb) => ({
          version: eb.ref("excluded.version"),
          source: eb.ref("excluded.source"),
          deploymentId: eb.ref("excluded.deploymentId"),
          deployedAt: eb.ref("excluded.deployedAt"),
          updatedAt: sql<Date>`now()`,
        }))
        .where((eb) =>
          eb.or([eb("LiveVersion.deployedAt", "<", eb.ref("excluded.deployedAt")), eb("LiveVersion.deploymentId", "=", eb.ref("excluded.deploymentId"))]),
        ),
    )
    .execute();
}

/** The service's live versions per environment with where they came from, in environment order. */
export function liveVersions(db: Db, serviceId: string) {
  return db.replica
    .selectFrom("LiveVersion as lv")
    .innerJoin("Environment as e", "e.id", "lv.environmentId")
    .select(["e.name as environment", "lv.version", "lv.source", "lv.deployedAt", "lv.deploymentId"])
    .where("lv.serviceId", "=", serviceId)
    .orderBy("e.rank")
    .execute();
}
