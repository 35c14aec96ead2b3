// Incidents declared and resolved in the portal (besides those from PagerDuty/CDEvents), and the per-service
// incident timeline: deployments and incidents on one axis ("what shipped just before this incident?").
import { z } from "zod";
import { recordAudit } from "../audit/audit-log";
import { transaction, type Db, type Tx } from "../db";
import { badRequest, notFound } from "../errors";
import { emitPierEvent, type Severity } from "../bus/events";
import { actorOf, assertCanManageService } from "../identity/access";
import type { SessionUser } from "../identity/roles";
import { lockServiceHistory, recordIncident } from "./canonical";
import { refreshRework } from "./deployment-facts";

const SEVERITIES = ["critical", "high", "medium", "low"] as const;

export const declareIncidentInput = z.object({
  serviceId: z.string().min(1, "Choose the affected service"),
  environment: z.string().min(1).optional(),
  title: z.string().trim().min(3, "Describe the incident in a few words").max(200, "At most 200 characters"),
  severity: z.enum(SEVERITIES).default("high"),
  detectedAt: z.coerce.date().optional(),
});
export type DeclareIncidentInput = z.input<typeof declareIncidentInput>;

const MAY_MANAGE = "Only the owning team or admins can declare or resolve its incidents";

async function loadService(tx: Tx, serviceId: string) {
  const s = await tx
    .selectFrom("Service as s")
    .innerJoin("Team as t", "t.id", "s.teamId")
    .select(["s.id", "s.slug", "s.name", "s.tier", "s.teamId", "t.slug as teamSlug"])
    .where("s.id", "=", serviceId)
    .executeTakeFirst();
  if (!s) throw badRequest("That service does not exist", "serviceId");
  return s;
}

const environments = (tx: Tx) => tx.selectFrom("Environment").select(["id", "name", "isProduction"]);

export async function declareIncident(db: Db, user: SessionUser, raw: DeclareIncidentInput) {
  const input = declareIncidentInput.parse(raw);
  const detectedAt = input.detectedAt ?? new Date();
  if (detectedAt.getTime() > Date.now() + 60_000) throw badRequest("An incident cannot be detected in the future", "detectedAt");
  return transaction(db, async (tx) => {
    const service = await loadService(tx, input.serviceId);
    assertCanManageService(user, service.teamId, MAY_MANAGE);
    const env = input.environment
      ? await environments(tx).where("name", "=", input.environment).executeTakeFirst()
      : await environments(tx).where("isProduction", "=", true).orderBy("rank", "desc").limit(1).executeTakeFirst();
    if (input.environment && !env) throw badRequest(`Unknown environment "${input.environment}"`, "environment");
    await lockServiceHistory(tx, service.slug);
    const incident = await recordIncident(tx, {
      source: "pier",
      serviceName: service.slug,
      environmentName: env?.name ?? null,
      title: input.title,
      severity: input.severity,
      detectedAt,
      createdById: user.id,
    });
    recordAudit(tx, { actor: actorOf(user), action: "incident.declared", subjectType: "incident", subjectId: incident.id, after: incident });
    emitPierEvent(tx, {
      type: "incident.detected",
      severity: input.severity,
      actor: actorOf(user),
      subject: { service, environment: env, incidentId: incident.id },
      data: { incidentId: incident.id, title: incident.title, detectedAt: incident.detectedAt.toISOString(), deploymentId: incident.deploymentId },
    });
    return incident;
  });
}

export async function resolveIncident(db: Db, user: SessionUser, input: { incidentId: string; resolvedAt?: Date }) {
  const resolvedAt = input.resolvedAt ?? new Date();
  return transaction(db, async (tx) => {
    const before = await tx.selectFrom("Incident").selectAll().where("id", "=", input.incidentId).executeTakeFirst();
    if (!before) throw notFound("Incident");
    if (!before.serviceId) throw badRequest("This incident names no catalog service; resolve it in the tool that reported it", "incidentId");
    const service = await loadService(tx, before.serviceId);
    assertCanManageService(user, service.teamId, MAY_MANAGE);
    if (before.resolvedAt) throw badRequest("This incident is already resolved", "incidentId");
    if (resolvedAt < before.detectedAt) throw badRequest("Resolution cannot be before detection", "resolvedAt");
    await lockServiceHistory(tx, service.slug);
    const after = await tx.updateTable("Incident").set({ resolvedAt }).where("id", "=", before.id).returningAll().executeTakeFirstOrThrow();
    // Deployments after the resolution are no longer rework (server/dora/deployment-facts.ts).
    await refreshRework(tx, [after.serviceId], after.detectedAt);
    const env = after.environmentId ? await environments(tx).where("id", "=", after.environmentId).executeTakeFirst() : undefined;
    recordAudit(tx, { actor: actorOf(user), action: "incident.resolved", subjectType: "incident", subjectId: after.id, before, after });
    emitPierEvent(tx, {
      type: "incident.resolved",
      severity: severityOf(after.severity),
      actor: actorOf(user),
      subject: { service, environment: env, incidentId: after.id },
      data: {
        incidentId: after.id,
        title: after.title,
        detectedAt: after.detectedAt.toISOString(),
        resolvedAt: resolvedAt.toISOString(),
        restoreSeconds: (resolvedAt.getTime() - after.detectedAt.getTime()) / 1000,
      },
    });
    return after;
  });
}

const EVENT_SEVERITIES: readonly Severity[] = ["critical", "high", "medium", "low", "info"];
/** A stored severity as an event severity (a feed may have sent a word of its own: counted as high, the default). */
const severityOf = (stored: string): Severity => EVENT_SEVERITIES.find((s) => s === stored) ?? "high";

export const listIncidentsInput = z.object({
  serviceId: z.string().optional(),
  teamId: z.string().optional(),
  open: z.boolean().optional(),
  take: z.number().int().min(1).max(200).default(50),
});

export async function listIncidents(db: Db, raw: z.input<typeof listIncidentsInput>) {
  const input = listIncidentsInput.parse(raw);
  return db.incident.findMany({
    where: {
      ...(input.serviceId ? { serviceId: input.serviceId } : {}),
      ...(input.teamId ? { service: { teamId: input.teamId } } : {}),
      ...(input.open ? { resolvedAt: null } : {}),
    },
    orderBy: { detectedAt: "desc" },
    take: input.take,
    include: {
      service: { select: { slug: true, name: true, team: { select: { id: true, name: true } } } },
      deployment: { select: { id: true, version: true, deployedAt: true } },
      environment: { select: { name: true } },
    },
  });
}

/** Deployments (all environments), incidents and feature-flag changes of one service in a range, oldest first, for the timeline. */
export async function serviceTimeline(db: Db, serviceId: string, from: Date, to: Date) {
  const [deployments, incidents, flagChanges] = await Promise.all([
    db.deployment.findMany({
      where: { serviceId, deployedAt: { gte: from, lt: to } },
      orderBy: { deployedAt: "asc" },
      take: 500,
      select: { id: true, version: true, status: true, isRollback: true, environmentName: true, deployedAt: true, hasIncident: true, source: true },
    }),
    db.incident.findMany({
      where: { serviceId, detectedAt: { gte: from, lt: to } },
      orderBy: { detectedAt: "asc" },
      take: 200,
      select: { id: true, title: true, severity: true, detectedAt: true, resolvedAt: true, deploymentId: true },
    }),
    db.environmentChange.findMany({
      where: { serviceId, kind: "feature_flag", occurredAt: { gte: from, lt: to } },
      orderBy: { occurredAt: "asc" },
      take: 200,
      select: { id: true, source: true, revision: true, status: true, summary: true, environmentName: true, occurredAt: true },
    }),
  ]);
  return { deployments, incidents, flagChanges: flagChanges.map(({ revision, status, ...c }) => ({ ...c, flagKey: revision, action: status })) };
}
