// `npm run db:seed`: the demo organisation. Safe to run again: every step upserts by natural keys.
import { disconnectDb, getDb } from "../server/db";
import { seedIdentity } from "./seed/identity";

async function main() {
  const db = getDb();
  const started = Date.now();
  await seedIdentity(db);
  console.log(`seeded demo data in ${Date.now() - started} ms`);
}

main()
  .then(() => disconnectDb())
  .catch(async (err) => {
    console.error(err);
    await disconnectDb();
    process.exit(1);
  });
