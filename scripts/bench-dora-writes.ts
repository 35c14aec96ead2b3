// npm run bench:dora-writes — what the DORA rollup triggers (migration 20261203032555_dora_day_rollups and its
// successors) cost the projection's writers. One projected event = one transaction through the canonical store as the
// events consumer writes it: a merged change (recordChange), then the deployment of its commit (recordDeployment,
// which links the change), and for 1 in 10 an incident naming that deployment (recordIncident). BENCH_ROUNDS rounds
// (default 4) of BENCH_EVENTS events (default 200) each way, alternating with the rollup triggers disabled and
// enabled (ALTER TABLE … DISABLE/ENABLE TRIGGER on the *_dora_rollup_* triggers only: foreign keys and the other
// triggers stay on), over a scratch database with a small history. Printed per round and way: wall ms per event and
// the Postgres backend's CPU ms per event (from /proc, so it must run on the database's host) — the CPU figure is
// the one to compare on a loaded machine.
import { readFileSync } from "node:fs";
import path from "node:path";
import { Client } from "pg";
import { runSql } from "./bench-support";
import { closeDb, createDb, sql, transaction } from "../server/db";
import { lockServiceHistory, recordChange, recordDeployment, recordIncident } from "../server/dora/canonical";
import { migrate } from "../server/platform/migrations";

const ADMIN_URL = process.env.BENCH_ADMIN_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const DB_NAME = process.env.BENCH_DB ?? "pier_bench_dora_writes";
const dbUrl = ADMIN_URL.replace(/\/[^/]*$/, `/${DB_NAME}`);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 200);
const N_SERVICE = 50;
const TABLES = ["Deployment", "DeploymentChange", "Incident"];
const DAY = 86_400_000;

/** CPU time (user + system, ms) the backend process has used so far; Linux clock ticks are 10 ms. */
const backendCpuMs = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
};

async function main() {
  await runSql(ADMIN_URL, `DROP DATABASE IF EXISTS "${DB_NAME}" WITH (FORCE)`);
  await runSql(ADMIN_URL, `CREATE DATABASE "${DB_NAME}"`);
  await migrate(dbUrl, path.join(__dirname, "..", "prisma", "migrations"));
  const c = new Client({ connectionString: dbUrl });
  await c.connect();
  await c.query(`INSERT INTO "Team"(id, slug, name, "updatedAt") VALUES ('wt', 'bench-team', 'Bench team', now())`);
  await c.query(
    `INSERT INTO "Service"(id, slug, name, "teamId", "updatedAt") SELECT 'ws' || g, 'bench-svc-' || g, 'bench-svc-' || g, 'wt', now() FROM generate_series(1, ${N_SERVICE}) g`,
  );
  await c.query(
    `INSERT INTO "Environment"(id, name, rank, "isProduction") VALUES ('env-dev', 'dev', 10, false), ('env-staging', 'staging', 20, false), ('env-prod', 'prod', 30, true)`,
  );
  const triggers = await c.query<{ table: string; name: string }>(
    `SELECT tgrelid::regclass::text AS table, tgname AS name FROM pg_trigger WHERE tgname LIKE '%\\_dora\\_rollup\\_%' ORDER BY 1, 2`,
  );
  // One connection: every event's statements run in the backend whose CPU is read.
  const db = createDb(dbUrl, 1);
  const backendPid = async () => (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(db.kysely)).rows[0].pid;
  const start = Date.parse("2026-06-01T00:00:00Z");
  let n = 0;
  const event = async () => {
    const i = n++;
    const svc = `bench-svc-${(i % N_SERVICE) + 1}`;
    const at = new Date(start + i * 60_000);
    const sha = (0x10000000 + i).toString(16).padEnd(12, "0");
    await transaction(db, async (tx) => {
      await lockServiceHistory(tx, svc);
      await recordChange(tx, {
        source: "bench",
        externalId: `c${i}`,
        serviceName: svc,
        commitSha: sha,
        mergedAt: new Date(at.getTime() - 3_600_000),
        firstCommitAt: new Date(at.getTime() - DAY),
      });
      const d = await recordDeployment(tx, {
        source: "bench",
        externalId: `d${i}`,
        serviceName: svc,
        environmentName: ["prod", "staging", "dev"][i % 3],
        status: "succeeded",
        deployedAt: at,
        revision: sha,
      });
      if (i % 10 === 0)
        await recordIncident(tx, {
          source: "bench",
          externalId: `i${i}`,
          serviceName: svc,
          environmentName: "prod",
          title: "bench incident",
          detectedAt: new Date(at.getTime() + 600_000),
          resolvedAt: new Date(at.getTime() + 3_600_000),
          deploymentId: d.id,
        });
    });
  };
  const setTriggers = async (on: boolean) => {
    for (const t of triggers.rows) await c.query(`ALTER TABLE ${t.table} ${on ? "ENABLE" : "DISABLE"} TRIGGER "${t.name}"`);
  };
  // A history to write into (and warm-up: plans, caches), with the triggers on.
  for (let i = 0; i < 2 * EVENTS; i++) await event();
  console.log(
    `${triggers.rows.length} rollup triggers on ${TABLES.join(", ")}; ${ROUNDS} rounds × ${EVENTS} events each way (change + deployment, 1 in 10 with an incident)`,
  );
  console.log("round | triggers | wall ms/event | backend CPU ms/event");
  const results: Record<"off" | "on", { wall: number[]; cpu: number[] }> = { off: { wall: [], cpu: [] }, on: { wall: [], cpu: [] } };
  for (let r = 1; r <= ROUNDS; r++) {
    for (const way of ["off", "on"] as const) {
      await setTriggers(way === "on");
      const pid = await backendPid();
      const cpu0 = backendCpuMs(pid);
      const t0 = performance.now();
      for (let i = 0; i < EVENTS; i++) await event();
      const wall = (performance.now() - t0) / EVENTS;
      if ((await backendPid()) !== pid) throw new Error("the pool replaced its connection during a round: re-run");
      const cpu = (backendCpuMs(pid) - cpu0) / EVENTS;
      results[way].wall.push(wall);
      results[way].cpu.push(cpu);
      console.log(`${String(r).padStart(5)} | ${way.padEnd(8)} | ${wall.toFixed(1).padStart(13)} | ${cpu.toFixed(2).padStart(20)}`);
    }
  }
  await setTriggers(true);
  const range = (xs: number[], digits: number) => `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;
  console.log(
    `\ntriggers off: ${range(results.off.wall, 1)} ms/event wall, ${range(results.off.cpu, 2)} ms backend CPU; on: ${range(results.on.wall, 1)} ms wall, ${range(results.on.cpu, 2)} ms backend CPU`,
  );
  const rollup = await c.query(`SELECT (SELECT sum(deployments) FROM "DoraDayRollup")::int AS counted, (SELECT count(*) FROM "Deployment")::int AS rows`);
  console.log(`rollups after re-enabling: ${rollup.rows[0].counted} deployments counted of ${rollup.rows[0].rows} rows (the off rounds are not counted)`);
  await c.end();
  await closeDb(db);
  if (!process.env.BENCH_DB_KEEP) await runSql(ADMIN_URL, `DROP DATABASE IF EXISTS "${DB_NAME}" WITH (FORCE)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
