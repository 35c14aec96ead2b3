// Disaster recovery, exercised: seed this file's throw-away database with the demo organisation (prisma/seed.ts),
// back it up with scripts/backup.sh (pg_dump, custom format), restore it with `npm run db:restore` (scripts/restore.ts)
// into a database that does not exist yet, and compare: the audit chain verifies with as many records as the source,
// and every table holds as many rows. A restore over a non-empty database is refused; a dump whose audit log was
// tampered with restores but fails the verification (exit 2).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { verifyAuditChain } from "../server/audit/audit-log";
import { getDb } from "../server/db";
import { databaseUrl, withAdmin } from "./support/test-databases";

const root = path.join(__dirname, "..");
const tsx = path.join(root, "node_modules", ".bin", "tsx");
const dir = mkdtempSync(path.join(tmpdir(), "pier-backup-"));
const suffix = Math.random().toString(36).slice(2, 8);
const restored = `pier_restore_${suffix}`;
const tampered = `pier_restore_bad_${suffix}`;

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await withAdmin(async (c) => {
    for (const db of [restored, tampered]) await c.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
  });
});

async function countRows(url: string): Promise<Record<string, number>> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
    const counts: Record<string, number> = {};
    for (const { name } of rows) counts[name] = Number((await client.query(`SELECT count(*) AS n FROM "${name}"`)).rows[0].n);
    return counts;
  } finally {
    await client.end();
  }
}

const backup = (url: string) =>
  execFileSync("bash", [path.join(root, "scripts", "backup.sh"), dir], { env: { ...process.env, DATABASE_URL: url }, encoding: "utf8" }).trim();
const restore = (dump: string, url: string) =>
  spawnSync(tsx, [path.join(root, "scripts", "restore.ts"), dump, "--json"], {
    env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: "silent" },
    encoding: "utf8",
  });

describe("backup and restore", () => {
  it("restores a seeded database into a fresh one with the audit chain intact and every row count equal", async () => {
    const source = process.env.DATABASE_URL!;
    execFileSync(tsx, [path.join(root, "prisma", "seed.ts")], { env: { ...process.env, LOG_LEVEL: "silent" }, stdio: "pipe" });
    const sourceChain = await verifyAuditChain(getDb());
    expect(sourceChain.ok).toBe(true);
    expect(sourceChain.checked).toBeGreaterThan(0);
    const sourceCounts = await countRows(source);

    const dump = backup(source);
    expect(dump).toMatch(/pier-\d{8}T\d{6}Z\.dump$/);

    const run = restore(dump, databaseUrl(restored));
    expect(run.status, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
    expect(summary.created).toBe(true);
    expect(summary.migrationsApplied).toEqual([]);
    expect(summary.audit).toEqual({ ok: true, checked: sourceChain.checked });
    expect(summary.counts).toEqual(sourceCounts);
    expect(summary.counts.User).toBeGreaterThan(0);
    expect(summary.counts.Service).toBeGreaterThan(0);
    // What the script printed is what is in the restored database.
    expect(await countRows(databaseUrl(restored))).toEqual(sourceCounts);

    // A second restore into the same (now populated) database is refused and changes nothing.
    const again = restore(dump, databaseUrl(restored));
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/is not empty/);
    expect(await countRows(databaseUrl(restored))).toEqual(sourceCounts);
  }, 300_000);

  it("reports a tampered audit log in the dump: the restore exits 2 naming the broken record", async () => {
    // Rewrite one audit record behind the append-only trigger's back (as a superuser could), then back that up.
    const client = new Client({ connectionString: databaseUrl(restored) });
    await client.connect();
    try {
      await client.query("SET session_replication_role = replica");
      const { rows } = await client.query<{ seq: string }>(
        `UPDATE "AuditEvent" SET "actorLabel" = 'someone else' WHERE seq = (SELECT min(seq) FROM "AuditEvent") RETURNING seq`,
      );
      expect(rows).toHaveLength(1);
      const dump = backup(databaseUrl(restored));
      const run = restore(dump, databaseUrl(tampered));
      expect(run.status, run.stderr).toBe(2);
      const summary = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
      expect(summary.audit).toMatchObject({ ok: false, problem: "modified", brokenAtSeq: rows[0].seq });
    } finally {
      await client.end();
    }
  }, 200_000);
});
