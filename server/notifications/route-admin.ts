// Routes, silences and templates: admin configuration, each change audited in its own transaction.
import { z } from "zod";
import { recordAudit, type Actor } from "../audit/audit-log";
import { Prisma, type Db, type Tx } from "../db";
import { badRequest, notFound } from "../errors";
import { CHANNEL_TYPES } from "./channels/channel-types";
import { matchersSchema } from "./matchers";
import { routeInputSchema, toRouteConfig, type RouteInput } from "./route-config";
import { assertValidTemplate } from "./templates";

const json = (v: unknown) => (v === null ? Prisma.DbNull : (v as Prisma.InputJsonValue));

async function assertChannelsExist(tx: Tx, ids: string[], field: string) {
  if (ids.length === 0) return;
  const found = await tx.notificationChannel.count({ where: { id: { in: ids } } });
  if (found !== new Set(ids).size) throw badRequest("Pick channels that exist", field);
}

function checkRoute(data: z.output<typeof routeInputSchema>) {
  if (data.channelIds.length === 0) throw badRequest("Pick at least one channel", "channelIds");
  if (data.escalation && data.escalation.channelIds.length === 0) throw badRequest("Pick the channel(s) an escalation goes to", "escalation.channelIds");
}

export async function listRoutes(db: Db | Tx) {
  return (await db.notificationRoute.findMany({ orderBy: [{ position: "asc" }, { createdAt: "asc" }] })).map(toRouteConfig);
}

export async function createRoute(db: Db, actor: Actor, input: RouteInput) {
  const data = routeInputSchema.parse(input);
  checkRoute(data);
  return db.$transaction(async (tx) => {
    await assertChannelsExist(tx, [...data.channelIds, ...(data.escalation?.channelIds ?? [])], "channelIds");
    const last = await tx.notificationRoute.aggregate({ _max: { position: true } });
    const row = await tx.notificationRoute.create({
      data: { ...data, position: (last._max.position ?? 0) + 10, quietHours: json(data.quietHours), escalation: json(data.escalation) },
    });
    await recordAudit(tx, { actor, action: "notification.route_created", subjectType: "notification_route", subjectId: row.id, after: row });
    return toRouteConfig(row);
  });
}

export async function updateRoute(db: Db, actor: Actor, id: string, input: RouteInput) {
  const data = routeInputSchema.parse(input);
  checkRoute(data);
  return db.$transaction(async (tx) => {
    const before = await tx.notificationRoute.findUnique({ where: { id } });
    if (!before) throw notFound("Route");
    await assertChannelsExist(tx, [...data.channelIds, ...(data.escalation?.channelIds ?? [])], "channelIds");
    const row = await tx.notificationRoute.update({
      where: { id },
      data: { ...data, quietHours: json(data.quietHours), escalation: json(data.escalation) },
    });
    await recordAudit(tx, { actor, action: "notification.route_updated", subjectType: "notification_route", subjectId: id, before, after: row });
    return toRouteConfig(row);
  });
}

export async function deleteRoute(db: Db, actor: Actor, id: string) {
  return db.$transaction(async (tx) => {
    const before = await tx.notificationRoute.findUnique({ where: { id } });
    if (!before) throw notFound("Route");
    await tx.notificationRoute.delete({ where: { id } });
    await recordAudit(tx, { actor, action: "notification.route_deleted", subjectType: "notification_route", subjectId: id, before });
    return { id };
  });
}

/** Moves a route one place up or down by swapping positions with its neighbour (order = evaluation order). */
export async function moveRoute(db: Db, actor: Actor, id: string, direction: "up" | "down") {
  return db.$transaction(async (tx) => {
    // Serialise reorders so two admins cannot interleave swaps into duplicate positions.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(7401)`;
    const routes = await tx.notificationRoute.findMany({ orderBy: [{ position: "asc" }, { createdAt: "asc" }], select: { id: true, position: true } });
    const i = routes.findIndex((r) => r.id === id);
    if (i < 0) throw notFound("Route");
    const j = direction === "up" ? i - 1 : i + 1;
    if (j < 0 || j >= routes.length) return listRoutes(tx);
    [routes[i], routes[j]] = [routes[j], routes[i]];
    for (const [k, r] of routes.entries()) await tx.notificationRoute.update({ where: { id: r.id }, data: { position: (k + 1) * 10 } });
    await recordAudit(tx, { actor, action: "notification.route_moved", subjectType: "notification_route", subjectId: id, after: { direction, order: routes.map((r) => r.id) } });
    return listRoutes(tx);
  });
}

// ── silences ──

export const silenceInputSchema = z
  .object({
    matchers: matchersSchema.min(1, "a silence needs at least one matcher"),
    startsAt: z.coerce.date(),
    endsAt: z.coerce.date(),
    reason: z.string().trim().min(3, "say why (at least 3 characters)").max(500),
  })
  .refine((s) => s.endsAt > s.startsAt, { path: ["endsAt"], message: "must be after the start" });

export async function listSilences(db: Db | Tx, now: Date) {
  // Expired silences older than a week are history nobody needs in the list.
  const rows = await db.silence.findMany({ where: { endsAt: { gt: new Date(now.getTime() - 7 * 24 * 3600_000) } }, orderBy: { endsAt: "desc" } });
  return rows.map((s) => ({ ...s, active: s.startsAt <= now && now < s.endsAt }));
}

export async function createSilence(db: Db, actor: Actor, input: z.input<typeof silenceInputSchema>) {
  const data = silenceInputSchema.parse(input);
  return db.$transaction(async (tx) => {
    const row = await tx.silence.create({ data: { ...data, matchers: data.matchers, createdById: actor.id } });
    await recordAudit(tx, { actor, action: "notification.silence_created", subjectType: "silence", subjectId: row.id, after: row });
    return row;
  });
}

/** Ends a silence now (kept for the record rather than deleted). */
export async function expireSilence(db: Db, actor: Actor, id: string, now: Date) {
  return db.$transaction(async (tx) => {
    const before = await tx.silence.findUnique({ where: { id } });
    if (!before) throw notFound("Silence");
    const row = await tx.silence.update({ where: { id }, data: { endsAt: before.endsAt < now ? before.endsAt : now } });
    await recordAudit(tx, { actor, action: "notification.silence_expired", subjectType: "silence", subjectId: id, before, after: row });
    return row;
  });
}

// ── templates ──

export const templateInputSchema = z.object({
  eventType: z.string().trim().min(1, "event type is required").max(100),
  channelType: z.enum(CHANNEL_TYPES),
  title: z.string().max(300).default(""),
  body: z.string().trim().min(1, "body is required").max(5000),
});

export async function listTemplates(db: Db | Tx) {
  return db.notificationTemplate.findMany({ orderBy: [{ eventType: "asc" }, { channelType: "asc" }] });
}

export async function saveTemplate(db: Db, actor: Actor, input: z.input<typeof templateInputSchema>) {
  const data = templateInputSchema.parse(input);
  assertValidTemplate(data);
  return db.$transaction(async (tx) => {
    const key = { eventType: data.eventType, channelType: data.channelType };
    const before = await tx.notificationTemplate.findUnique({ where: { eventType_channelType: key } });
    const row = await tx.notificationTemplate.upsert({ where: { eventType_channelType: key }, create: data, update: { title: data.title, body: data.body } });
    await recordAudit(tx, { actor, action: "notification.template_saved", subjectType: "notification_template", subjectId: row.id, before, after: row });
    return row;
  });
}

export async function deleteTemplate(db: Db, actor: Actor, id: string) {
  return db.$transaction(async (tx) => {
    const before = await tx.notificationTemplate.findUnique({ where: { id } });
    if (!before) throw notFound("Template");
    await tx.notificationTemplate.delete({ where: { id } });
    await recordAudit(tx, { actor, action: "notification.template_deleted", subjectType: "notification_template", subjectId: id, before });
    return { id };
  });
}
