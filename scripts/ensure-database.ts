// Creates the database in DATABASE_URL if it does not exist yet (used before `prisma migrate diff`).
import { env } from "../server/env";
import { ensureDatabase } from "../server/platform/migrations";

ensureDatabase(env().DATABASE_URL).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
