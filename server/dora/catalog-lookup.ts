// Maps the names outside systems use for services and environments onto catalog rows. Unmatched names are kept
// on the canonical rows as given (serviceId/environmentId null) so the data-quality page can show them.
import { sql, type DB, type Kysely } from "../db";

const ENV_ALIASES: Record<string, string> = {
  production: "prod",
  prd: "prod",
  live: "prod",
  stage: "staging",
  stg: "staging",
  development: "dev",
  develop: "dev",
};

/** "service/payments-api", "payments-api", "acme/payments-api" → "payments-api" (the last path segment). */
export function normaliseServiceName(raw: string): string {
  const trimmed = raw.trim().replace(/\/+$/, "");
  const last = trimmed.split("/").pop() ?? trimmed;
  return last.replace(/\.git$/, "");
}

export function normaliseEnvironmentName(raw: string): string {
  const name = raw.trim().toLowerCase();
  const last = name.split("/").pop() ?? name;
  return ENV_ALIASES[last] ?? last;
}

export type ServiceRef = { id: string; slug: string } | null;

/** Catalog service by slug, then by display name, then by repository URL ending in the name. */
export async function findService(db: Kysely<DB>, rawName: string): Promise<ServiceRef> {
  const name = normaliseServiceName(rawName);
  if (!name) return null;
  // "API Service" (PagerDuty's service summary) → "api-service".
  const slugified = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  const lower = name.toLowerCase();
  const row = await db
    .selectFrom("Service")
    .select(["id", "slug"])
    .where((eb) =>
      eb.or([
        eb("slug", "=", lower),
        eb(eb.fn("lower", ["name"]), "=", lower),
        eb("slug", "=", slugified),
        eb(eb.fn("lower", ["repositoryUrl"]), "like", `%/${lower}`),
        eb(eb.fn("lower", ["repositoryUrl"]), "like", `%/${lower}.git`),
      ]),
    )
    .orderBy((eb) => eb("slug", "=", lower), "desc")
    .orderBy((eb) => eb(eb.fn("lower", ["name"]), "=", lower), "desc")
    .limit(1)
    .executeTakeFirst();
  return row ?? null;
}

export type EnvironmentRef = { id: string; name: string; isProduction: boolean } | null;

/** The catalog environment of that name (any case), after the usual aliases (production → prod, …). */
export async function findEnvironment(db: Kysely<DB>, rawName: string): Promise<EnvironmentRef> {
  const name = normaliseEnvironmentName(rawName);
  const row = await db
    .selectFrom("Environment")
    .select(["id", "name", "isProduction"])
    .where((eb) => eb(eb.fn("lower", ["name"]), "=", name.toLowerCase()))
    .limit(1)
    .executeTakeFirst();
  return row ?? null;
}

/**
 * Catalog service an incident tool's id or name is an alias of: Service.incidentAliases (editable on the service) or
 * the Backstage annotation `pagerduty.com/service-id`. PagerDuty names services freely ("Checkout API"), so its id is
 * the stable key.
 */
export async function findServiceByIncidentAlias(db: Kysely<DB>, ref: string): Promise<ServiceRef> {
  const value = ref.trim();
  if (!value) return null;
  const row = await db
    .selectFrom("Service")
    .select(["id", "slug"])
    .where((eb) => eb.or([sql<boolean>`${value} = ANY("incidentAliases")`, sql<boolean>`annotations->>'pagerduty.com/service-id' = ${value}`]))
    .orderBy("slug")
    .limit(1)
    .executeTakeFirst();
  return row ?? null;
}
