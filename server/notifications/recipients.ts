// Role-based recipients, resolved when the notification is sent (not when the event was routed), so a changed
// on-call or approver list is honoured. Users' own preferences apply here, except for pages (critical severity or
// PagerDuty), which always go out.
import type { ChannelType } from "@/generated/prisma/enums";
import { anyOf, type DB, type Kysely } from "../db";
import type { PierEventShape } from "../bus/events";
import type { Recipients } from "./channels/channel-types";
import type { RoleRecipient } from "./route-config";

export type ResolvedRecipients = {
  recipients: Recipients;
  /** Users left out because they muted non-critical notifications for this service. */
  muted: { userId: string; name: string }[];
  /** Users who asked for a daily email digest instead of immediate mail (email channels only). */
  dailyDigest: { id: string; name: string; email: string }[];
};

const ids = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);

function isPage(event: Pick<PierEventShape, "severity">, channelType: ChannelType) {
  return event.severity === "critical" || channelType === "pagerduty";
}

export async function resolveRecipients(
  db: Kysely<DB>,
  event: PierEventShape,
  roles: readonly RoleRecipient[],
  channelType: ChannelType,
  onlyUserIds?: string[],
): Promise<ResolvedRecipients> {
  const recipients: Recipients = { oncall: null, users: [] };
  const result: ResolvedRecipients = { recipients, muted: [], dailyDigest: [] };
  const teamId = event.subject.service?.teamId;
  if (roles.includes("owning_team_oncall") && teamId) {
    const team = await db.selectFrom("Team").select(["onCallName", "onCallUrl"]).where("id", "=", teamId).executeTakeFirst();
    if (team?.onCallName) recipients.oncall = { name: team.onCallName, url: team.onCallUrl };
  }
  const wanted = new Map<string, string[]>();
  const want = (id: string, role: string) => wanted.set(id, [...(wanted.get(id) ?? []), role]);
  if (roles.includes("eligible_approvers")) ids(event.data.eligibleApproverIds).forEach((id) => want(id, "eligible_approvers"));
  if (roles.includes("requester") && typeof event.data.requesterId === "string") want(event.data.requesterId, "requester");
  if (onlyUserIds) for (const id of [...wanted.keys()]) if (!onlyUserIds.includes(id)) wanted.delete(id);
  if (wanted.size === 0) return result;

  const users = await db
    .selectFrom("User")
    .select(["id", "name", "email"])
    .where("id", "=", anyOf([...wanted.keys()]))
    .orderBy("name")
    .execute();
  const serviceId = event.subject.service?.id;
  const prefs = isPage(event, channelType)
    ? []
    : await db
        .selectFrom("NotificationPreference")
        .select(["userId", "serviceId", "muteNonCritical", "emailDigest"])
        .where("userId", "=", anyOf(users.map((u) => u.id)))
        .where((eb) => eb.or([eb("serviceId", "is", null), ...(serviceId ? [eb("serviceId", "=", serviceId)] : [])]))
        .execute();
  for (const u of users) {
    const mine = prefs.filter((p) => p.userId === u.id);
    const forService = mine.find((p) => p.serviceId !== null);
    const global = mine.find((p) => p.serviceId === null);
    // A per-service choice wins over the user's general one.
    if ((forService ?? global)?.muteNonCritical) {
      result.muted.push({ userId: u.id, name: u.name });
      continue;
    }
    if (channelType === "email" && global?.emailDigest === "daily" && !onlyUserIds) {
      result.dailyDigest.push(u);
      continue;
    }
    recipients.users.push({ ...u, roles: wanted.get(u.id) ?? [] });
  }
  return result;
}
