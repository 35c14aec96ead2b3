// PagerDuty v3 webhooks: signature check (several comma-separated "v1=" signatures during a secret rotation;
// accept if any matches) and translation of the incident events to canonical incidents:
//   incident.triggered                  opens it (detected at data.created_at)
//   incident.resolved                   resolves it at event.occurred_at
//   incident.reopened                   makes it open again from event.occurred_at (a resolution from before then,
//                                       processed late, does not close it again: server/dora/canonical.ts)
//   incident.acknowledged, .unacknowledged, .priority_updated
//                                       no state change: title, service and severity (from the priority) as now
// Every event carries the incident as it is (data.type "incident", PagerDuty's v3 webhook docs), so an incident
// first seen through a later event is still recorded, detected no later than that event.
import { createHmac, timingSafeEqual } from "node:crypto";
import { asDate, eventTime, str, type CanonicalFact } from "./canonical-facts";

export function verifyPagerDutySignature(raw: Uint8Array, header: string | null, secrets: string[]): boolean {
  if (!header) return false;
  const given = header
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.startsWith("v1="))
    .map((s) => Buffer.from(s.slice(3), "hex"))
    .filter((b) => b.length === 32);
  if (given.length === 0) return false;
  return secrets.some((secret) => {
    const expected = createHmac("sha256", secret).update(raw).digest();
    return given.some((g) => timingSafeEqual(expected, g));
  });
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : {});

/** PagerDuty urgency/priority → Pier severity. */
function severityOf(data: Json): string {
  const priority = str(obj(data.priority).summary);
  if (priority && /^P[12]$/i.test(priority)) return priority.toUpperCase() === "P1" ? "critical" : "high";
  if (priority && /^P[345]$/i.test(priority)) return priority.toUpperCase() === "P3" ? "medium" : "low";
  return str(data.urgency) === "low" ? "medium" : "high";
}

export function pagerDutyEventId(payload: Json): string | undefined {
  return str(obj(payload.event).id);
}

export function pagerDutyEventType(payload: Json): string {
  return str(obj(payload.event).event_type) ?? "unknown";
}

/** event.occurred_at, when it is a usable time. */
export function pagerDutyEventTime(payload: Json): Date | null {
  return eventTime(obj(payload.event).occurred_at);
}

const INCIDENT_EVENTS = new Set([
  "incident.triggered",
  "incident.resolved",
  "incident.reopened",
  "incident.acknowledged",
  "incident.unacknowledged",
  "incident.priority_updated",
]);

export function translatePagerDuty(payload: Json): CanonicalFact {
  const event = obj(payload.event);
  const type = str(event.event_type);
  const data = obj(event.data);
  if (!type || !INCIDENT_EVENTS.has(type)) {
    return { kind: "ignored", reason: `PagerDuty ${type ?? "event"} is not used by the metrics` };
  }
  const id = str(data.id);
  if (!id) return { kind: "ignored", reason: "event.data.id is missing" };
  const occurredAt = asDate(event.occurred_at, "event.occurred_at");
  const resolved = type === "incident.resolved";
  return {
    kind: "incident",
    incident: {
      source: "pagerduty",
      externalId: id,
      serviceName: str(obj(data.service).summary) ?? "",
      // PagerDuty's service id: matched to a catalog service's incident aliases or pagerduty.com/service-id.
      serviceRef: str(obj(data.service).id) ?? null,
      title: str(data.title) ?? `PagerDuty incident ${str(data.number) ?? id}`,
      severity: severityOf(data),
      detectedAt: resolved ? undefined : asDate(data.created_at ?? event.occurred_at, "event.data.created_at"),
      resolvedAt: resolved ? occurredAt : null,
      reopenedAt: type === "incident.reopened" ? occurredAt : null,
    },
  };
}
