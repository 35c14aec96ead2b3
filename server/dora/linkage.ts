// Change ↔ deployment linkage from what was deployed (issue #14). A change ships to an environment with the first
// successful deployment there (by deployment time) whose content contains it; a redeploy of the same revision
// contains nothing new, so it ships nothing. A deployment's content, best evidence first:
//   listed       the source listed the change's commit or id (CDEvents customData.changes, GitHub additional_sha)
//   revision     the change was merged at or before the deployed revision's own merge (the change whose commit is
//                Deployment.revision): on a linear main line, everything merged before a commit is in it
//   merge_order  fallback when the deployment says nothing usable about its content (no revision, no list, or a
//                revision whose change Pier has not seen yet): every change merged at or before the deployment.
// Rows record which rule linked them (DeploymentChange.linkedBy; fallback rows are counted on the data-quality page)
// and the lead-time start (startKind): the change's first commit when the source gave it, else its merge.
// All of it is set-based SQL per service; callers hold lockServiceHistory.
import { sql, type Tx } from "../db";

/** Lead-time start: first commit when known, else merge. */
const START = sql<Date>`COALESCE(c."firstCommitAt", c."mergedAt")`;
const START_KIND = sql<string>`CASE WHEN c."firstCommitAt" IS NOT NULL THEN 'first_commit' ELSE 'merge' END`;
const LEAD = sql<number>`GREATEST(0, EXTRACT(EPOCH FROM d."deployedAt" - ${START}))`;
const LISTED = sql<boolean>`(cardinality(d."shippedRefs") > 0 AND (c."externalId" = ANY(d."shippedRefs") OR (c."commitSha" <> '' AND c."commitSha" = ANY(d."shippedRefs"))))`;
/** Whether deployment d contains change c (see the header), and by which rule. */
const CONTAINS = sql<boolean>`(${LISTED}
  OR (d."revisionMergedAt" IS NOT NULL AND c."mergedAt" <= d."revisionMergedAt")
  OR (d."revisionMergedAt" IS NULL AND cardinality(d."shippedRefs") = 0 AND c."mergedAt" <= d."deployedAt"))`;
const LINKED_BY = sql<string>`CASE WHEN ${LISTED} THEN 'listed' WHEN d."revisionMergedAt" IS NOT NULL THEN 'revision' ELSE 'merge_order' END`;
/** Deployments that can ship changes: successful (even if later rolled back), not rollbacks. */
const SHIPS = sql<boolean>`(d.status <> 'failed' AND NOT d."isRollback")`;

const LINK_COLUMNS = sql`("deploymentId", "changeId", "serviceId", "environmentId", "environmentName", "deployedAt", "leadTimeSeconds", "linkedBy", "startKind")`;
const LINK_VALUES = sql`d.id, c.id, d."serviceId", d."environmentId", d."environmentName", d."deployedAt", ${LEAD}, ${LINKED_BY}, ${START_KIND}`;

/** The merge time of `revision` in the service, when a change with that commit (or id) is known. */
export async function revisionMergedAt(tx: Tx, serviceName: string, revision: string): Promise<Date | null> {
  if (!revision) return null;
  const row = await tx
    .selectFrom("Change")
    .select("mergedAt")
    .where("serviceName", "=", serviceName)
    .where((eb) => eb.or([eb("commitSha", "=", revision), eb("externalId", "=", revision)]))
    .where("mergedAt", "is not", null)
    .orderBy("mergedAt")
    .limit(1)
    .executeTakeFirst();
  return row?.mergedAt ?? null;
}

/**
 * Links to deployment `id` the changes it contains that no earlier deployment in its environment shipped; a change
 * linked to a *later* deployment there moves here (out-of-order arrival). Changes contained by an earlier deployment's
 * revision cut-off are skipped by the lower bound (they are linked there or earlier).
 */
export async function linkDeployment(tx: Tx, deploymentId: string) {
  await sql`
    WITH d AS (SELECT * FROM "Deployment" WHERE id = ${deploymentId}),
    prev AS (
      SELECT max(COALESCE(p."revisionMergedAt", CASE WHEN cardinality(p."shippedRefs") = 0 THEN p."deployedAt" END)) AS cutoff
      FROM "Deployment" p, d
      WHERE p."serviceName" = d."serviceName" AND p."environmentName" = d."environmentName" AND p.id <> d.id
        AND p.status <> 'failed' AND NOT p."isRollback" AND p."deployedAt" < d."deployedAt")
    INSERT INTO "DeploymentChange" ${LINK_COLUMNS}
    SELECT ${LINK_VALUES}
    FROM d, prev, "Change" c
    WHERE ${SHIPS} AND c."serviceName" = d."serviceName" AND c."mergedAt" IS NOT NULL AND ${CONTAINS}
      AND (${LISTED} OR prev.cutoff IS NULL OR c."mergedAt" > prev.cutoff)
    ON CONFLICT ("changeId", "environmentName") DO UPDATE SET
      "deploymentId" = excluded."deploymentId", "deployedAt" = excluded."deployedAt", "leadTimeSeconds" = excluded."leadTimeSeconds",
      "serviceId" = excluded."serviceId", "environmentId" = excluded."environmentId", "linkedBy" = excluded."linkedBy", "startKind" = excluded."startKind"
    WHERE "DeploymentChange"."deployedAt" > excluded."deployedAt"`.execute(tx);
  await syncChangeDeploymentIds(tx, sql`SELECT "changeId" FROM "DeploymentChange" WHERE "deploymentId" = ${deploymentId}`);
}

/** Links change `id` in every environment to the first deployment there that contains it (replacing older links). */
export async function linkChange(tx: Tx, changeId: string) {
  await sql`DELETE FROM "DeploymentChange" WHERE "changeId" = ${changeId}`.execute(tx);
  await sql`
    INSERT INTO "DeploymentChange" ${LINK_COLUMNS}
    SELECT DISTINCT ON (d."environmentName") ${LINK_VALUES}
    FROM "Change" c JOIN "Deployment" d ON d."serviceName" = c."serviceName"
    WHERE c.id = ${changeId} AND c."mergedAt" IS NOT NULL AND ${SHIPS} AND ${CONTAINS}
    ORDER BY d."environmentName", d."deployedAt", d.id`.execute(tx);
  await syncChangeDeploymentIds(tx, sql`SELECT ${changeId}::text`);
}

/**
 * A change just recorded may be the deployed revision of deployments that so far fell back to merge order: they
 * get its merge time as their cut-off, their fallback links are dropped and everything affected is linked again.
 */
export async function resolveRevision(tx: Tx, change: { serviceName: string; commitSha: string; externalId: string; mergedAt: Date | null }) {
  if (!change.mergedAt) return;
  const refs = [change.commitSha, change.externalId].filter(Boolean);
  const updated = await tx
    .updateTable("Deployment")
    .set({ revisionMergedAt: change.mergedAt })
    .where("serviceName", "=", change.serviceName)
    .where("revision", "in", refs)
    .where("revisionMergedAt", "is", null)
    .returning(["id", "deployedAt"])
    .execute();
  if (updated.length === 0) return;
  const ids = updated.map((d) => d.id);
  const dropped = await tx.deleteFrom("DeploymentChange").where("deploymentId", "in", ids).returning("changeId").execute();
  for (const d of updated.sort((a, b) => a.deployedAt.getTime() - b.deployedAt.getTime())) await linkDeployment(tx, d.id);
  for (const changeId of new Set(dropped.map((r) => r.changeId))) {
    const still = await tx.selectFrom("DeploymentChange").select("changeId").where("changeId", "=", changeId).executeTakeFirst();
    if (!still) await linkChange(tx, changeId);
  }
}

/** A deployment that turned out failed ships nothing: its changes move to the next deployment that contains them. */
export async function unlinkDeployment(tx: Tx, deploymentId: string) {
  const dropped = await tx.deleteFrom("DeploymentChange").where("deploymentId", "=", deploymentId).returning("changeId").execute();
  for (const { changeId } of dropped) await linkChange(tx, changeId);
}

/** Change.deploymentId names the deployment that took it to production (or, before that, its first deployment). */
async function syncChangeDeploymentIds(tx: Tx, changeIds: ReturnType<typeof sql>) {
  await sql`
    UPDATE "Change" c SET "deploymentId" = pick.id
    FROM (SELECT DISTINCT ON (dc."changeId") dc."changeId", dc."deploymentId" AS id
          FROM "DeploymentChange" dc LEFT JOIN "Environment" e ON e.id = dc."environmentId"
          WHERE dc."changeId" IN (${changeIds})
          ORDER BY dc."changeId", COALESCE(e."isProduction", false) DESC, dc."deployedAt") pick
    WHERE c.id = pick."changeId" AND c."deploymentId" IS DISTINCT FROM pick.id`.execute(tx);
}
