// npm run bench:dora — the DORA summary query on 1,000,000 deployments, 100,000 incidents, 1,000,000 changes and
// 2,000 services over 365 days (generated with generate_series in a scratch database), for a 90-day range;
// BENCH_SCALE=10 (or any factor) multiplies deployments, incidents and services (10: 10M deployments, 20k services):
// all services, one team, one service; p50/p95 of the real code path (server/dora/metrics.ts keyFigures) against a
// straightforward baseline over unindexed copies without the denormalised columns. Goal: p95 < 100 ms (at 10×: < 150 ms).
// Changes are linked to deployments the way Pier links them (server/dora/linkage.ts relinkChanges: by the deployed
// revision), and the time that takes is printed; the full dashboard summary (doraSummary: both periods plus the
// counts behind the numbers, recovery and rework) is timed beside the key figures.
//   BENCH_LINKS=direct links each change to its own deployment only instead of running Pier's linkage (for scales
//   where relinkChanges does not finish in the time available; the printed linkage time then is not Pier's).
//   BENCH_DB_KEEP=1 keeps the scratch database for a re-run (skips generation; applies newer migrations).
// Generation is set-based and bulk: the generating sessions run with session_replication_role = replica (no foreign
// key checks, no rollup triggers), the big tables' secondary indexes are dropped first and built once at the end,
// and the daily rollups are then built in one pass (dora_rollup_rebuild, the migration's backfill) and timed.
// The org-wide summary reads those rollups (server/dora/rollups.ts); team and service scopes read the raw rows.
import { Client } from "pg";
import { runSql } from "./bench-support";
import { CompiledQuery } from "kysely";
import { createDb, sql as kysql, transaction, type Tx } from "../server/db";
import { relinkChanges } from "../server/dora/linkage";
import { backfillDeploymentFacts } from "../server/dora/deployment-facts";
import { doraSummary, keyFigures, resolveFilter } from "../server/dora/metrics";
import { migrate } from "../server/platform/migrations";
import { loadavg } from "node:os";
import path from "node:path";

const ADMIN_URL = process.env.BENCH_ADMIN_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const DB_NAME = process.env.BENCH_DB ?? "pier_bench_dora";
const dbUrl = ADMIN_URL.replace(/\/[^/]*$/, `/${DB_NAME}`);
const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const N_DEPLOY = Number(process.env.BENCH_DEPLOYMENTS ?? 1_000_000 * SCALE);
const N_INCIDENT = Number(process.env.BENCH_INCIDENTS ?? N_DEPLOY / 10);
const N_SERVICE = Math.round(2000 * SCALE);
const DIRECT_LINKS = process.env.BENCH_LINKS === "direct";
const BASELINE_RUNS = Number(process.env.BENCH_BASELINE_RUNS ?? (SCALE > 1 ? 0 : 5));
/** The big tables; their secondary indexes are built after the load (Incident keeps its own: the rework backfill looks incidents up by service and time). */
const BULK_TABLES = ["Deployment", "Change", "DeploymentChange"];
/** Kept during the load: relinkChanges' ON CONFLICT needs it. */
const KEEP_INDEXES = ["DeploymentChange_changeId_environmentName_key"];
const N_TEAM = 20;

async function generate() {
  const exists = await runSql(ADMIN_URL, `SELECT 1 FROM pg_database WHERE datname = '${DB_NAME}'`);
  if (exists.rowCount && process.env.BENCH_DB_KEEP) {
    // Migrations added since the database was generated (indexes, backfills) apply before the re-run.
    const { applied } = await migrate(dbUrl, path.join(__dirname, "..", "prisma", "migrations"));
    if (applied.length) await runSql(dbUrl, "VACUUM ANALYZE");
    return console.log(`reusing ${DB_NAME}${applied.length ? `; applied ${applied.join(", ")}` : ""}`);
  }
  await runSql(ADMIN_URL, `DROP DATABASE IF EXISTS "${DB_NAME}" WITH (FORCE)`);
  await runSql(ADMIN_URL, `CREATE DATABASE "${DB_NAME}"`);
  await migrate(dbUrl, path.join(__dirname, "..", "prisma", "migrations"));
  const t0 = Date.now();
  const c = new Client({ connectionString: dbUrl });
  await c.connect();
  await c.query("SET synchronous_commit = off");
  await c.query("SET session_replication_role = replica");
  await c.query("SET maintenance_work_mem = '256MB'");
  const indexes = await c.query<{ name: string; def: string }>(
    `SELECT indexname AS name, indexdef AS def FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY($1) AND indexname NOT LIKE '%\\_pkey' AND NOT (indexname = ANY($2))`,
    [BULK_TABLES, KEEP_INDEXES],
  );
  for (const ix of indexes.rows) await c.query(`DROP INDEX "${ix.name}"`);
  await c.query("SELECT setseed(0.42)");
  await c.query(
    `INSERT INTO "Team"(id, slug, name, "updatedAt") SELECT 'bt' || g, 'bench-team-' || g, 'Bench team ' || g, now() FROM generate_series(1, ${N_TEAM}) g`,
  );
  await c.query(
    `INSERT INTO "Service"(id, slug, name, "teamId", "updatedAt") SELECT 'bs' || g, 'bench-svc-' || g, 'bench-svc-' || g, 'bt' || (g % ${N_TEAM} + 1), now() FROM generate_series(1, ${N_SERVICE}) g`,
  );
  await c.query(
    `INSERT INTO "Environment"(id, name, rank, "isProduction") VALUES ('env-dev', 'dev', 10, false), ('env-staging', 'staging', 20, false), ('env-prod', 'prod', 30, true)`,
  );
  // 40 % prod, 30 % staging, 30 % dev; 3 % failed rollouts, 5 % rolled back, 1 % rollback deployments.
  await c.query(`
    INSERT INTO "Deployment"(id, "serviceId", "serviceName", "environmentId", "environmentName", version, revision, status, "isRollback", "deployedAt", source, "externalId")
    SELECT 'bd' || g, 'bs' || s, 'bench-svc-' || s, e, replace(e, 'env-', ''), '1.' || g, 'cbd' || g,
           CASE WHEN r < 0.03 THEN 'failed' WHEN r < 0.08 THEN 'rolled_back' ELSE 'succeeded' END, r > 0.99,
           now() - random() * interval '365 days', 'bench', 'bd' || g
    FROM (SELECT g, s, r, CASE WHEN e < 0.4 THEN 'env-prod' WHEN e < 0.7 THEN 'env-staging' ELSE 'env-dev' END AS e
          FROM (SELECT g, 1 + floor(random() * ${N_SERVICE})::int AS s, random() AS r, random() AS e FROM generate_series(1, ${N_DEPLOY}) g) y) x`);
  console.log(`deployments: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  // One change per deployment (its revision's commit), first commit 1 h – 10 days before it, merged halfway.
  await c.query(`
    INSERT INTO "Change"(id, "serviceId", "serviceName", "externalId", "commitSha", "authoredAt", "firstCommitAt", "mergedAt", source)
    SELECT 'bc' || substr(d.id, 3), d."serviceId", d."serviceName", 'bc' || d.id, 'c' || d.id, d."deployedAt" - lt, d."deployedAt" - lt, d."deployedAt" - lt / 2, 'bench'
    FROM (SELECT *, interval '1 hour' + random() * interval '10 days' AS lt FROM "Deployment") d WHERE d.status <> 'failed' AND NOT d."isRollback"`);
  await c.query("ANALYZE");
  console.log(`changes: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  // Pier's linkage, set-based: each change ships with the first deployment per environment whose revision contains it.
  const linkDb = createDb(dbUrl, 1, { statementTimeoutMs: 0 });
  const tl = Date.now();
  await transaction(linkDb, async (tx) => {
    await bulkSession(tx);
    if (DIRECT_LINKS)
      // A stand-in where relinkChanges would not finish in the time available: each change ships with its own
      // deployment only (whose revision it is). The summary reads the same columns either way.
      await kysql`
        INSERT INTO "DeploymentChange"("deploymentId", "changeId", "serviceId", "environmentId", "environmentName", "deployedAt", "leadTimeSeconds", "linkedBy", "startKind")
        SELECT d.id, c.id, d."serviceId", d."environmentId", d."environmentName", d."deployedAt", EXTRACT(EPOCH FROM d."deployedAt" - c."firstCommitAt"), 'revision', 'first_commit'
        FROM "Change" c JOIN "Deployment" d ON d.id = 'bd' || substr(c.id, 3)`.execute(tx);
    else await relinkChanges(tx);
  });
  const links = await c.query(`SELECT count(*)::int AS n, count(*) FILTER (WHERE "linkedBy" = 'merge_order')::int AS fallback FROM "DeploymentChange"`);
  console.log(
    `change linkage (${DIRECT_LINKS ? "BENCH_LINKS=direct: own deployment only" : "relinkChanges"}) for ${Math.round(N_DEPLOY * 0.96).toLocaleString()} changes: ${((Date.now() - tl) / 1000).toFixed(1)} s → ${links.rows[0].n.toLocaleString()} links (${links.rows[0].fallback} by merge order)`,
  );
  await linkDb.$disconnect();
  // Incidents: 60 % caused by a deployment (linked), restored in 5 min – 2 days.
  await c.query(`
    INSERT INTO "Incident"(id, "serviceId", "serviceName", "environmentId", title, "detectedAt", "resolvedAt", "deploymentId", source, "externalId")
    SELECT 'bi' || g, 'bs' || s, 'bench-svc-' || s, CASE WHEN g % 5 = 0 THEN NULL ELSE 'env-prod' END, 'Incident ' || g, at,
           at + interval '5 minutes' + random() * interval '2 days',
           CASE WHEN random() < 0.6 THEN 'bd' || (1 + floor(random() * ${N_DEPLOY}))::int END, 'bench', 'bi' || g
    FROM (SELECT g, 1 + floor(random() * ${N_SERVICE})::int AS s, now() - random() * interval '365 days' AS at FROM generate_series(1, ${N_INCIDENT}) g) x`);
  await c.query(`UPDATE "Deployment" d SET "hasIncident" = true WHERE EXISTS (SELECT 1 FROM "Incident" i WHERE i."deploymentId" = d.id)`);
  // The per-deployment facts the summary reads (recovery, rework), as the migration backfills them.
  const tf = Date.now();
  const factsDb = createDb(dbUrl, 1, { statementTimeoutMs: 0 });
  await transaction(factsDb, async (tx) => {
    await bulkSession(tx);
    await backfillDeploymentFacts(tx);
  });
  await factsDb.$disconnect();
  console.log(`deployment facts (backfillDeploymentFacts): ${((Date.now() - tf) / 1000).toFixed(1)} s`);
  const ti = Date.now();
  for (const ix of indexes.rows) await c.query(ix.def);
  console.log(`${indexes.rows.length} indexes built: ${((Date.now() - ti) / 1000).toFixed(1)} s`);
  // The load bypassed the triggers: the rollups are built from the rows in one pass (the migration's backfill).
  const tr = Date.now();
  await c.query("SELECT dora_rollup_rebuild()");
  const rollupRows = await c.query(`SELECT (SELECT count(*) FROM "DoraDayRollup")::int AS counts, (SELECT count(*) FROM "DoraHistogram")::int AS buckets`);
  console.log(
    `rollups (dora_rollup_rebuild): ${((Date.now() - tr) / 1000).toFixed(1)} s → ${rollupRows.rows[0].counts.toLocaleString()} count rows, ${rollupRows.rows[0].buckets.toLocaleString()} histogram rows`,
  );
  if (BASELINE_RUNS > 0) {
    // The baseline's tables: the same facts, no indexes, no denormalised columns.
    await c.query(`CREATE TABLE naive_deployment AS SELECT id, "serviceId", "environmentId", status, "isRollback", "deployedAt" FROM "Deployment"`);
    await c.query(`CREATE TABLE naive_change AS SELECT id, "serviceId", "authoredAt", "deploymentId" FROM "Change"`);
    await c.query(`CREATE TABLE naive_incident AS SELECT id, "serviceId", "environmentId", "detectedAt", "resolvedAt", "deploymentId" FROM "Incident"`);
  }
  await c.query("VACUUM ANALYZE");
  await c.end();
  console.log(`generated in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/** A bulk-load transaction: no foreign key checks, no rollup triggers (the rollups are rebuilt after the load). */
async function bulkSession(tx: Tx) {
  await tx.executeQuery(CompiledQuery.raw("SET LOCAL session_replication_role = replica"));
  await tx.executeQuery(CompiledQuery.raw("SET LOCAL work_mem = '64MB'"));
}

/** The straightforward version: join and EXISTS at query time over unindexed tables. */
function naiveQuery(scope: string) {
  return `
    WITH d AS (
      SELECT d.* FROM naive_deployment d JOIN "Service" s ON s.id = d."serviceId"
      WHERE d."environmentId" = 'env-prod' AND d."deployedAt" >= now() - interval '90 days' AND d.status IN ('succeeded', 'rolled_back') AND NOT d."isRollback" ${scope}
    )
    SELECT (SELECT count(*) FROM d) AS deployments,
           (SELECT count(*) FROM d WHERE d.status = 'rolled_back' OR EXISTS (SELECT 1 FROM naive_incident i WHERE i."deploymentId" = d.id)) AS failures,
           (SELECT percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM d."deployedAt" - c."authoredAt")) FROM naive_change c JOIN d ON d.id = c."deploymentId") AS lead,
           (SELECT percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM i."resolvedAt" - i."detectedAt"))
              FROM naive_incident i JOIN "Service" s ON s.id = i."serviceId"
              WHERE i."detectedAt" >= now() - interval '90 days' AND (i."environmentId" = 'env-prod' OR i."environmentId" IS NULL) AND i."resolvedAt" IS NOT NULL ${scope.replaceAll("d.", "i.")}) AS restore`;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
};

async function time(runs: number, fn: () => Promise<unknown>) {
  await fn(); // warm-up
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return { p50: pct(out, 0.5), p95: pct(out, 0.95) };
}

async function main() {
  await generate();
  const db = createDb(dbUrl, 4);
  const to = new Date();
  const from = new Date(to.getTime() - 90 * 86_400_000);
  const scopes = [
    { name: "all services", filter: {}, naive: "" },
    { name: `one team (${N_SERVICE / N_TEAM} services)`, filter: { teamId: "bt1" }, naive: `AND s."teamId" = 'bt1'` },
    { name: "one service", filter: { serviceId: "bs7" }, naive: `AND d."serviceId" = 'bs7'` },
  ];
  const pg = new Client({ connectionString: dbUrl });
  await pg.connect();
  console.log(
    `\n${N_DEPLOY.toLocaleString()} deployments, ${N_INCIDENT.toLocaleString()} incidents, ${N_SERVICE} services, 365 days; summary for 90 days (prod); load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}\n`,
  );
  console.log("scope                      | Pier p50 / p95 (ms) | baseline p50 / p95 (ms) | ratio (p50) | summary p50 / p95 (ms) | sample");
  for (const s of scopes) {
    const f = await resolveFilter(db, { from, to, ...s.filter });
    const sample = await keyFigures(db, f);
    const ours = await time(Number(process.env.BENCH_RUNS ?? 30), () => keyFigures(db, f));
    const base = BASELINE_RUNS > 0 ? await time(BASELINE_RUNS, () => pg.query(naiveQuery(s.naive))) : { p50: Number.NaN, p95: Number.NaN };
    // The full summary adds the counts behind the numbers, recovery and rework (server/dora/pier-details.ts, reading
    // the facts stored per deployment); a statement timeout is reported rather than hidden.
    const summary = await time(Number(process.env.BENCH_RUNS ?? 30), () => doraSummary(db, { from, to, ...s.filter })).catch((err: Error) => ({
      p50: Number.NaN,
      p95: Number.NaN,
      error: err.message,
    }));
    console.log(
      `${s.name.padEnd(26)} | ${ours.p50.toFixed(1).padStart(7)} / ${ours.p95.toFixed(1).padEnd(9)} | ${base.p50.toFixed(1).padStart(9)} / ${base.p95.toFixed(1).padEnd(11)} | ${(base.p50 / ours.p50).toFixed(1).padStart(6)}×     | ${summary.p50.toFixed(1).padStart(8)} / ${summary.p95.toFixed(1).padEnd(11)} | ${sample.deployments} deploys, CFR ${((sample.changeFailureRate ?? 0) * 100).toFixed(1)} %, lead p50 ${((sample.leadTimeP50 ?? 0) / 3600).toFixed(1)} h`,
    );
    if ("error" in summary) console.log(`  summary failed: ${summary.error}`);
  }
  console.log(
    `load average at the end: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}`,
  );
  await pg.end();
  await db.$disconnect();
  if (!process.env.BENCH_DB_KEEP) await runSql(ADMIN_URL, `DROP DATABASE IF EXISTS "${DB_NAME}" WITH (FORCE)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
