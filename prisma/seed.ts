// `npm run db:seed`: the demo organisation. Safe to run again: every step upserts by natural keys.
import { disconnectDb, getDb } from "../server/db";
import { closeQueues } from "../server/platform/queues";
import { seedIdentity } from "./seed/identity";
import { seedCatalog } from "./seed/catalog";
import { seedBackstageEntities } from "./seed/backstage-entities";
import { seedCatalogLocations } from "./seed/catalog-locations";
import { seedDeployments, seedPendingRequests } from "./seed/deployments";
import { seedNotifications } from "./seed/notifications";
import { seedDora } from "./seed/dora";
import { seedDeliveryTools } from "./seed/delivery-tools";
import { seedFeatureFlags } from "./seed/feature-flags";
import { seedFleet } from "./seed/fleet";
import { seedImpactQueries } from "./seed/impact";
import { seedDeliverySources } from "./seed/delivery-sources";
import { seedInbox } from "./seed/inbox";
import { seedReleases } from "./seed/releases";
import { seedDeliveryAnalytics } from "./seed/delivery-analytics";
import { seedAlertRules } from "./seed/alert-rules";
import { seedRiskModel } from "./seed/risk-model";

async function main() {
  const db = getDb();
  const started = Date.now();
  const { teamIds } = await seedIdentity(db);
  await seedCatalog(db, teamIds);
  console.log("backstage entities:", await seedBackstageEntities(db));
  console.log("catalog locations:", await seedCatalogLocations(db));
  await seedDeployments(db);
  await seedNotifications(db);
  console.log("dora history:", await seedDora(db));
  console.log("delivery tools:", await seedDeliveryTools(db));
  console.log("feature flags:", await seedFeatureFlags(db));
  console.log("jenkins, jira, custom source:", await seedDeliverySources(db));
  await seedPendingRequests(db);
  console.log("fleet:", await seedFleet(db));
  console.log("impact queries:", await seedImpactQueries(db));
  console.log("inbox items:", await seedInbox(db));
  console.log("releases and drift:", await seedReleases(db));
  console.log("delivery analytics history:", await seedDeliveryAnalytics(db));
  console.log("alert rules:", await seedAlertRules(db));
  console.log("risk model:", await seedRiskModel(db));
  console.log(`seeded demo data in ${Date.now() - started} ms`);
}

// Seeding a rollout or a release queues jobs after their commits (a worker would run them): close those Redis
// connections too, or the process never exits.
const closeAll = () => Promise.all([disconnectDb(), closeQueues()]);

main()
  .then(closeAll)
  .catch(async (err) => {
    console.error(err);
    await closeAll();
    process.exit(1);
  });
