// Demo catalog: 25 services across the four demo teams, with dependencies (including one cycle and a deprecated
// service production still uses, so the impact view and ownership health have something to show) and the
// versions running in dev/staging/prod. Idempotent: upserts by slug; existing rows keep their edits.
import type { Db } from "../../server/db";
import { ensureDefaultEnvironments } from "../../server/catalog/environments";

type SeedService = {
  slug: string;
  name: string;
  team: "payments" | "platform" | "growth" | "data";
  tier: 1 | 2 | 3;
  lifecycle: "experimental" | "production" | "deprecated";
  type: string;
  kind?: "Component" | "Resource";
  language?: string;
  description: string;
  tags: string[];
};

const DEMO_SERVICES: SeedService[] = [
  {
    slug: "checkout-api",
    name: "Checkout API",
    team: "payments",
    tier: 1,
    lifecycle: "production",
    type: "service",
    language: "java",
    description: "Takes orders and card payments for the storefront",
    tags: ["pci", "java", "checkout"],
  },
  {
    slug: "payment-gateway",
    name: "Payment gateway",
    team: "payments",
    tier: 1,
    lifecycle: "production",
    type: "service",
    language: "go",
    description: "Talks to card processors and wallets",
    tags: ["pci", "go"],
  },
  {
    slug: "ledger",
    name: "Ledger",
    team: "payments",
    tier: 1,
    lifecycle: "production",
    type: "service",
    language: "kotlin",
    description: "Double-entry bookkeeping of every money movement",
    tags: ["pci", "finance"],
  },
  {
    slug: "invoicing",
    name: "Invoicing",
    team: "payments",
    tier: 2,
    lifecycle: "production",
    type: "service",
    language: "java",
    description: "Monthly invoices and PDF rendering",
    tags: ["finance"],
  },
  {
    slug: "fraud-scoring",
    name: "Fraud scoring",
    team: "payments",
    tier: 2,
    lifecycle: "experimental",
    type: "service",
    language: "python",
    description: "Scores payments for fraud risk with a gradient-boosted model",
    tags: ["ml", "python"],
  },
  {
    slug: "refunds-worker",
    name: "Refunds worker",
    team: "payments",
    tier: 2,
    lifecycle: "production",
    type: "job",
    language: "go",
    description: "Processes refund requests in batches",
    tags: ["finance", "go"],
  },
  {
    slug: "legacy-billing",
    name: "Legacy billing",
    team: "payments",
    tier: 3,
    lifecycle: "deprecated",
    type: "service",
    language: "php",
    description: "Old billing system, being replaced by invoicing",
    tags: ["finance", "legacy"],
  },
  {
    slug: "api-gateway",
    name: "API gateway",
    team: "platform",
    tier: 1,
    lifecycle: "production",
    type: "service",
    language: "go",
    description: "Edge routing, rate limits and TLS for every public API",
    tags: ["edge", "go"],
  },
  {
    slug: "identity-service",
    name: "Identity service",
    team: "platform",
    tier: 1,
    lifecycle: "production",
    type: "service",
    language: "go",
    description: "Sign-in, sessions and service-to-service tokens",
    tags: ["auth", "go"],
  },
  {
    slug: "feature-flags",
    name: "Feature flags",
    team: "platform",
    tier: 2,
    lifecycle: "production",
    type: "service",
    language: "typescript",
    description: "Flag evaluation and targeting rules",
    tags: ["experiments"],
  },
  {
    slug: "notification-service",
    name: "Notification service",
    team: "platform",
    tier: 2,
    lifecycle: "production",
    type: "service",
    language: "typescript",
    description: "E-mail, SMS and push delivery",
    tags: ["messaging"],
  },
  {
    slug: "ci-runner",
    name: "CI runner",
    team: "platform",
    tier: 3,
    lifecycle: "production",
    type: "job",
    language: "go",
    description: "Build and test runners for every repository",
    tags: ["ci"],
  },
  {
    slug: "postgres-main",
    name: "Main Postgres",
    team: "platform",
    tier: 1,
    lifecycle: "production",
    type: "database",
    kind: "Resource",
    description: "Shared Postgres cluster",
    tags: ["postgres", "database"],
  },
  {
    slug: "kafka",
    name: "Kafka",
    team: "platform",
    tier: 1,
    lifecycle: "production",
    type: "queue",
    kind: "Resource",
    description: "Event streaming backbone",
    tags: ["kafka", "messaging"],
  },
  {
    slug: "web-storefront",
    name: "Web storefront",
    team: "growth",
    tier: 1,
    lifecycle: "production",
    type: "website",
    language: "typescript",
    description: "The customer-facing shop (Next.js)",
    tags: ["react", "typescript"],
  },
  {
    slug: "signup-service",
    name: "Sign-up service",
    team: "growth",
    tier: 2,
    lifecycle: "production",
    type: "service",
    language: "typescript",
    description: "Registration and e-mail verification",
    tags: ["onboarding"],
  },
  {
    slug: "onboarding-emails",
    name: "Onboarding e-mails",
    team: "growth",
    tier: 3,
    lifecycle: "production",
    type: "job",
    language: "python",
    description: "Drip campaigns for new customers",
    tags: ["onboarding", "messaging"],
  },
  {
    slug: "experiments",
    name: "Experiments",
    team: "growth",
    tier: 2,
    lifecycle: "experimental",
    type: "service",
    language: "python",
    description: "A/B test assignment and analysis",
    tags: ["experiments", "python"],
  },
  {
    slug: "recommendations",
    name: "Recommendations",
    team: "growth",
    tier: 2,
    lifecycle: "production",
    type: "service",
    language: "python",
    description: "Product recommendations on the storefront",
    tags: ["ml", "python"],
  },
  {
    slug: "design-system",
    name: "Design system",
    team: "growth",
    tier: 3,
    lifecycle: "production",
    type: "library",
    language: "typescript",
    description: "Shared React components and tokens",
    tags: ["react", "typescript"],
  },
  {
    slug: "event-ingest",
    name: "Event ingest",
    team: "data",
    tier: 2,
    lifecycle: "production",
    type: "service",
    language: "go",
    description: "Collects clickstream and server events",
    tags: ["events", "go"],
  },
  {
    slug: "warehouse-loader",
    name: "Warehouse loader",
    team: "data",
    tier: 2,
    lifecycle: "production",
    type: "job",
    language: "python",
    description: "Loads events into the warehouse every hour",
    tags: ["etl", "python"],
  },
  {
    slug: "reporting-web",
    name: "Reporting",
    team: "data",
    tier: 3,
    lifecycle: "production",
    type: "website",
    language: "typescript",
    description: "Dashboards for finance and growth",
    tags: ["dashboards"],
  },
  {
    slug: "ml-feature-store",
    name: "ML feature store",
    team: "data",
    tier: 2,
    lifecycle: "experimental",
    type: "service",
    language: "python",
    description: "Features for fraud and recommendation models",
    tags: ["ml", "python"],
  },
  {
    slug: "clickstream-etl",
    name: "Clickstream ETL",
    team: "data",
    tier: 3,
    lifecycle: "deprecated",
    type: "job",
    language: "scala",
    description: "Spark jobs replaced by event-ingest",
    tags: ["etl", "legacy"],
  },
];

/** [dependent, dependency, kind] */
const DEMO_DEPENDENCIES: [string, string, "runtime" | "build" | "data"][] = [
  ["web-storefront", "api-gateway", "runtime"],
  ["web-storefront", "recommendations", "runtime"],
  ["web-storefront", "design-system", "build"],
  ["web-storefront", "feature-flags", "runtime"],
  ["api-gateway", "checkout-api", "runtime"],
  ["api-gateway", "identity-service", "runtime"],
  ["identity-service", "feature-flags", "runtime"],
  // A real-world cycle: flags call the gateway for targeting data. The impact view must still terminate.
  ["feature-flags", "api-gateway", "runtime"],
  ["checkout-api", "payment-gateway", "runtime"],
  ["checkout-api", "ledger", "runtime"],
  ["checkout-api", "fraud-scoring", "runtime"],
  ["checkout-api", "postgres-main", "data"],
  ["checkout-api", "kafka", "data"],
  ["payment-gateway", "fraud-scoring", "runtime"],
  ["payment-gateway", "kafka", "data"],
  ["ledger", "postgres-main", "data"],
  ["invoicing", "ledger", "runtime"],
  // Deprecated but still used by a production service: shows up in ownership health.
  ["invoicing", "legacy-billing", "runtime"],
  ["refunds-worker", "ledger", "runtime"],
  ["refunds-worker", "payment-gateway", "runtime"],
  ["signup-service", "identity-service", "runtime"],
  ["signup-service", "onboarding-emails", "runtime"],
  ["onboarding-emails", "notification-service", "runtime"],
  ["experiments", "feature-flags", "runtime"],
  ["recommendations", "ml-feature-store", "runtime"],
  ["fraud-scoring", "ml-feature-store", "runtime"],
  ["ml-feature-store", "warehouse-loader", "data"],
  ["event-ingest", "kafka", "data"],
  ["warehouse-loader", "event-ingest", "data"],
  ["warehouse-loader", "postgres-main", "data"],
  ["reporting-web", "warehouse-loader", "data"],
  ["clickstream-etl", "kafka", "data"],
  ["notification-service", "kafka", "data"],
];

const TEAM_DEPLOYER: Record<SeedService["team"], string> = {
  payments: "demo-priya",
  platform: "demo-alex",
  growth: "demo-dana",
  data: "demo-lee",
};

const DEMO_STARS: [userId: string, slug: string][] = [
  ["demo-dana", "api-gateway"],
  ["demo-lee", "checkout-api"],
];

/** A stable small number per slug, so versions look varied but the seed is deterministic. */
const h = (s: string) => [...s].reduce((a, c) => (a * 31 + c.charCodeAt(0)) >>> 0, 7);

export async function seedCatalog(db: Db, teamIds: Record<string, string>) {
  const envs = await ensureDefaultEnvironments(db);
  const ids: Record<string, string> = {};
  for (const s of DEMO_SERVICES) {
    const { team, kind, ...fields } = s;
    const row = await db.service.upsert({
      where: { slug: s.slug },
      update: {},
      create: {
        ...fields,
        kind: kind ?? "Component",
        teamId: teamIds[team],
        repositoryUrl: kind === "Resource" ? null : `https://github.com/pier-demo/${s.slug}`,
        runbookUrl: s.tier === 1 ? `https://runbooks.example.com/${s.slug}` : null,
        links: [{ title: "Dashboard", url: `https://grafana.example.com/d/${s.slug}` }],
      },
      select: { id: true },
    });
    ids[s.slug] = row.id;
  }
  for (const [from, to, kind] of DEMO_DEPENDENCIES) {
    await db.serviceDependency.upsert({
      where: { fromServiceId_toServiceId: { fromServiceId: ids[from], toServiceId: ids[to] } },
      update: {},
      create: { fromServiceId: ids[from], toServiceId: ids[to], kind },
    });
  }
  // Demo stars (the catalog's "Starred" view): services Dana and Lee keep an eye on beyond their own teams'.
  for (const [userId, slug] of DEMO_STARS) {
    await db.serviceStar.upsert({
      where: { userId_serviceId: { userId, serviceId: ids[slug] } },
      update: {},
      create: { userId, serviceId: ids[slug] },
    });
  }
  const day = 24 * 3600 * 1000;
  for (const s of DEMO_SERVICES) {
    if (s.kind === "Resource") continue;
    const minor = h(s.slug) % 20;
    const patch = h(s.slug + "p") % 9;
    for (const env of envs) {
      // Later environments run older versions: dev is ahead of staging, staging ahead of prod.
      const behind = env.rank >= 30 ? 2 : env.rank >= 20 ? 1 : 0;
      if (s.lifecycle === "experimental" && env.isProduction) continue;
      await db.serviceEnvironment.upsert({
        where: { serviceId_environmentId: { serviceId: ids[s.slug], environmentId: env.id } },
        update: {},
        create: {
          serviceId: ids[s.slug],
          environmentId: env.id,
          currentVersion: `1.${minor + 2 - behind}.${patch}`,
          lastDeployedAt: new Date(Date.now() - (behind * 3 + (h(s.slug) % 3) + 1) * day),
          lastDeployedById: TEAM_DEPLOYER[s.team],
        },
      });
    }
  }
  return { serviceIds: ids, environments: envs };
}
