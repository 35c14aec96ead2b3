// The daily rollups (./rollups.ts, kept by triggers) always equal the aggregates of the current rows, for random
// histories written through the projection in shuffled order with resends, late revisions (relinking), failures
// that unlink, rollbacks and incidents linked, re-linked and resolved later; the backfill gives the same rows; and the
// summary read through them equals the summary from raw rows (exactly; percentiles read from the histograms within
// their stated bound).
import { beforeAll, describe, expect, it } from "vitest";
import { getDb, sql, transaction } from "../db";
import { lockServiceHistory, markPreviousRolledBack, recordChange, recordDeployment, recordIncident } from "./canonical";
import { doraSummary } from "./metrics";
import { ensureEnvironments, makeService } from "../../test/support/dora-fixtures";
import { uid } from "../../test/support/factories";

/** A small seeded generator (mulberry32) so a failure can be replayed. */
function rng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BASE = Date.parse("2026-05-01T00:00:00Z");
const HOUR = 3_600_000;

type Step = () => Promise<unknown>;

/** A random history of a few services over ~12 days as a list of projection writes (to be shuffled). */
function history(seed: number, services: string[]) {
  const r = rng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  const steps: Step[] = [];
  const late: Step[] = [];
  const tx = (fn: Parameters<typeof transaction>[1]) => () => transaction(getDb(), fn);
  for (const svc of services) {
    const shas: string[] = [];
    for (let c = 0; c < 14; c++) {
      const mergedAt = new Date(BASE + r() * 12 * 24 * HOUR);
      const sha = `${svc.slice(-6)}c${c}`.padEnd(12, "0");
      shas.push(sha);
      const change = {
        source: "t",
        externalId: `${svc}-c${c}`,
        serviceName: svc,
        commitSha: sha,
        mergedAt,
        firstCommitAt: r() < 0.6 ? new Date(mergedAt.getTime() - r() * 48 * HOUR) : null,
      };
      steps.push(
        tx(async (t) => {
          await lockServiceHistory(t, svc);
          return recordChange(t, change);
        }),
      );
      if (r() < 0.2) late.push(tx((t) => recordChange(t, change))); // resend
    }
    for (let d = 0; d < 16; d++) {
      const deployedAt = new Date(BASE + r() * 13 * 24 * HOUR);
      const kind = r();
      const dep = {
        source: "t",
        externalId: `${svc}-d${d}`,
        serviceName: svc,
        environmentName: pick(["prod", "prod", "staging", "qa-unknown"]),
        status: (r() < 0.1 ? "failed" : "succeeded") as "failed" | "succeeded",
        isRollback: r() < 0.05,
        deployedAt,
        revision: kind < 0.5 ? pick(shas) : null,
        shippedRefs: kind >= 0.5 && kind < 0.7 ? [pick(shas), pick(shas)] : [],
      };
      const write = tx(async (t) => {
        await lockServiceHistory(t, svc);
        return recordDeployment(t, dep);
      });
      steps.push(write);
      if (r() < 0.2) late.push(write); // resend
      if (r() < 0.1) late.push(tx((t) => recordDeployment(t, { ...dep, status: "failed" }))); // turned out failed: unlinks
      if (r() < 0.1)
        late.push(
          tx(async (t) => {
            await lockServiceHistory(t, svc);
            const rollback = await recordDeployment(t, {
              ...dep,
              externalId: `${dep.externalId}-rb`,
              isRollback: true,
              deployedAt: new Date(deployedAt.getTime() + HOUR),
            });
            return markPreviousRolledBack(t, rollback);
          }),
        );
    }
    for (let i = 0; i < 6; i++) {
      const detectedAt = new Date(BASE + r() * 13 * 24 * HOUR);
      const incident = {
        source: "t",
        externalId: `${svc}-i${i}`,
        serviceName: svc,
        environmentName: r() < 0.3 ? null : "prod",
        title: `incident ${i}`,
        detectedAt,
        resolvedAt: r() < 0.5 ? new Date(detectedAt.getTime() + r() * 30 * HOUR) : null,
        version: r() < 0.3 ? pick(shas) : null,
      };
      steps.push(tx((t) => recordIncident(t, incident)));
      // Resolved (or re-linked by evidence) later, possibly before the detection arrives.
      if (r() < 0.5) late.push(tx((t) => recordIncident(t, { ...incident, resolvedAt: new Date(detectedAt.getTime() + (1 + r() * 20) * HOUR) })));
      if (r() < 0.2) late.push(tx((t) => recordIncident(t, { ...incident, version: pick(shas) })));
    }
  }
  const all = [...steps, ...late];
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [all[i], all[j]] = [all[j], all[i]];
  }
  return all;
}

/** The rollups as stored (slots summed, all-zero rows and buckets left out). */
async function storedRollups() {
  const db = getDb().kysely;
  const { rows: counts } = await sql`
    SELECT "environmentId", day::text, sum(deployments)::int AS deployments, sum(failures)::int AS failures, sum("outDeployments")::int AS out,
           sum(rework)::int AS rework, sum(changes)::int AS changes, sum("firstCommit")::int AS first_commit, sum("mergeStart")::int AS merge_start,
           sum(listed)::int AS listed, sum(revision)::int AS revision, sum("mergeOrder")::int AS merge_order, sum(incidents)::int AS incidents,
           sum(resolved)::int AS resolved, sum(evidence)::int AS evidence, sum(heuristic)::int AS heuristic, sum(unlinked)::int AS unlinked
    FROM "DoraDayRollup" GROUP BY 1, 2
    HAVING sum(deployments) <> 0 OR sum("outDeployments") <> 0 OR sum(rework) <> 0 OR sum(changes) <> 0 OR sum(incidents) <> 0
    ORDER BY 1, 2`.execute(db);
  const { rows: histogram } = await sql`
    SELECT "environmentId", grain, day::text, metric, bucket, count FROM "DoraHistogram" WHERE count <> 0 ORDER BY 1, 2, 3, 4, 5`.execute(db);
  return { counts, histogram };
}

/** The same aggregates written directly over the rows (the definitions in ./metrics.ts and ./pier-details.ts). */
async function directRollups() {
  const db = getDb().kysely;
  const { rows: counts } = await sql`
    WITH d AS (
      SELECT COALESCE("environmentId", '') AS env, "deployedAt"::date AS day,
             count(*) FILTER (WHERE status IN ('succeeded', 'rolled_back') AND NOT "isRollback")::int AS deployments,
             count(*) FILTER (WHERE status IN ('succeeded', 'rolled_back') AND NOT "isRollback" AND (status = 'rolled_back' OR "hasIncident"))::int AS failures,
             count(*) FILTER (WHERE status IN ('succeeded', 'rolled_back'))::int AS out,
             count(*) FILTER (WHERE status IN ('succeeded', 'rolled_back') AND "isRework")::int AS rework
      FROM "Deployment" GROUP BY 1, 2),
    c AS (
      SELECT COALESCE("environmentId", '') AS env, "deployedAt"::date AS day, count(*)::int AS changes,
             count(*) FILTER (WHERE "startKind" = 'first_commit')::int AS first_commit, count(*) FILTER (WHERE "startKind" = 'merge')::int AS merge_start,
             count(*) FILTER (WHERE "linkedBy" = 'listed')::int AS listed, count(*) FILTER (WHERE "linkedBy" = 'revision')::int AS revision,
             count(*) FILTER (WHERE "linkedBy" = 'merge_order')::int AS merge_order
      FROM "DeploymentChange" GROUP BY 1, 2),
    i AS (
      SELECT COALESCE("environmentId", '') AS env, "detectedAt"::date AS day, count(*)::int AS incidents, count("resolvedAt")::int AS resolved,
             count(*) FILTER (WHERE "linkReason" IN ('deployment', 'version', 'commit', 'manual') AND "deploymentId" IS NOT NULL)::int AS evidence,
             count(*) FILTER (WHERE "linkReason" = 'window' AND "deploymentId" IS NOT NULL)::int AS heuristic,
             count(*) FILTER (WHERE "deploymentId" IS NULL)::int AS unlinked
      FROM "Incident" GROUP BY 1, 2),
    k AS (SELECT env, day FROM d UNION SELECT env, day FROM c UNION SELECT env, day FROM i)
    SELECT k.env AS "environmentId", k.day::text, COALESCE(d.deployments, 0) AS deployments, COALESCE(d.failures, 0) AS failures, COALESCE(d.out, 0) AS out,
           COALESCE(d.rework, 0) AS rework, COALESCE(c.changes, 0) AS changes, COALESCE(c.first_commit, 0) AS first_commit,
           COALESCE(c.merge_start, 0) AS merge_start, COALESCE(c.listed, 0) AS listed, COALESCE(c.revision, 0) AS revision,
           COALESCE(c.merge_order, 0) AS merge_order, COALESCE(i.incidents, 0) AS incidents, COALESCE(i.resolved, 0) AS resolved,
           COALESCE(i.evidence, 0) AS evidence, COALESCE(i.heuristic, 0) AS heuristic, COALESCE(i.unlinked, 0) AS unlinked
    FROM k LEFT JOIN d USING (env, day) LEFT JOIN c USING (env, day) LEFT JOIN i USING (env, day)
    WHERE COALESCE(d.deployments, 0) <> 0 OR COALESCE(d.out, 0) <> 0 OR COALESCE(d.rework, 0) <> 0 OR COALESCE(c.changes, 0) <> 0 OR COALESCE(i.incidents, 0) <> 0
    ORDER BY 1, 2`.execute(db);
  const { rows: histogram } = await sql<{ metric: string }>`
    WITH v AS (
      SELECT COALESCE("environmentId", '') AS env, 'lead' AS metric, "deployedAt" AS at, dora_bucket("leadTimeSeconds") AS bucket FROM "DeploymentChange"
      UNION ALL
      SELECT COALESCE("environmentId", ''), 'restore', "detectedAt", dora_bucket(EXTRACT(EPOCH FROM "resolvedAt" - "detectedAt")::float8)
      FROM "Incident" WHERE "resolvedAt" IS NOT NULL
      UNION ALL
      SELECT COALESCE("environmentId", ''), 'recovery', "deployedAt", dora_bucket(EXTRACT(EPOCH FROM "nextGoodDeployedAt" - "deployedAt")::float8)
      FROM "Deployment" WHERE status IN ('succeeded', 'rolled_back') AND NOT "isRollback" AND (status = 'rolled_back' OR "hasIncident") AND "nextGoodDeployedAt" IS NOT NULL)
    SELECT env AS "environmentId", grain, day::text, metric, bucket, count(*)::int AS count FROM (
      SELECT env, 'day' AS grain, at::date AS day, metric, bucket FROM v
      UNION ALL
      SELECT env, 'week', date_trunc('week', at)::date, metric, bucket FROM v) x
    GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5`.execute(db);
  return { counts, histogram };
}

/** Within the histogram's bound: 0.99 % of the value, or under a second for values below one. */
function expectClose(actual: number | null, expected: number | null) {
  if (expected === null) return expect(actual).toBeNull();
  expect(actual).not.toBeNull();
  expect(Math.abs(actual! - expected)).toBeLessThanOrEqual(0.0099 * Math.abs(expected) + 1);
}

beforeAll(async () => {
  await ensureEnvironments();
});

describe("DORA daily rollups", () => {
  it("equal the aggregates of the rows after random out-of-order histories with resends and relinks, and the backfill agrees", async () => {
    for (const seed of [1, 2, 3]) {
      const services = [`roll-${uid()}`, `roll-${uid()}`, `roll-${uid()}`];
      for (const s of services) await makeService(undefined, s);
      for (const step of history(seed, services)) await step();
      const direct = await directRollups();
      expect(direct.counts.length).toBeGreaterThan(5);
      expect(direct.histogram.some((h) => h.metric === "lead")).toBe(true);
      expect(direct.histogram.some((h) => h.metric === "restore")).toBe(true);
      expect(await storedRollups()).toEqual(direct);
    }
    await sql`SELECT dora_rollup_rebuild()`.execute(getDb().kysely);
    expect(await storedRollups()).toEqual(await directRollups());
  });

  it("give the same summary as the raw rows for whole days and for ranges with partial days", async () => {
    const r = rng(7);
    for (let k = 0; k < 6; k++) {
      // The first range is whole UTC days (no partial edges); the others cut days and weeks at random minutes.
      const from = k === 0 ? new Date(BASE + 24 * HOUR) : new Date(BASE + Math.floor(r() * 5 * 24) * HOUR + Math.floor(r() * 60) * 60_000);
      const to = k === 0 ? new Date(BASE + 11 * 24 * HOUR) : new Date(from.getTime() + (1 + r() * 11) * 24 * HOUR);
      const raw = await doraSummary(getDb(), { from, to, rollups: { rollups: false } });
      expect(raw.current.deployments).toBeGreaterThan(0);
      // Few values: percentiles exact from the rows, so the whole summary is identical.
      expect(await doraSummary(getDb(), { from, to })).toEqual(raw);
      // Every percentile from the histograms: counts identical, percentiles within the bound.
      const hist = await doraSummary(getDb(), { from, to, rollups: { exactLimit: 0 } });
      expect(hist.details).toEqual({ ...raw.details, recoveryP50: hist.details!.recoveryP50 });
      expectClose(hist.details!.recoveryP50, raw.details!.recoveryP50);
      for (const period of ["current", "previous"] as const) {
        const { leadTimeP50, leadTimeP90, restoreP50, restoreP90, recoveryP50, ...counts } = hist[period];
        const { leadTimeP50: l50, leadTimeP90: l90, restoreP50: r50, restoreP90: r90, recoveryP50: rec, ...rawCounts } = raw[period];
        expect(counts).toEqual(rawCounts);
        expectClose(leadTimeP50, l50);
        expectClose(leadTimeP90, l90);
        expectClose(restoreP50, r50);
        expectClose(restoreP90, r90);
        expectClose(recoveryP50, rec);
      }
    }
  });
});
