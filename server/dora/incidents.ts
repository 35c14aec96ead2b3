// Incidents declared and resolved in the portal (besides those from PagerDuty/CDEvents), and the per-service
// incident timeline: deployments and incidents on one axis ("what shipped just before this incident?").
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { recordAudit } from "../audit/audit-log";
import type { Db, Tx } from "../db";
import { badRequest, notFound } from "../errors";
import { emitPierEvent } from "../bus/events";
import { hasRole, isTeamMember, type SessionUser } from "../identity/roles";
import { lockServiceHistory, recordIncident } from "./canonical";

export const SEVERITIES = ["critical", "high", "medium", "low"] as const;

export const declareIncidentInput = z.object({
  serviceId: z.string().min(1, "Choose the affected service"),
  environment: z.string().min(1).optional(),
  title: z.string().trim().min(3, "Describe the incident in a few words").max(200, "At most 200 characters"),
  severity: z.enum(SEVERITIES).default("high"),
  detectedAt: z.coerce.date().optional(),
});
export type DeclareIncidentInput = z.input<typeof declareIncidentInput>;

const actorOf = (u: SessionUser) => ({ id: u.id, label: u.name });

function assertMayManage(user: SessionUser, teamId: string) {
  if (hasRole(user, "admin") || isTeamMember(user, teamId)) return;
  throw new TRPCError({ code: "FORBIDDEN", message: "Only the owning team or admins can declare or resolve its incidents" });
}

async function loadService(tx: Tx, serviceId: string) {
  const s = await tx.service.findUnique({
    where: { id: serviceId },
    select: { id: true, slug: true, name: true, tier: true, teamId: true, team: { select: { slug: true } } },
  });
  if (!s) throw badRequest("That service does not exist", "serviceId");
  return s;
}

const subjectOf = (s: Awaited<ReturnType<typeof loadService>>) => ({ id: s.id, slug: s.slug, name: s.name, tier: s.tier, teamId: s.teamId, teamSlug: s.team.slug });

export async function declareIncident(db: Db, user: SessionUser, raw: DeclareIncidentInput) {
  const input = declareIncidentInput.parse(raw);
  const detectedAt = input.detectedAt ?? new Date();
  if (detectedAt.getTime() > Date.now() + 60_000) throw badRequest("An incident cannot be detected in the future", "detectedAt");
  return db.$transaction(async (tx) => {
    const service = await loadService(tx, input.serviceId);
    assertMayManage(user, service.teamId);
    const env = input.environment
      ? await tx.environment.findFirst({ where: { name: input.environment }, select: { id: true, name: true, isProduction: true } })
      : await tx.environment.findFirst({ where: { isProduction: true }, orderBy: { rank: "desc" }, select: { id: true, name: true, isProduction: true } });
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
    await recordAudit(tx, { actor: actorOf(user), action: "incident.declared", subjectType: "incident", subjectId: incident.id, after: incident });
    await emitPierEvent(tx, {
      type: "incident.detected",
      severity: input.severity,
      actor: actorOf(user),
      subject: { service: subjectOf(service), environment: env ?? undefined, incidentId: incident.id },
      data: { incidentId: incident.id, title: incident.title, detectedAt: incident.detectedAt.toISOString(), deploymentId: incident.deploymentId },
    });
    return incident;
  });
}

export async function resolveIncident(db: Db, user: SessionUser, input: { incidentId: string; resolvedAt?: Date }) {
  const resolvedAt = input.resolvedAt ?? new Date();
  return db.$transaction(async (tx) => {
    const before = await tx.incident.findUnique({ where: { id: input.incidentId } });
    if (!before) throw notFound("Incident");
    if (!before.serviceId) throw badRequest("This incident names no catalog service; resolve it in the tool that reported it", "incidentId");
    const service = await loadService(tx, before.serviceId);
    assertMayManage(user, service.teamId);
    if (before.resolvedAt) throw badRequest("This incident is already resolved", "incidentId");
    if (resolvedAt < before.detectedAt) throw badRequest("Resolution cannot be before detection", "resolvedAt");
    const after = await tx.incident.update({ where: { id: before.id }, data: { resolvedAt } });
    const env = after.environmentId ? await tx.environment.findUnique({ where: { id: after.environmentId }, select: { id: true, name: true, isProduction: true } }) : null;
    await recordAudit(tx, { actor: actorOf(user), action: "incident.resolved", subjectType: "incident", subjectId: after.id, before, after });
    await emitPierEvent(tx, {
      type: "incident.resolved",
      severity: after.severity as "critical" | "high" | "medium" | "low",
      actor: actorOf(user),
      subject: { service: subjectOf(service), environment: env ?? undefined, incidentId: after.id },
      data: { incidentId: after.id, title: after.title, detectedAt: after.detectedAt.toISOString(), resolvedAt: resolvedAt.toISOString(), restoreSeconds: (resolvedAt.getTime() - after.detectedAt.getTime()) / 1000 },
    });
    return after;
  });
}

export const listIncidentsInput = z.object({
  serviceId: z.string().optional(),
  teamId: z.string().optional(),
  open: z.boolean().optional(),
  take: z.number().int().min(1).max(200).default(50),
});

export async function listIncidents(db: Db | Tx, raw: z.input<typeof listIncidentsInput>) {
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

/** Deployments (all environments) and incidents of one service in a range, oldest first, for the timeline. */
export async function serviceTimeline(db: Db | Tx, serviceId: string, from: Date, to: Date) {
  const [deployments, incidents] = await Promise.all([
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
  ]);
  return { deployments, incidents };
}
