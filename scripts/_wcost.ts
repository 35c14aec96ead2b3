// throwaway: projection write cost with and without the rollup triggers
import path from "node:path";
import { Client } from "pg";
import { createDb, transaction } from "../server/db";
import { lockServiceHistory, recordChange, recordDeployment, recordIncident } from "../server/dora/canonical";
import { migrate } from "../server/platform/migrations";
const ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres";
const NAME = "pier_s9_wcost";
const url = `postgresql://postgres@127.0.0.1:5432/${NAME}`;
async function q(u: string, t: string) { const c = new Client({ connectionString: u }); await c.connect(); try { return await c.query(t); } finally { await c.end(); } }
async function main() {
  await q(ADMIN, `DROP DATABASE IF EXISTS ${NAME} WITH (FORCE)`); await q(ADMIN, `CREATE DATABASE ${NAME}`);
  await migrate(url, path.join(__dirname, "..", "prisma", "migrations"));
  await q(url, `INSERT INTO "Environment"(id, name, rank, "isProduction") VALUES ('env-prod', 'prod', 30, true)`);
  const db = createDb(url, 2);
  const N = Number(process.env.N ?? 300);
  for (const round of [0, 1, 2, 3]) {
    const on = round % 2 === 1;
    for (const t of ["Deployment", "DeploymentChange", "Incident"]) await q(url, `ALTER TABLE "${t}" ${on ? "ENABLE" : "DISABLE"} TRIGGER USER`);
    const t0 = performance.now();
    for (let i = 0; i < N; i++) {
      const svc = `s${i % 20}`;
      const at = new Date(Date.parse("2026-06-01T00:00:00Z") + (round * N + i) * 60_000);
      await transaction(db, async (tx) => {
        await lockServiceHistory(tx, svc);
        await recordChange(tx, { source: "t", externalId: `r${round}c${i}`, serviceName: svc, commitSha: `abc${round}x${i}`.padEnd(12, "0"), mergedAt: new Date(at.getTime() - 3600_000) });
        await recordDeployment(tx, { source: "t", externalId: `r${round}d${i}`, serviceName: svc, environmentName: "prod", status: "succeeded", deployedAt: at, revision: `abc${round}x${i}`.padEnd(12, "0") });
        if (i % 10 === 0) await recordIncident(tx, { source: "t", externalId: `r${round}i${i}`, serviceName: svc, environmentName: "prod", title: "x", detectedAt: new Date(at.getTime() + 60_000) });
      });
    }
    console.log(`triggers ${on ? "on " : "off"}: ${((performance.now() - t0) / N).toFixed(2)} ms per event (change + deployment, 1 in 10 with an incident)`);
  }
  await db.$disconnect();
  await q(ADMIN, `DROP DATABASE IF EXISTS ${NAME} WITH (FORCE)`);
}
main();
