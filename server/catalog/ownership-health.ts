// Ownership health: services nobody can be reached for, and deprecated services production still leans on.
import { sql, type Db } from "../db";

export type OwnershipProblem = "team_has_no_members" | "team_has_no_on_call" | "deprecated_but_used_in_production";

const noText = sql.lit("");
const noSlugs = sql<string[]>`ARRAY[]::text[]`;

/** One pass in SQL: per service, whether its team can be reached and who in production still depends on it. */
function ownershipFlags(db: Db) {
  return db.kysely
    .selectFrom("Service as s")
    .innerJoin("Team as t", "t.id", "s.teamId")
    .select((eb) => [
      "s.id",
      "s.slug",
      "s.name",
      "s.tier",
      "s.lifecycle",
      "t.slug as teamSlug",
      "t.name as teamName",
      eb.not(eb.exists(eb.selectFrom("TeamMember as m").select(sql.lit(1).as("one")).whereRef("m.teamId", "=", "t.id"))).as("noMembers"),
      eb
        .and([
          eb(eb.fn.coalesce(eb.fn<string>("btrim", ["t.onCallName"]), noText), "=", noText),
          eb(eb.fn.coalesce(eb.fn<string>("btrim", ["t.onCallUrl"]), noText), "=", noText),
        ])
        .as("noOnCall"),
      // For deprecated services: the production services still depending on them.
      eb
        .case()
        .when("s.lifecycle", "=", "deprecated")
        .then(
          eb.fn.coalesce(
            eb
              .selectFrom("ServiceDependency as d")
              .innerJoin("Service as f", "f.id", "d.fromServiceId")
              .select((eb) => eb.fn.agg<string[]>("array_agg", ["f.slug"]).orderBy("f.slug").as("slugs"))
              .whereRef("d.toServiceId", "=", "s.id")
              .where("f.lifecycle", "=", "production"),
            noSlugs,
          ),
        )
        .else(noSlugs)
        .end()
        .as("productionDependents"),
    ])
    .orderBy("s.tier")
    .orderBy("s.name");
}

export async function ownershipHealth(db: Db) {
  const rows = await ownershipFlags(db).execute();
  const out = [];
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
