// The service shape other domains (deployments, DORA, incidents, notifications) reuse, and the lookup by slug.
// Keep it small and stable: it is part of the catalog's contract with the rest of Pier.
import { jsonBuildObject } from "kysely/helpers/postgres";
import type { DB, Kysely } from "../db";

/** What every list or card of services shows (of the table aliased `s`). */
export const SERVICE_CARD_COLUMNS = ["s.id", "s.slug", "s.name", "s.description", "s.tier", "s.lifecycle", "s.type", "s.kind"] as const;

/** Services with their owning team, selecting the summary's columns (add `where`, more columns, locks). */
export function selectServiceSummaries(db: Kysely<DB>) {
  return db
    .selectFrom("Service as s")
    .innerJoin("Team as t", "t.id", "s.teamId")
    .select((eb) => [...SERVICE_CARD_COLUMNS, "s.teamId", jsonBuildObject({ id: eb.ref("t.id"), slug: eb.ref("t.slug"), name: eb.ref("t.name") }).as("team")]);
}

export type ServiceSummary = Awaited<ReturnType<ReturnType<typeof selectServiceSummaries>["executeTakeFirstOrThrow"]>>;

/** The service with that slug as a ServiceSummary, or null. */
export async function getServiceBySlug(db: Kysely<DB>, slug: string): Promise<ServiceSummary | null> {
  return (await selectServiceSummaries(db).where("s.slug", "=", slug).executeTakeFirst()) ?? null;
}

/** The `subject.service` part of a Pier event (see server/bus/events.ts). */
export function eventSubjectOf(s: Pick<ServiceSummary, "id" | "slug" | "name" | "tier" | "teamId" | "team">) {
  return { id: s.id, slug: s.slug, name: s.name, tier: s.tier, teamId: s.teamId, teamSlug: s.team.slug };
}
