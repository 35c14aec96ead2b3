// Test events: built from a real service/environment, emitted through emitPierEvent so they take exactly the path
// real events take (outbox → events queue → routing → delivery queues). Also builds events for the route test.
import { z } from "zod";
import { recordAudit, type Actor } from "../audit/audit-log";
import type { Db, Tx } from "../db";
import { env } from "../env";
import { badRequest } from "../errors";
import { emitPierEvent, labelsFor, PIER_EVENT_TYPES, type PierEvent } from "../bus/events";

export const SEVERITIES = ["critical", "high", "medium", "low", "info"] as const;

export const eventSpecSchema = z.object({
  type: z.enum(PIER_EVENT_TYPES),
  severity: z.enum(SEVERITIES).default("info"),
  serviceSlug: z.string().trim().max(100).optional(),
  environment: z.string().trim().max(100).optional(),
  /** Extra labels to match on (e.g. region=eu). */
  labels: z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_.]*$/), z.string().max(200)).default({}),
  data: z.record(z.string(), z.unknown()).default({}),
});
export type EventSpec = z.input<typeof eventSpecSchema>;

/** Turns a spec into a PierEvent with real subject ids (so on-call and approvers resolve like a real event). */
export async function buildEvent(db: Db | Tx, spec: EventSpec, actor: Actor): Promise<Omit<PierEvent, "id">> {
  const s = eventSpecSchema.parse(spec);
  const subject: PierEvent["subject"] = {};
  if (s.serviceSlug) {
    const svc = await db.service.findUnique({ where: { slug: s.serviceSlug }, include: { team: { select: { slug: true } } } });
    if (!svc) throw badRequest(`No service with slug "${s.serviceSlug}"`, "serviceSlug");
    subject.service = { id: svc.id, slug: svc.slug, name: svc.name, tier: svc.tier, teamId: svc.teamId, teamSlug: svc.team.slug };
  }
  if (s.environment) {
    const e = await db.environment.findUnique({ where: { name: s.environment } });
    if (!e) throw badRequest(`No environment named "${s.environment}"`, "environment");
    subject.environment = { id: e.id, name: e.name, isProduction: e.isProduction };
  }
  if (typeof s.data.deploymentRequestId === "string") subject.deploymentRequestId = s.data.deploymentRequestId;
  const base = env().PIER_BASE_URL.replace(/\/+$/, "");
  const data = {
    summary: `Test event sent by ${actor.label}`,
    requesterId: actor.id ?? undefined,
    url: subject.service ? `${base}/services/${subject.service.slug}` : `${base}/admin/notifications`,
    ...s.data,
  };
  const event = { type: s.type, severity: s.severity, subject, actor, data, occurredAt: new Date().toISOString() };
  return { ...event, labels: labelsFor(event, s.labels) };
}

export async function emitTestEvent(db: Db, actor: Actor, spec: EventSpec) {
  return db.$transaction(async (tx) => {
    const event = await buildEvent(tx, spec, actor);
    const { id } = await emitPierEvent(tx, { ...event, data: { ...event.data, test: true } });
    await recordAudit(tx, { actor, action: "notification.test_event_emitted", subjectType: "outbox_event", subjectId: id, after: { type: event.type, labels: event.labels } });
    return { eventId: id, labels: event.labels };
  });
}
