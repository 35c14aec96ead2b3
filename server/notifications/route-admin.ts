// Routes, silences and templates: admin configuration, each change audited in its own transaction.
import { z } from "zod";
import { recordAudit, type Actor } from "../audit/audit-log";
import { anyOf, newId, sql, transaction, type Db, type DB, type Kysely, type Tx } from "../db";
import { badRequest, notFound } from "../errors";
import { CHANNEL_TYPES } from "./channels/channel-types";
import { matchersSchema } from "./matchers";
import { routeInputSchema, toRouteConfig, type RouteInput } from "./route-config";
import { assertValidTemplate } from "./templates";
import { announceConfigChange } from "./config-cache";

/** A JSON column's value (null stays SQL NULL). */
const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));

async function assertChannelsExist(tx: Tx, ids: string[], field: string) {
  if (ids.length === 0) return;
  const found = await tx
    .selectFrom("NotificationChannel")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("id", "=", anyOf(ids))
    .executeTakeFirstOrThrow();
  if (Number(found.n) !== new Set(ids).size) throw badRequest("Pick channels that exist", field);
}

function checkRoute(data: z.output<typeof routeInputSchema>) {
  if (data.channelIds.length === 0) throw badRequest("Pick at least one channel", "channelIds");
  if (data.escalation && data.escalation.channelIds.length === 0) throw badRequest("Pick the channel(s) an escalation goes to", "escalation.channelIds");
}

/** The route's columns as written (JSON columns as JSON text). */
const routeColumns = (data: z.output<typeof routeInputSchema>) => ({
  ...data,
  matchers: JSON.stringify(data.matchers),
  quietHours: json(data.quietHours),
  escalation: json(data.escalation),
  updatedAt: new Date(),
});

/** Every route in evaluation order (inside or outside a transaction). */
export async function listRoutes(db: Kysely<DB>) {
  return (await db.selectFrom("NotificationRoute").selectAll().orderBy("position").orderBy("createdAt").execute()).map(toRouteConfig);
}

export async function createRoute(db: Db, actor: Actor, input: RouteInput) {
  const data = routeInputSchema.parse(input);
  checkRoute(data);
  return transaction(db, async (tx) => {
    announceConfigChange(tx);
    await assertChannelsExist(tx, [...data.channelIds, ...(data.escalation?.channelIds ?? [])], "channelIds");
    // New routes go last: 10 after the highest position.
    const row = await tx
      .insertInto("NotificationRoute")
      .values((eb) => ({
        ...routeColumns(data),
        id: newId(),
        position: eb.selectFrom("NotificationRoute").select(sql<number>`COALESCE(max(position), 0) + 10`.as("next")),
      }))
      .returningAll()
      .executeTakeFirstOrThrow();
    recordAudit(tx, { actor, action: "notification.route_created", subjectType: "notification_route", subjectId: row.id, after: row });
    return toRouteConfig(row);
  });
}

export async function updateRoute(db: Db, actor: Actor, id: string, input: RouteInput) {
  const data = routeInputSchema.parse(input);
  checkRoute(data);
  return transaction(db, async (tx) => {
    announceConfigChange(tx);
    const before = await tx.selectFrom("NotificationRoute").selectAll().where("id", "=", id).executeTakeFirst();
    if (!before) throw notFound("Route");
    await assertChannelsExist(tx, [...data.channelIds, ...(data.escalation?.channelIds ?? [])], "channelIds");
    const row = await tx.updateTable("NotificationRoute").set(routeColumns(data)).where("id", "=", id).returningAll().executeTakeFirstOrThrow();
    recordAudit(tx, { actor, action: "notification.route_updated", subjectType: "notification_route", subjectId: id, before, after: row });
    return toRouteConfig(row);
  });
}

export async function deleteRoute(db: Db, actor: Actor, id: string) {
  return transaction(db, async (tx) => {
    announceConfigChange(tx);
    const before = await tx.selectFrom("NotificationRoute").selectAll().where("id", "=", id).executeTakeFirst();
    if (!before) throw notFound("Route");
    tx.deferred.write(tx.deleteFrom("NotificationRoute").where("id", "=", id));
    recordAudit(tx, { actor, action: "notification.route_deleted", subjectType: "notification_route", subjectId: id, before });
    return { id };
  });
}

/** Moves a route one place up or down by swapping positions with its neighbour (order = evaluation order). */
export async function moveRoute(db: Db, actor: Actor, id: string, direction: "up" | "down") {
  return transaction(db, async (tx) => {
    announceConfigChange(tx);
    // Serialise reorders so two admins cannot interleave swaps into duplicate positions.
    await sql`SELECT pg_advisory_xact_lock(7401)`.execute(tx);
    const routes = await tx.selectFrom("NotificationRoute").select(["id", "position"]).orderBy("position").orderBy("createdAt").execute();
    const i = routes.findIndex((r) => r.id === id);
    if (i < 0) throw notFound("Route");
    const j = direction === "up" ? i - 1 : i + 1;
    if (j < 0 || j >= routes.length) return listRoutes(tx);
    [routes[i], routes[j]] = [routes[j], routes[i]];
    const at = new Date();
    for (const [k, r] of routes.entries())
      await tx
        .updateTable("NotificationRoute")
        .set({ position: (k + 1) * 10, updatedAt: at })
        .where("id", "=", r.id)
        .execute();
    recordAudit(tx, {
      actor,
      action: "notification.route_moved",
      subjectType: "notification_route",
      subjectId: id,
      after: { direction, order: routes.map((r) => r.id) },
    });
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

export async function listSilences(db: Db, now: Date) {
  // Expired silences older than a week are history nobody needs in the list.
  const rows = await db.silence.findMany({ where: { endsAt: { gt: new Date(now.getTime() - 7 * 24 * 3600_000) } }, orderBy: { endsAt: "desc" } });
  return rows.map((s) => ({ ...s, active: s.startsAt <= now && now < s.endsAt }));
}

export async function createSilence(db: Db, actor: Actor, input: z.input<typeof silenceInputSchema>) {
  const data = silenceInputSchema.parse(input);
  return transaction(db, async (tx) => {
    announceConfigChange(tx);
    const row = await tx
      .insertInto("Silence")
      .values({ id: newId(), ...data, matchers: JSON.stringify(data.matchers), createdById: actor.id })
      .returningAll()
      .executeTakeFirstOrThrow();
    recordAudit(tx, { actor, action: "notification.silence_created", subjectType: "silence", subjectId: row.id, after: row });
    return row;
  });
}

/** Ends a silence now (kept for the record rather than deleted). */
export async function expireSilence(db: Db, actor: Actor, id: string, now: Date) {
  return transaction(db, async (tx) => {
    announceConfigChange(tx);
    const before = await tx.selectFrom("Silence").selectAll().where("id", "=", id).executeTakeFirst();
    if (!before) throw notFound("Silence");
    const row = await tx
      .updateTable("Silence")
      .set({ endsAt: before.endsAt < now ? before.endsAt : now })
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirstOrThrow();
    recordAudit(tx, { actor, action: "notification.silence_expired", subjectType: "silence", subjectId: id, before, after: row });
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

export async function listTemplates(db: Db) {
  return db.notificationTemplate.findMany({ orderBy: [{ eventType: "asc" }, { channelType: "asc" }] });
}

export async function saveTemplate(db: Db, actor: Actor, input: z.input<typeof templateInputSchema>) {
  const data = templateInputSchema.parse(input);
  assertValidTemplate(data);
  return transaction(db, async (tx) => {
    announceConfigChange(tx);
    const before = await tx
      .selectFrom("NotificationTemplate")
      .selectAll()
      .where("eventType", "=", data.eventType)
      .where("channelType", "=", data.channelType)
      .executeTakeFirst();
    const row = await tx
      .insertInto("NotificationTemplate")
      .values({ id: newId(), ...data, updatedAt: new Date() })
      .onConflict((oc) =>
        oc
          .columns(["eventType", "channelType"])
          .doUpdateSet((eb) => ({ title: eb.ref("excluded.title"), body: eb.ref("excluded.body"), updatedAt: eb.ref("excluded.updatedAt") })),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    recordAudit(tx, { actor, action: "notification.template_saved", subjectType: "notification_template", subjectId: row.id, before, after: row });
    return row;
  });
}

export async function deleteTemplate(db: Db, actor: Actor, id: string) {
  return transaction(db, async (tx) => {
    announceConfigChange(tx);
    const before = await tx.selectFrom("NotificationTemplate").selectAll().where("id", "=", id).executeTakeFirst();
    if (!before) throw notFound("Template");
    tx.deferred.write(tx.deleteFrom("NotificationTemplate").where("id", "=", id));
    recordAudit(tx, { actor, action: "notification.template_deleted", subjectType: "notification_template", subjectId: id, before });
    return { id };
  });
}
