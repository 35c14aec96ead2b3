// Test events: built from a real service/environment, emitted through the outbox so they take exactly the path
// real events take (outbox → events queue → routing → delivery queues). Also builds events for the route test.
import { z } from "zod";
import { recordAudit, type Actor } from "../audit/audit-log";
import { transaction, type Db, type DB, type Kysely } from "../db";
import { env } from "../env";
import { badRequest } from "../errors";
import { emitTestEvent as emitToOutbox, labelsFor, PIER_EVENT_TYPES, type PierEventShape } from "../bus/events";

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

/** Turns a spec into an event with real subject ids (so on-call and approvers resolve like a real event). */
export async function buildEvent(db: Kysely<DB>, spec: EventSpec, actor: Actor): Promise<Omit<PierEventShape, "id">> {
  const s = eventSpecSchema.parse(spec);
  const subject: PierEventShape["subject"] = {};
  if (s.serviceSlug) {
    const svc = await db
      .selectFrom("Service as s")
      .innerJoin("Team as t", "t.id", "s.teamId")
      .select(["s.id", "s.slug", "s.name", "s.tier", "s.teamId", "t.slug as teamSlug"])
      .where("s.slug", "=", s.serviceSlug)
      .executeTakeFirst();
    if (!svc) throw badRequest(`No service with slug "${s.serviceSlug}"`, "serviceSlug");
    subject.service = svc;
  }
  if (s.environment) {
    const e = await db.selectFrom("Environment").select(["id", "name", "isProduction"]).where("name", "=", s.environment).executeTakeFirst();
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
  return transaction(db, async (tx) => {
    const event = await buildEvent(tx, spec, actor);
    // Marked data.test: subscribers that project state skip it.
    const { id } = emitToOutbox(tx, event);
    recordAudit(tx, {
      actor,
      action: "notification.test_event_emitted",
      subjectType: "outbox_event",
      subjectId: id,
      after: { type: event.type, labels: event.labels },
    });
    return { eventId: id, labels: event.labels };
  });
}
