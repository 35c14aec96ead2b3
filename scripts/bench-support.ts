// The benchmarks' scratch databases: one per run, on DATABASE_URL's server, named after the benchmark and this
// process; created and migrated before the run, dropped after it from the maintenance database (the base database
// itself need not exist). Server modules are imported when used, so a benchmark can set its environment first.
import path from "node:path";
import { Client, type QueryResult } from "pg";

const DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/pier";

export type ScratchDatabase = {
  /** The scratch database's URL. */
  url: string;
  name: string;
  /** Creates it (when missing) and applies every migration. */
  create(): Promise<void>;
  /** Drops it, closing any connection still open to it. */
  drop(): Promise<void>;
};

/** `pier_bench_<label>_<pid>` (or `name` as given) on the server of `base` (DATABASE_URL by default). */
export function scratchDatabase(label: string, opts: { name?: string; base?: string } = {}): ScratchDatabase {
  const url = new URL(opts.base ?? process.env.DATABASE_URL ?? DEFAULT_URL);
  const name = opts.name ?? `pier_bench_${label}_${process.pid}`;
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async create() {
      const { ensureDatabase, migrate } = await import("../server/platform/migrations");
      await ensureDatabase(url.toString());
      await migrate(url.toString(), path.join(__dirname, "..", "prisma", "migrations"));
    },
    drop: () => dropDatabase(url.toString()),
  };
}

/** Drops the database `databaseUrl` names, from the same server's maintenance database. */
export async function dropDatabase(databaseUrl: string): Promise<void> {
  const admin = new URL(databaseUrl);
  const name = decodeURIComponent(admin.pathname.slice(1));
  admin.pathname = "/postgres";
  await runSql(admin.toString(), `DROP DATABASE IF EXISTS "${name.replace(/"/g, '""')}" WITH (FORCE)`);
}

/** Runs one SQL text on a connection of its own (CREATE/DROP DATABASE cannot run in a pooled transaction). */
export async function runSql(databaseUrl: string, text: string): Promise<QueryResult> {
  const c = new Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    return await c.query(text);
  } finally {
    await c.end();
  }
}
