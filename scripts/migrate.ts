// `npm run db:migrate`: creates the database if needed and applies pending migrations.
import path from "node:path";
import { env } from "../server/env";
import { ensureDatabase, migrate } from "../server/platform/migrations";

async function main() {
  const { DATABASE_URL } = env();
  const created = await ensureDatabase(DATABASE_URL);
  if (created) console.log("created database");
  const result = await migrate(DATABASE_URL, path.join(__dirname, "..", "prisma", "migrations"));
  console.log(`migrations: ${result.applied.length} applied, ${result.alreadyApplied.length} already applied`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
