// Feature-flag changes as incident suspects: "flags changed on this service in the N hours before it started".
// Flag changes are EnvironmentChange rows of kind feature_flag (written by ./delivery-activity.ts from the Unleash,
// LaunchDarkly and Flagsmith webhooks); a change in another environment than the incident's is not a suspect, one
// whose environment is unknown (or an incident without one) is.
import { sql, type Db } from "../db";

/** How far before an incident's start a flag change is still offered as a suspect, unless the caller says. */
export const FLAG_SUSPECT_HOURS = 6;

export type FlagSuspect = {
  incidentId: string;
  id: string;
  source: string;
  flagKey: string;
  action: string;
  summary: string;
  environmentName: string;
  url: string;
  occurredAt: Date;
};

/** The flag changes offered as suspects for each of `incidentIds` (newest first), keyed by incident id. */
export async function flagSuspectsByIncident(db: Db, incidentIds: string[], hours = FLAG_SUSPECT_HOURS): Promise<Map<string, FlagSuspect[]>> {
  const out = new Map<string, FlagSuspect[]>();
  if (incidentIds.length === 0) return out;
  const rows = await db.kysely
    .selectFrom("Incident as i")
    .innerJoin("EnvironmentChange as c", (j) =>
      j
        .onRef("c.serviceId", "=", "i.serviceId")
        .on("c.kind", "=", "feature_flag")
        .onRef("c.occurredAt", "<=", "i.detectedAt")
        .on(sql<boolean>`c."occurredAt" >= i."detectedAt" - make_interval(hours => ${hours})`)
        .on((eb) => eb.or([eb("i.environmentId", "is", null), eb("c.environmentId", "is", null), eb("c.environmentId", "=", eb.ref("i.environmentId"))])),
    )
    .select([
      "i.id as incidentId",
      "c.id",
      "c.source",
      "c.revision as flagKey",
      "c.status as action",
      "c.summary",
      "c.environmentName",
      "c.url",
      "c.occurredAt",
    ])
    .where("i.id", "in", incidentIds)
    .orderBy("c.occurredAt", "desc")
    .limit(50 * incidentIds.length)
    .execute();
  for (const r of rows) out.set(r.incidentId, [...(out.get(r.incidentId) ?? []), r]);
  return out;
}
