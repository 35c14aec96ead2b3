-- CreateTable
CREATE TABLE "DoraDayRollup" (
    "environmentId" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "slot" INTEGER NOT NULL,
    "deployments" INTEGER NOT NULL DEFAULT 0,
    "failures" INTEGER NOT NULL DEFAULT 0,
    "outDeployments" INTEGER NOT NULL DEFAULT 0,
    "rework" INTEGER NOT NULL DEFAULT 0,
    "changes" INTEGER NOT NULL DEFAULT 0,
    "firstCommit" INTEGER NOT NULL DEFAULT 0,
    "mergeStart" INTEGER NOT NULL DEFAULT 0,
    "listed" INTEGER NOT NULL DEFAULT 0,
    "revision" INTEGER NOT NULL DEFAULT 0,
    "mergeOrder" INTEGER NOT NULL DEFAULT 0,
    "incidents" INTEGER NOT NULL DEFAULT 0,
    "resolved" INTEGER NOT NULL DEFAULT 0,
    "evidence" INTEGER NOT NULL DEFAULT 0,
    "heuristic" INTEGER NOT NULL DEFAULT 0,
    "unlinked" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "DoraDayRollup_pkey" PRIMARY KEY ("environmentId","day","slot")
);

-- CreateTable
CREATE TABLE "DoraHistogram" (
    "environmentId" TEXT NOT NULL,
    "grain" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "metric" TEXT NOT NULL,
    "bucket" INTEGER NOT NULL,
    "count" INTEGER NOT NULL,

    CONSTRAINT "DoraHistogram_pkey" PRIMARY KEY ("environmentId","grain","day","metric","bucket")
);

-- pier:not-in-schema
-- The rollups are kept by statement-level AFTER triggers with transition tables: every statement that writes
-- Deployment, DeploymentChange or Incident (the projection, relinking, backfills) subtracts what its old rows
-- contributed and adds what its new rows contribute, in its own transaction. The rollup therefore always equals the
-- aggregate of the current rows, whatever order events arrive in, however often they are resent or relinked.
-- Each statement's template (%1$s: the rows with a sign, +1 new / −1 old) is defined once, in dora_rollup_statements,
-- and used by the triggers and by dora_rollup_rebuild (this migration's backfill; the benchmark after a bulk load).

-- A value's histogram bucket: logarithmic, each bucket 2 % wide (bucket k ≥ 1 holds [1.02^(k−1), 1.02^k) seconds,
-- negative values mirrored, |v| < 1 s is bucket 0).
CREATE FUNCTION dora_bucket(v float8) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN v >= 1 THEN 1 + floor(ln(v) / ln(1.02))::integer
              WHEN v <= -1 THEN -1 - floor(ln(-v) / ln(1.02))::integer
              ELSE 0 END
$$;

-- The value standing for a bucket: the point with the least relative error to every value in it (≤ 0.99 %).
CREATE FUNCTION dora_bucket_value(b integer) RETURNS float8 LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN b = 0 THEN 0::float8 ELSE sign(b) * 2 * power(1.02::float8, abs(b)) / 2.02 END
$$;

CREATE FUNCTION dora_rollup_statements(tbl text) RETURNS text[] LANGUAGE sql IMMUTABLE AS $fn$
  SELECT CASE tbl
  WHEN 'Deployment' THEN ARRAY[
    $q$INSERT INTO "DoraDayRollup" ("environmentId", day, slot, deployments, failures, "outDeployments", rework)
       SELECT * FROM (
         SELECT COALESCE(r."environmentId", '') AS env, r."deployedAt"::date AS day, hashtext(r."serviceName") & 7 AS slot,
                sum(CASE WHEN r.status IN ('succeeded', 'rolled_back') AND NOT r."isRollback" THEN r.sign ELSE 0 END)::int AS deployments,
                sum(CASE WHEN r.status IN ('succeeded', 'rolled_back') AND NOT r."isRollback" AND (r.status = 'rolled_back' OR r."hasIncident") THEN r.sign ELSE 0 END)::int AS failures,
                sum(CASE WHEN r.status IN ('succeeded', 'rolled_back') THEN r.sign ELSE 0 END)::int AS out,
                sum(CASE WHEN r.status IN ('succeeded', 'rolled_back') AND r."isRework" THEN r.sign ELSE 0 END)::int AS rework
         FROM (%1$s) r GROUP BY 1, 2, 3) k
       WHERE (deployments, failures, out, rework) <> (0, 0, 0, 0) ORDER BY 1, 2, 3
       ON CONFLICT ("environmentId", day, slot) DO UPDATE SET
         deployments = "DoraDayRollup".deployments + excluded.deployments, failures = "DoraDayRollup".failures + excluded.failures,
         "outDeployments" = "DoraDayRollup"."outDeployments" + excluded."outDeployments", rework = "DoraDayRollup".rework + excluded.rework$q$,
    $q$INSERT INTO "DoraHistogram" ("environmentId", grain, day, metric, bucket, count)
       SELECT COALESCE(r."environmentId", ''), g.grain, g.day, 'recovery', dora_bucket(EXTRACT(EPOCH FROM r."nextGoodDeployedAt" - r."deployedAt")::float8), sum(r.sign)::int
       FROM (%1$s) r CROSS JOIN LATERAL (VALUES ('day', r."deployedAt"::date), ('week', date_trunc('week', r."deployedAt")::date)) g(grain, day)
       WHERE r.status IN ('succeeded', 'rolled_back') AND NOT r."isRollback" AND (r.status = 'rolled_back' OR r."hasIncident") AND r."nextGoodDeployedAt" IS NOT NULL
       GROUP BY 1, 2, 3, 4, 5 HAVING sum(r.sign) <> 0 ORDER BY 1, 2, 3, 4, 5
       ON CONFLICT ("environmentId", grain, day, metric, bucket) DO UPDATE SET count = "DoraHistogram".count + excluded.count$q$]
  WHEN 'DeploymentChange' THEN ARRAY[
    $q$INSERT INTO "DoraDayRollup" ("environmentId", day, slot, changes, "firstCommit", "mergeStart", listed, revision, "mergeOrder")
       SELECT * FROM (
         SELECT COALESCE(r."environmentId", '') AS env, r."deployedAt"::date AS day, hashtext(COALESCE(r."serviceId", '')) & 7 AS slot,
                sum(r.sign)::int AS changes,
                sum(CASE WHEN r."startKind" = 'first_commit' THEN r.sign ELSE 0 END)::int AS first_commit,
                sum(CASE WHEN r."startKind" = 'merge' THEN r.sign ELSE 0 END)::int AS merge_start,
                sum(CASE WHEN r."linkedBy" = 'listed' THEN r.sign ELSE 0 END)::int AS listed,
                sum(CASE WHEN r."linkedBy" = 'revision' THEN r.sign ELSE 0 END)::int AS revision,
                sum(CASE WHEN r."linkedBy" = 'merge_order' THEN r.sign ELSE 0 END)::int AS merge_order
         FROM (%1$s) r GROUP BY 1, 2, 3) k
       WHERE (changes, first_commit, merge_start, listed, revision, merge_order) <> (0, 0, 0, 0, 0, 0) ORDER BY 1, 2, 3
       ON CONFLICT ("environmentId", day, slot) DO UPDATE SET
         changes = "DoraDayRollup".changes + excluded.changes, "firstCommit" = "DoraDayRollup"."firstCommit" + excluded."firstCommit",
         "mergeStart" = "DoraDayRollup"."mergeStart" + excluded."mergeStart", listed = "DoraDayRollup".listed + excluded.listed,
         revision = "DoraDayRollup".revision + excluded.revision, "mergeOrder" = "DoraDayRollup"."mergeOrder" + excluded."mergeOrder"$q$,
    $q$INSERT INTO "DoraHistogram" ("environmentId", grain, day, metric, bucket, count)
       SELECT COALESCE(r."environmentId", ''), g.grain, g.day, 'lead', dora_bucket(r."leadTimeSeconds"), sum(r.sign)::int
       FROM (%1$s) r CROSS JOIN LATERAL (VALUES ('day', r."deployedAt"::date), ('week', date_trunc('week', r."deployedAt")::date)) g(grain, day)
       GROUP BY 1, 2, 3, 4, 5 HAVING sum(r.sign) <> 0 ORDER BY 1, 2, 3, 4, 5
       ON CONFLICT ("environmentId", grain, day, metric, bucket) DO UPDATE SET count = "DoraHistogram".count + excluded.count$q$]
  WHEN 'Incident' THEN ARRAY[
    $q$INSERT INTO "DoraDayRollup" ("environmentId", day, slot, incidents, resolved, evidence, heuristic, unlinked)
       SELECT * FROM (
         SELECT COALESCE(r."environmentId", '') AS env, r."detectedAt"::date AS day, hashtext(r."serviceName") & 7 AS slot,
                sum(r.sign)::int AS incidents,
                sum(CASE WHEN r."resolvedAt" IS NOT NULL THEN r.sign ELSE 0 END)::int AS resolved,
                sum(CASE WHEN r."linkReason" IN ('deployment', 'version', 'commit', 'manual') AND r."deploymentId" IS NOT NULL THEN r.sign ELSE 0 END)::int AS evidence,
                sum(CASE WHEN r."linkReason" = 'window' AND r."deploymentId" IS NOT NULL THEN r.sign ELSE 0 END)::int AS heuristic,
                sum(CASE WHEN r."deploymentId" IS NULL THEN r.sign ELSE 0 END)::int AS unlinked
         FROM (%1$s) r GROUP BY 1, 2, 3) k
       WHERE (incidents, resolved, evidence, heuristic, unlinked) <> (0, 0, 0, 0, 0) ORDER BY 1, 2, 3
       ON CONFLICT ("environmentId", day, slot) DO UPDATE SET
         incidents = "DoraDayRollup".incidents + excluded.incidents, resolved = "DoraDayRollup".resolved + excluded.resolved,
         evidence = "DoraDayRollup".evidence + excluded.evidence, heuristic = "DoraDayRollup".heuristic + excluded.heuristic,
         unlinked = "DoraDayRollup".unlinked + excluded.unlinked$q$,
    $q$INSERT INTO "DoraHistogram" ("environmentId", grain, day, metric, bucket, count)
       SELECT COALESCE(r."environmentId", ''), g.grain, g.day, 'restore', dora_bucket(EXTRACT(EPOCH FROM r."resolvedAt" - r."detectedAt")::float8), sum(r.sign)::int
       FROM (%1$s) r CROSS JOIN LATERAL (VALUES ('day', r."detectedAt"::date), ('week', date_trunc('week', r."detectedAt")::date)) g(grain, day)
       WHERE r."resolvedAt" IS NOT NULL
       GROUP BY 1, 2, 3, 4, 5 HAVING sum(r.sign) <> 0 ORDER BY 1, 2, 3, 4, 5
       ON CONFLICT ("environmentId", grain, day, metric, bucket) DO UPDATE SET count = "DoraHistogram".count + excluded.count$q$]
  END
$fn$;

CREATE FUNCTION dora_rollup_apply() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  src text;
  q text;
BEGIN
  -- A statement that wrote no rows (most of the projection's guarded UPDATEs) costs one probe.
  IF TG_OP = 'INSERT' THEN
    IF NOT EXISTS (SELECT 1 FROM new_rows) THEN RETURN NULL; END IF;
    src := 'SELECT 1 AS sign, * FROM new_rows';
  ELSIF TG_OP = 'DELETE' THEN
    IF NOT EXISTS (SELECT 1 FROM old_rows) THEN RETURN NULL; END IF;
    src := 'SELECT -1 AS sign, * FROM old_rows';
  ELSE
    IF NOT EXISTS (SELECT 1 FROM new_rows) THEN RETURN NULL; END IF;
    src := 'SELECT -1 AS sign, * FROM old_rows UNION ALL SELECT 1 AS sign, * FROM new_rows';
  END IF;
  FOREACH q IN ARRAY dora_rollup_statements(TG_TABLE_NAME) LOOP
    EXECUTE format(q, src);
  END LOOP;
  RETURN NULL;
END
$fn$;

-- TRUNCATE has no transition tables: the table's share of the rollups is rebuilt (from nothing).
CREATE FUNCTION dora_rollup_truncated() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM dora_rollup_rebuild();
  RETURN NULL;
END
$fn$;

-- Every rollup from the current rows (the backfill below; a bulk load that bypassed the triggers).
CREATE FUNCTION dora_rollup_rebuild() RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  tbl text;
  q text;
BEGIN
  DELETE FROM "DoraDayRollup";
  DELETE FROM "DoraHistogram";
  FOREACH tbl IN ARRAY ARRAY['Deployment', 'DeploymentChange', 'Incident'] LOOP
    FOREACH q IN ARRAY dora_rollup_statements(tbl) LOOP
      EXECUTE format(q, format('SELECT 1 AS sign, * FROM %I', tbl));
    END LOOP;
  END LOOP;
END
$fn$;

CREATE TRIGGER "Deployment_dora_rollup_ins" AFTER INSERT ON "Deployment" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION dora_rollup_apply();
CREATE TRIGGER "Deployment_dora_rollup_upd" AFTER UPDATE ON "Deployment" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION dora_rollup_apply();
CREATE TRIGGER "Deployment_dora_rollup_del" AFTER DELETE ON "Deployment" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION dora_rollup_apply();
CREATE TRIGGER "Deployment_dora_rollup_trunc" AFTER TRUNCATE ON "Deployment" FOR EACH STATEMENT EXECUTE FUNCTION dora_rollup_truncated();
CREATE TRIGGER "DeploymentChange_dora_rollup_ins" AFTER INSERT ON "DeploymentChange" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION dora_rollup_apply();
CREATE TRIGGER "DeploymentChange_dora_rollup_upd" AFTER UPDATE ON "DeploymentChange" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION dora_rollup_apply();
CREATE TRIGGER "DeploymentChange_dora_rollup_del" AFTER DELETE ON "DeploymentChange" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION dora_rollup_apply();
CREATE TRIGGER "DeploymentChange_dora_rollup_trunc" AFTER TRUNCATE ON "DeploymentChange" FOR EACH STATEMENT EXECUTE FUNCTION dora_rollup_truncated();
CREATE TRIGGER "Incident_dora_rollup_ins" AFTER INSERT ON "Incident" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION dora_rollup_apply();
CREATE TRIGGER "Incident_dora_rollup_upd" AFTER UPDATE ON "Incident" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION dora_rollup_apply();
CREATE TRIGGER "Incident_dora_rollup_del" AFTER DELETE ON "Incident" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION dora_rollup_apply();
CREATE TRIGGER "Incident_dora_rollup_trunc" AFTER TRUNCATE ON "Incident" FOR EACH STATEMENT EXECUTE FUNCTION dora_rollup_truncated();

-- Backfill: the rollups of the history already stored (the triggers above hold the tables' locks until commit).
SELECT dora_rollup_rebuild();
