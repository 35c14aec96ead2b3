// The service shape other domains (deployments, DORA, incidents, notifications) reuse, and the lookup by slug.
// Keep it small and stable: it is part of the catalog's contract with the rest of Pier.
import type { Db, Tx } from "../db";
import { Prisma } from "../db";

export const serviceSummarySelect = {
  id: true,
  slug: true,
  name: true,
  description: true,
  tier: true,
  lifecycle: true,
  type: true,
  kind: true,
  teamId: true,
  team: { select: { id: true, slug: true, name: true } },
} satisfies Prisma.ServiceSelect;

export type ServiceSummary = Prisma.ServiceGetPayload<{ select: typeof serviceSummarySelect }>;

/** The service with that slug as a ServiceSummary, or null. */
export async function getServiceBySlug(db: Db | Tx, slug: string): Promise<ServiceSummary | null> {
  return db.service.findUnique({ where: { slug }, select: serviceSummarySelect });
}

/** The `subject.service` part of a Pier event (see server/bus/events.ts). */
export function eventSubjectOf(s: Pick<ServiceSummary, "id" | "slug" | "name" | "tier" | "teamId" | "team">) {
  return { id: s.id, slug: s.slug, name: s.name, tier: s.tier, teamId: s.teamId, teamSlug: s.team.slug };
}
