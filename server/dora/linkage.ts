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

/**
 * The same links for whole services at once (the seed, a backfill, the benchmark): set-based, no per-row work.
 * Per service and environment, a deployment's cut-off (its revision's merge time, else — with no list — its own
 * time) only matters where it raises the running maximum of the cut-offs before it; a change ships with the first
 * such deployment whose running maximum reaches its merge. Changes and those deployments are sorted into one stream
 * per service and environment, and each change takes the next deployment in it. Listed changes are linked in a
 * second pass, kept where the listing deployment came earlier.
 */
export async function relinkChanges(tx: Tx, serviceNames?: string[]) {
  const scope = (col: string) => (serviceNames ? sql`AND ${sql.ref(col)} = ANY(${serviceNames}::text[])` : sql``);
  // Hash-joinable: a change is found by its commit or its id (two arms, not an OR the planner cannot hash).
  await sql`
    UPDATE "Deployment" d SET "revisionMergedAt" = m.at
    FROM (SELECT "serviceName", ref, min("mergedAt") AS at FROM (
            SELECT c."serviceName", c."commitSha" AS ref, c."mergedAt" FROM "Change" c
            WHERE c."commitSha" <> '' AND c."mergedAt" IS NOT NULL ${scope("c.serviceName")}
            UNION ALL
            SELECT c."serviceName", c."externalId", c."mergedAt" FROM "Change" c WHERE c."mergedAt" IS NOT NULL ${scope("c.serviceName")}) x
          GROUP BY 1, 2) m
    WHERE d."serviceName" = m."serviceName" AND d.revision = m.ref AND d.revision <> '' AND d."revisionMergedAt" IS NULL`.execute(tx);
  await sql`DELETE FROM "DeploymentChange" dc USING "Deployment" d WHERE d.id = dc."deploymentId" ${scope("d.serviceName")}`.execute(tx);
  // Rows written earlier in the same transaction (the seed) have no statistics yet: a nested loop over the stream
  // would be quadratic, so this statement is planned with hash joins only.
  await sql`SET LOCAL enable_nestloop = off`.execute(tx);
  await sql`
    WITH r AS (
      SELECT d.id, d."serviceName", d."environmentName", x.cutoff,
             max(x.cutoff) OVER w AS runmax,
             max(x.cutoff) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prevmax
      FROM "Deployment" d
      CROSS JOIN LATERAL (SELECT COALESCE(d."revisionMergedAt", CASE WHEN cardinality(d."shippedRefs") = 0 THEN d."deployedAt" END) AS cutoff) x
      WHERE ${SHIPS} ${scope("d.serviceName")}
      WINDOW w AS (PARTITION BY d."serviceName", d."environmentName" ORDER BY d."deployedAt", d.id)),
    adv AS (SELECT id, "serviceName", "environmentName", runmax FROM r WHERE cutoff IS NOT NULL AND (prevmax IS NULL OR cutoff > prevmax)),
    envs AS (SELECT DISTINCT "serviceName", "environmentName" FROM adv),
    stream AS (
      SELECT "serviceName", "environmentName", runmax AS key, 1 AS kind, NULL::text AS cid FROM adv
      UNION ALL
      SELECT c."serviceName", e."environmentName", c."mergedAt", 0, c.id FROM "Change" c JOIN envs e ON e."serviceName" = c."serviceName"
      WHERE c."mergedAt" IS NOT NULL),
    nxt AS (
      SELECT cid, "serviceName", "environmentName",
             min(CASE WHEN kind = 1 THEN key END) OVER (PARTITION BY "serviceName", "environmentName" ORDER BY key, kind
                                                       ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS target
      FROM stream)
    INSERT INTO "DeploymentChange" ${LINK_COLUMNS}
    SELECT ${LINK_VALUES}
    FROM nxt JOIN adv a ON a."serviceName" = nxt."serviceName" AND a."environmentName" = nxt."environmentName" AND a.runmax = nxt.target
    JOIN "Deployment" d ON d.id = a.id JOIN "Change" c ON c.id = nxt.cid
    WHERE nxt.cid IS NOT NULL`.execute(tx);
  await sql`SET LOCAL enable_nestloop = on`.execute(tx);
  await sql`
    INSERT INTO "DeploymentChange" ${LINK_COLUMNS}
    SELECT DISTINCT ON (c.id, d."environmentName") ${LINK_VALUES}
    FROM "Deployment" d JOIN "Change" c ON c."serviceName" = d."serviceName" AND ${LISTED}
    WHERE cardinality(d."shippedRefs") > 0 AND ${SHIPS} AND c."mergedAt" IS NOT NULL ${scope("d.serviceName")}
    ORDER BY c.id, d."environmentName", d."deployedAt", d.id
    ON CONFLICT ("changeId", "environmentName") DO UPDATE SET
      "deploymentId" = excluded."deploymentId", "deployedAt" = excluded."deployedAt", "leadTimeSeconds" = excluded."leadTimeSeconds",
      "serviceId" = excluded."serviceId", "environmentId" = excluded."environmentId", "linkedBy" = excluded."linkedBy", "startKind" = excluded."startKind"
    WHERE "DeploymentChange"."deployedAt" > excluded."deployedAt"`.execute(tx);
  await syncChangeDeploymentIds(tx, sql`SELECT c.id FROM "Change" c WHERE true ${scope("c.serviceName")}`);
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
