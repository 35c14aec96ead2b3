// A user's own notification preferences: mute non-critical notifications per service, and an email digest mode.
// Pages (critical severity, PagerDuty) ignore them — see recipients.ts.
import { z } from "zod";
import { recordAudit, type Actor } from "../audit/audit-log";
import { newId, transaction, type Db } from "../db";
import { badRequest } from "../errors";

export const preferencesInputSchema = z.object({
  emailDigest: z.enum(["immediate", "daily"]),
  muteNonCriticalEverywhere: z.boolean().default(false),
  mutedServiceIds: z.array(z.string().min(1)).max(500).default([]),
});

async function getPreferences(db: Db, userId: string) {
  const rows = await db.notificationPreference.findMany({ where: { userId } });
  const global = rows.find((r) => r.serviceId === null);
  return {
    emailDigest: (global?.emailDigest ?? "immediate") as "immediate" | "daily",
    muteNonCriticalEverywhere: global?.muteNonCritical ?? false,
    mutedServiceIds: rows.filter((r) => r.serviceId !== null && r.muteNonCritical).map((r) => r.serviceId!),
  };
}

/** The preferences form: the user's choices and the services they may mute. */
export async function preferencesForm(db: Db, userId: string) {
  return {
    ...(await getPreferences(db, userId)),
    services: await db.service.findMany({ orderBy: { name: "asc" }, select: { id: true, slug: true, name: true } }),
  };
}

export async function setPreferences(db: Db, actor: Actor & { id: string }, input: z.input<typeof preferencesInputSchema>) {
  const data = preferencesInputSchema.parse(input);
  const known = await db.service.count({ where: { id: { in: data.mutedServiceIds } } });
  if (known !== new Set(data.mutedServiceIds).size) throw badRequest("Pick services that exist", "mutedServiceIds");
  return transaction(db, async (tx) => {
    const before = await tx.selectFrom("NotificationPreference").selectAll().where("userId", "=", actor.id).execute();
    // Replace wholesale: the form always sends the full picture (and NULL serviceId rows are not upsertable). Both
    // writes go with COMMIT: nothing here reads them back.
    const at = new Date();
    tx.deferred.write(tx.deleteFrom("NotificationPreference").where("userId", "=", actor.id));
    tx.deferred.write(
      tx
        .insertInto("NotificationPreference")
        .values([
          { id: newId(), userId: actor.id, serviceId: null, emailDigest: data.emailDigest, muteNonCritical: data.muteNonCriticalEverywhere, updatedAt: at },
          ...[...new Set(data.mutedServiceIds)].map((serviceId) => ({ id: newId(), userId: actor.id, serviceId, muteNonCritical: true, updatedAt: at })),
        ]),
    );
    recordAudit(tx, { actor, action: "notification.preferences_changed", subjectType: "user", subjectId: actor.id, before, after: data });
    return data;
  });
}
