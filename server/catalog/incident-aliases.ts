// The names and ids an incident tool uses for a service (a PagerDuty service id, an Opsgenie team's service name…):
// server/dora/catalog-lookup.ts findServiceByIncidentAlias files an incident under the service whose aliases hold
// the tool's id or name. Owners and admins edit them on the service page; each edit is audited with before/after.
import { z } from "zod";
import { sql, transaction, type Db } from "../db";
import { badRequest, notFound } from "../errors";
import { assertCanManageService } from "../identity/access";
import type { SessionUser } from "../identity/roles";
import { recordServiceChange } from "./service-editing";
import { selectServiceSummaries } from "./service-summary";

export const incidentAliasesInput = z.object({
  slug: z.string().min(1),
  aliases: z
    .array(z.string().trim().min(1, "An alias cannot be empty").max(100, "At most 100 characters per alias"))
    .max(20, "At most 20 aliases")
    // The same alias twice is one alias.
    .transform((xs) => [...new Set(xs)]),
});
export type IncidentAliasesInput = z.input<typeof incidentAliasesInput>;

export async function setIncidentAliases(db: Db, user: SessionUser, raw: IncidentAliasesInput) {
  const { slug, aliases } = incidentAliasesInput.parse(raw);
  return transaction(db, async (tx) => {
    // Row lock: two editors of the same service are serialised, so before/after in the audit are exact.
    const service = await selectServiceSummaries(tx).select("s.incidentAliases").where("s.slug", "=", slug).forUpdate("s").executeTakeFirst();
    if (!service) throw notFound(`Service "${slug}"`);
    assertCanManageService(user, service.teamId, `Only admins and members of ${service.team.name} may change this service's incident aliases`);
    // An alias must name one service, or incidents would be filed under whichever the lookup found first.
    const taken = aliases.length
      ? await tx
          .selectFrom("Service")
          .select(["slug", sql<string[]>`ARRAY(SELECT unnest("incidentAliases") INTERSECT SELECT unnest(${aliases}::text[]))`.as("shared")])
          .where("id", "<>", service.id)
          .where(sql<boolean>`"incidentAliases" && ${aliases}::text[]`)
          .executeTakeFirst()
      : undefined;
    if (taken) throw badRequest(`"${taken.shared[0]}" is already an incident alias of ${taken.slug}`, "aliases");
    const { incidentAliases: before, ...summary } = service;
    await tx.updateTable("Service").set({ incidentAliases: aliases, updatedAt: new Date() }).where("id", "=", service.id).execute();
    recordServiceChange(tx, user, summary, "updated", { incidentAliases: before }, { incidentAliases: aliases }, { fields: ["incidentAliases"] });
    return { slug, incidentAliases: aliases };
  });
}
