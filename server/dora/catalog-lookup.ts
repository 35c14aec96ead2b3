// Maps the names outside systems use for services and environments onto catalog rows. Unmatched names are kept
// on the canonical rows as given (serviceId/environmentId null) so the data-quality page can show them.
import type { Tx } from "../db";

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
export async function findService(tx: Tx, rawName: string): Promise<ServiceRef> {
  const name = normaliseServiceName(rawName);
  if (!name) return null;
  // "API Service" (PagerDuty's service summary) → "api-service".
  const slugified = name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  const rows = await tx.$queryRaw<{ id: string; slug: string }[]>`
    SELECT id, slug FROM "Service"
    WHERE slug = lower(${name}) OR lower(name) = lower(${name}) OR slug = ${slugified}
       OR lower("repositoryUrl") LIKE ${"%/" + name.toLowerCase()} OR lower("repositoryUrl") LIKE ${"%/" + name.toLowerCase() + ".git"}
    ORDER BY (slug = lower(${name})) DESC, (lower(name) = lower(${name})) DESC
    LIMIT 1`;
  return rows[0] ?? null;
}

export type EnvironmentRef = { id: string; name: string; isProduction: boolean } | null;

export async function findEnvironment(tx: Tx, rawName: string): Promise<EnvironmentRef> {
  const name = normaliseEnvironmentName(rawName);
  return tx.environment.findFirst({
    where: { name: { equals: name, mode: "insensitive" } },
    select: { id: true, name: true, isProduction: true },
  });
}
