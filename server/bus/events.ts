// Pier's internal event model: what state changes announce through the transactional outbox.
// Consumers (DORA projection, notification routing, …) subscribe in server/bus/fanout.ts.
// Where a CDEvents type exists, `cdeventType` names it so DORA and external sinks speak the canonical model.
import type { Prisma } from "@/generated/prisma/client";
import type { AnyTx } from "../sql";
import { writeOutbox } from "./outbox";
import { QUEUES } from "../platform/queues";

export const PIER_EVENT_TYPES = [
  "deployment.requested",
  "deployment.approved",
  "deployment.rejected",
  "deployment.expired",
  "deployment.cancelled",
  "deployment.queued",
  "deployment.started",
  "deployment.succeeded",
  "deployment.failed",
  "deployment.rolled_back",
  "deployment.break_glass",
  "approval.recorded",
  "approval.escalation_due",
  "incident.detected",
  "incident.resolved",
  "change.merged",
  "catalog.service_changed",
  "test.event",
] as const;
export type PierEventType = (typeof PIER_EVENT_TYPES)[number];

export const CDEVENT_FOR: Partial<Record<PierEventType, string>> = {
  "deployment.succeeded": "dev.cdevents.service.deployed.0.2.0",
  "deployment.rolled_back": "dev.cdevents.service.rolledback.0.2.0",
  "incident.detected": "dev.cdevents.incident.detected.0.2.0",
  "incident.resolved": "dev.cdevents.incident.resolved.0.2.0",
  "change.merged": "dev.cdevents.change.merged.0.2.0",
};

export type PierEvent = {
  /** Outbox id once written; consumers use it as their idempotency key. */
  id?: string;
  type: PierEventType;
  occurredAt: string;
  /** critical | high | medium | low | info */
  severity: "critical" | "high" | "medium" | "low" | "info";
  subject: {
    service?: { id: string; slug: string; name: string; tier: number; teamId: string; teamSlug: string };
    environment?: { id: string; name: string; isProduction: boolean };
    deploymentRequestId?: string;
    incidentId?: string;
  };
  actor?: { id: string | null; label: string };
  /** Event-specific facts: version, previousVersion, requesterId, eligibleApproverIds, reason, url, … */
  data: Record<string, unknown>;
  /** Flat string labels routing matches on: type, service, team, environment, tier, severity, plus extras. */
  labels: Record<string, string>;
  cdeventType?: string;
};

/** Builds the routing labels every event carries, from its subject. */
export function labelsFor(e: Pick<PierEvent, "type" | "severity" | "subject">, extra: Record<string, string> = {}) {
  const labels: Record<string, string> = { type: e.type, severity: e.severity, ...extra };
  if (e.subject.service) {
    labels.service = e.subject.service.slug;
    labels.team = e.subject.service.teamSlug;
    labels.tier = String(e.subject.service.tier);
  }
  if (e.subject.environment) labels.environment = e.subject.environment.name;
  return labels;
}

/** Writes the event to the outbox inside the caller's transaction (same commit as the state change). */
export async function emitPierEvent(tx: AnyTx, event: Omit<PierEvent, "id" | "labels" | "occurredAt" | "cdeventType"> & {
  labels?: Record<string, string>;
  occurredAt?: string;
}) {
  const full: PierEvent = {
    ...event,
    occurredAt: event.occurredAt ?? new Date().toISOString(),
    labels: labelsFor(event, event.labels),
    cdeventType: CDEVENT_FOR[event.type],
  };
  return writeOutbox(tx, { queue: QUEUES.events, type: event.type, payload: full as unknown as Prisma.InputJsonObject });
}
