// prisma/migrations must produce exactly the schema in prisma/schema.prisma: migrate one fresh database with
// the migration files, build another straight from the schema (`prisma migrate diff --from-empty`), and compare
// `pg_dump --schema-only` of both. Hand-written SQL after a migration's "-- pier:not-in-schema" line is applied to
// the second database too.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { Client } from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { migrate, MIGRATIONS_TABLE } from "../server/platform/migrations";
import { databaseUrl, withAdmin } from "./support/test-databases";

const root = path.join(__dirname, "..");
const suffix = Math.random().toString(36).slice(2, 8);
const fromMigrations = `pier_mig_a_${suffix}`;
const fromSchema = `pier_mig_b_${suffix}`;
/** Marks where a migration's hand-written SQL begins (it runs to the end of the file). */
const NOT_IN_SCHEMA = "-- pier:not-in-schema";

function dump(db: string) {
  const out = execFileSync("pg_dump", ["--schema-only", "--no-owner", "--no-privileges", "--exclude-table", MIGRATIONS_TABLE, databaseUrl(db)], {
    encoding: "utf8",
  });
  // Drop comments, blank lines and the dump's session settings: only the objects themselves are compared.
  return out
    .split("\n")
    .filter((l) => l.trim() && !l.startsWith("--") && !l.startsWith("SET ") && !l.startsWith("SELECT pg_catalog") && !l.startsWith("\\"))
    .join("\n");
}

afterAll(async () => {
  await withAdmin(async (c) => {
    for (const db of [fromMigrations, fromSchema]) await c.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
  });
});

describe("migrations", () => {
  it("produce exactly schema.prisma", async () => {
    await withAdmin(async (c) => {
      await c.query(`CREATE DATABASE "${fromMigrations}"`);
      await c.query(`CREATE DATABASE "${fromSchema}"`);
    });
    const result = await migrate(databaseUrl(fromMigrations), path.join(root, "prisma", "migrations"));
    expect(result.applied.length).toBeGreaterThan(0);

    const sql = execFileSync(
      path.join(root, "node_modules", ".bin", "prisma"),
      ["migrate", "diff", "--from-empty", "--to-schema-datamodel", path.join(root, "prisma", "schema.prisma"), "--script"],
      { cwd: root, encoding: "utf8", env: { ...process.env, DATABASE_URL: databaseUrl(fromSchema) }, stdio: ["ignore", "pipe", "ignore"] },
    );
    const client = new Client({ connectionString: databaseUrl(fromSchema) });
    await client.connect();
    await client.query(sql);
    // What schema.prisma cannot express (triggers, functions): each migration's text after its marker line.
    for (const file of readdirSync(path.join(root, "prisma", "migrations")).sort()) {
      const migrationPath = path.join(root, "prisma", "migrations", file, "migration.sql");
      const text = existsSync(migrationPath) ? readFileSync(migrationPath, "utf8") : "";
      const at = text.indexOf(NOT_IN_SCHEMA);
      if (at >= 0) await client.query(text.slice(at));
    }
    await client.end();

    const a = dump(fromMigrations);
    const b = dump(fromSchema);
    expect(a.length).toBeGreaterThan(1000);
    expect(a).toEqual(b);
  });

  it("is idempotent and refuses an edited migration", async () => {
    const again = await migrate(databaseUrl(fromMigrations), path.join(root, "prisma", "migrations"));
    expect(again.applied).toEqual([]);
    const c = new Client({ connectionString: databaseUrl(fromMigrations) });
    await c.connect();
    await c.query(`UPDATE ${MIGRATIONS_TABLE} SET checksum = 'tampered'`);
    await c.end();
    await expect(migrate(databaseUrl(fromMigrations), path.join(root, "prisma", "migrations"))).rejects.toThrow(/was changed after it was applied/);
  });
});
