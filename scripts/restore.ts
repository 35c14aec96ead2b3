// `npm run db:restore -- <dump> [--json]`: loads a pg_dump custom-format dump (scripts/backup.sh) into a fresh
// database (DATABASE_URL; created if missing, refused if it already holds tables), applies the migrations the dump
// predates, verifies the audit chain and prints the row count of every table. Exits non-zero if any step fails or
// the chain does not verify. Needs pg_restore (PostgreSQL client ≥ the server's major version) on PATH.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { Client } from "pg";
import { verifyAuditChain } from "../server/audit/audit-log";
import { closeDb, createDb, sql } from "../server/db";
import { env } from "../server/env";
import { ensureDatabase, migrate } from "../server/platform/migrations";

async function tablesIn(databaseUrl: string): Promise<string[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
    return rows.map((r) => r.name);
  } finally {
    await client.end();
  }
}

async function main() {
  const args = process.argv.slice(2);
  const json = args.includes("--json");
  const dump = args.find((a) => !a.startsWith("--"));
  if (!dump || !existsSync(dump)) throw new Error(`usage: npm run db:restore -- <dump file> [--json]${dump ? ` (no file ${dump})` : ""}`);
  const url = env().DATABASE_URL;
  const target = new URL(url).pathname.slice(1);
  const started = Date.now();

  const created = await ensureDatabase(url);
  const existing = await tablesIn(url);
  if (existing.length > 0)
    throw new Error(`database "${target}" is not empty (${existing.length} tables): restore only into a fresh database (set DATABASE_URL to a new name)`);

  // One transaction: a dump that fails half-way leaves the database empty, not half-restored.
  execFileSync("pg_restore", ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", `--dbname=${url}`, dump], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  const migrations = await migrate(url, path.join(__dirname, "..", "prisma", "migrations"));

  const db = createDb(url, 2);
  try {
    const audit = await verifyAuditChain(db);
    const counts: Record<string, number> = {};
    for (const table of await tablesIn(url)) {
      const { rows } = await sql<{ n: string }>`SELECT count(*)::text AS n FROM ${sql.table(table)}`.execute(db.kysely);
      counts[table] = Number(rows[0].n);
    }
    const seconds = (Date.now() - started) / 1000;
    const summary = {
      database: target,
      created,
      migrationsApplied: migrations.applied,
      audit: audit.ok
        ? { ok: true, checked: audit.checked }
        : { ok: false, checked: audit.checked, brokenAtSeq: String(audit.brokenAtSeq), problem: audit.problem },
      counts,
      seconds,
    };
    if (json) console.log(JSON.stringify(summary));
    else {
      const width = Math.max(...Object.keys(counts).map((t) => t.length));
      for (const [table, n] of Object.entries(counts)) console.log(`  ${table.padEnd(width)}  ${n}`);
      console.log(`migrations applied after the dump: ${migrations.applied.length ? migrations.applied.join(", ") : "none"}`);
      console.log(
        audit.ok
          ? `audit chain verified: ${audit.checked} records`
          : `AUDIT CHAIN BROKEN at seq ${audit.brokenAtSeq} (${audit.problem}) after ${audit.checked} good records`,
      );
      console.log(`restored into "${target}" in ${seconds.toFixed(1)} s`);
    }
    if (!audit.ok) process.exitCode = 2;
  } finally {
    await closeDb(db);
  }
}

main().catch((err) => {
  console.error(`restore failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
