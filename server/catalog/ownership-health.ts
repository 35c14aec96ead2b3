// Ownership health: services nobody can be reached for, and deprecated services production still leans on.
import type { Db, Tx } from "../db";

export type OwnershipProblem = "team_has_no_members" | "team_has_no_on_call" | "deprecated_but_used_in_production";

export type OwnershipHealthRow = {
  id: string;
  slug: string;
  name: string;
  tier: number;
  lifecycle: string;
  teamSlug: string;
  teamName: string;
  problems: OwnershipProblem[];
  /** For deprecated services: the production services still depending on them. */
  productionDependents: string[];
};

export async function ownershipHealth(db: Db | Tx): Promise<OwnershipHealthRow[]> {
  // One pass in SQL: flags per service, only services with at least one flag come back.
  const rows = await db.$queryRaw<
    (Omit<OwnershipHealthRow, "problems"> & { noMembers: boolean; noOnCall: boolean; productionDependents: string[] })[]
  >`
    SELECT s.id, s.slug, s.name, s.tier, s.lifecycle::text AS lifecycle, t.slug AS "teamSlug", t.name AS "teamName",
           NOT EXISTS (SELECT 1 FROM "TeamMember" m WHERE m."teamId" = t.id) AS "noMembers",
           (coalesce(btrim(t."onCallName"), '') = '' AND coalesce(btrim(t."onCallUrl"), '') = '') AS "noOnCall",
           CASE WHEN s.lifecycle = 'deprecated' THEN coalesce((
             SELECT array_agg(f.slug ORDER BY f.slug) FROM "ServiceDependency" d
             JOIN "Service" f ON f.id = d."fromServiceId"
             WHERE d."toServiceId" = s.id AND f.lifecycle = 'production'), ARRAY[]::text[])
           ELSE ARRAY[]::text[] END AS "productionDependents"
    FROM "Service" s JOIN "Team" t ON t.id = s."teamId"
    ORDER BY s.tier, s.name`;
  const out: OwnershipHealthRow[] = [];
  for (const { noMembers, noOnCall, ...r } of rows) {
    const problems: OwnershipProblem[] = [];
    if (noMembers) problems.push("team_has_no_members");
    if (noOnCall) problems.push("team_has_no_on_call");
    if (r.productionDependents.length) problems.push("deprecated_but_used_in_production");
    if (problems.length) out.push({ ...r, problems });
  }
  return out;
}

export const PROBLEM_LABELS: Record<OwnershipProblem, string> = {
  team_has_no_members: "Owning team has no members",
  team_has_no_on_call: "Owning team has no on-call contact",
  deprecated_but_used_in_production: "Deprecated but production services depend on it",
};
