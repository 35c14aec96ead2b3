// The inbox subscriber (listed in server/subscriptions.ts): turns the outbox events that concern someone into items
// in their in-app inbox — an approval they may give, their own request decided or finished, an incident on their
// team's service — in the fan-out's transaction, so each event is handled once (its consumed-marker) and a
// re-delivery adds nothing (the (userId, eventId) key).
import type { Db, Tx } from "../db";
import { isTestEvent } from "../bus/events";
import type { DeliveredEvent } from "../bus/fanout";
import { eligibleApproverIds, type PolicySnapshot } from "../deployments/approval-policy";
import { addInboxItems, resolveInboxItems, type NewInboxItem } from "./inbox-store";

export const INBOX_SUBSCRIBER = "inbox";

export const INBOX_EVENTS = [
  "deployment.requested",
  "deployment.approved",
  "deployment.rejected",
  "deployment.expired",
  "deployment.cancelled",
  "deployment.break_glass",
  "deployment.succeeded",
  "deployment.failed",
  "deployment.rolled_back",
  "incident.detected",
] as const;
type InboxEvent = DeliveredEvent<(typeof INBOX_EVENTS)[number]>;

/** Who hears about an incident: the owning team's members, at most this many (a huge team reads the team channel). */
const MAX_INCIDENT_RECIPIENTS = 200;

const requestPath = (id: string) => `/deployments/${id}`;

async function itemsFor(tx: Tx, e: InboxEvent): Promise<NewInboxItem[]> {
  const at = new Date(e.occurredAt);
  const base = { eventId: e.id, createdAt: at, severity: e.severity };
  const service = e.subject.service;
  const where = `${service?.name ?? "a service"} → ${e.subject.environment?.name ?? "?"}`;
  if (e.type === "incident.detected") {
    if (!service) return [];
    const members = await tx.selectFrom("TeamMember").select("userId").where("teamId", "=", service.teamId).limit(MAX_INCIDENT_RECIPIENTS).execute();
    return members.map((m) => ({
      ...base,
      userId: m.userId,
      kind: "incident",
      title: `Incident on ${service.name}: ${String(e.data.title)}`,
      body: `Severity ${e.severity}`,
      href: `/services/${service.slug}`,
      subject: `incident:${String(e.data.incidentId)}`,
    }));
  }
  // DeliveredEvent<union> does not narrow its data by type: every other event here is about a deployment request.
  const { requestId, version, requesterId } = e.data as DeliveredEvent<"deployment.requested">["data"];
  const subject = `request:${requestId}`;
  const href = requestPath(requestId);
  const mine = (kind: NewInboxItem["kind"], title: string, body = ""): NewInboxItem[] =>
    requesterId === e.actor?.id && kind === "request_decided" ? [] : [{ ...base, userId: requesterId, kind, title, body, href, subject }];
  switch (e.type) {
    case "deployment.requested": {
      if (e.data.status !== "pending_approval" || !service) return [];
      const r = await tx.selectFrom("DeploymentRequest").select("policySnapshot").where("id", "=", requestId).executeTakeFirst();
      if (!r) return [];
      const approvers = await eligibleApproverIds(tx, r.policySnapshot as PolicySnapshot, { requesterId, owningTeamId: service.teamId });
      return approvers.map((userId) => ({
        ...base,
        userId,
        kind: "approval_needed",
        title: `Approval needed: ${where} ${version}`,
        body: `Requested by ${e.actor?.label ?? "someone"}`,
        href,
        subject,
      }));
    }
    case "deployment.approved":
      resolveInboxItems(tx, subject, "approval_needed", at);
      return mine("request_decided", `Approved: ${where} ${version}`, `by ${e.actor?.label ?? "an approver"}`);
    case "deployment.rejected":
      resolveInboxItems(tx, subject, "approval_needed", at);
      return mine("request_decided", `Rejected: ${where} ${version}`, `by ${e.actor?.label ?? "an approver"}`);
    case "deployment.expired":
    case "deployment.cancelled":
    case "deployment.break_glass":
      resolveInboxItems(tx, subject, "approval_needed", at);
      return [];
    case "deployment.succeeded":
      return mine("deployment_finished", `Deployed: ${where} ${version}`);
    case "deployment.failed":
      return mine("deployment_failed", `Failed: ${where} ${version}`, typeof e.data.message === "string" ? e.data.message : "");
    case "deployment.rolled_back":
      return mine("deployment_failed", `Rolled back: ${where} ${version}`);
  }
}

/** The subscriber's handler: every event's items, written with the events' consumed-markers. */
export async function recordInboxItems(tx: Tx, events: InboxEvent[], _db: Db) {
  const items: NewInboxItem[] = [];
  for (const e of events) if (!isTestEvent(e)) items.push(...(await itemsFor(tx, e)));
  addInboxItems(tx, items);
}
