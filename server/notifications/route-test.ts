// Route test (like `amtool config routes test`): which routes an event would take, the recipients and the exact
// messages each channel would get — computed by the same code as the real path, without writing or sending.
import { z } from "zod";
import type { Actor } from "../audit/audit-log";
import { anyOf, type Db } from "../db";
import { PIER_EVENT_TYPES, type PierEventShape } from "../bus/events";
import { CHANNEL_CONFIG } from "./channels/channel-types";
import { previewForChannel } from "./channels/send";
import { decryptJson } from "../platform/secrets";
import { composeMessage, templateFor } from "./message";
import { resolveRecipients } from "./recipients";
import { loadRoutingConfig, planDeliveries } from "./routing";
import { buildEvent, eventSpecSchema, SEVERITIES } from "./test-events";

/** A pasted event: the PierEvent shape, with only what routing needs required. */
export const pastedEventSchema = z.object({
  id: z.string().optional(),
  type: z.enum(PIER_EVENT_TYPES),
  severity: z.enum(SEVERITIES),
  occurredAt: z.string().optional(),
  subject: z.record(z.string(), z.unknown()).default({}),
  actor: z.object({ id: z.string().nullable(), label: z.string() }).optional(),
  data: z.record(z.string(), z.unknown()).default({}),
  labels: z.record(z.string(), z.string()),
});

async function testRoutes(db: Db, input: z.input<typeof pastedEventSchema>, now: Date) {
  const parsed = pastedEventSchema.parse(input);
  const event = { ...parsed, id: parsed.id ?? "route-test", occurredAt: parsed.occurredAt ?? now.toISOString() } as PierEventShape & { id: string };
  const config = await loadRoutingConfig(db.kysely, now);
  const { evaluation, plan } = await planDeliveries(db.kysely, event, config, now);
  const channels = new Map(
    (
      await db.kysely
        .selectFrom("NotificationChannel")
        .selectAll()
        .where("id", "=", anyOf(plan.map((p) => p.channelId)))
        .execute()
    ).map((c) => [c.id, c]),
  );
  const deliveries = [];
  for (const p of plan) {
    const ch = channels.get(p.channelId)!;
    const resolved = await resolveRecipients(db.kysely, event, p.payload.roleRecipients, ch.type);
    const message = composeMessage(
      await templateFor(db.kysely, event.type, ch.type),
      ch.type,
      event,
      resolved.recipients,
      { deliveryId: "route-test", idempotencyKey: p.idempotencyKey, threadKey: p.groupKey ?? p.throttleKey ?? event.id },
      p.payload,
    );
    let preview: unknown;
    try {
      const secret = decryptJson<Record<string, unknown>>(ch.secretEncrypted);
      const settings = CHANNEL_CONFIG[ch.type].settings.parse(ch.settings) as Record<string, unknown>;
      preview = previewForChannel(
        { id: ch.id, type: ch.type, secret, settings },
        message,
        resolved.recipients.users.map((u) => u.email),
      );
    } catch (err) {
      preview = { error: err instanceof Error ? err.message : String(err) };
    }
    deliveries.push({
      routeId: p.routeId,
      routeName: p.routeName,
      channelId: p.channelId,
      channelName: p.channelName,
      channelType: p.channelType,
      recipient: p.recipient,
      status: p.status,
      reason: p.lastError,
      nextAttemptAt: p.nextAttemptAt,
      groupKey: p.groupKey,
      recipients: {
        oncall: resolved.recipients.oncall,
        users: resolved.recipients.users.map((u) => ({ name: u.name, email: u.email, roles: u.roles })),
        muted: resolved.muted.map((m) => m.name),
        dailyDigest: resolved.dailyDigest.map((u) => u.name),
      },
      message: { title: message.title, text: message.text, url: message.url },
      preview,
    });
  }
  return { event, trace: evaluation.trace, deliveries };
}

/** The route test's input: an event built from a spec (as a test event would be), or a pasted event. */
export const routeTestInputSchema = z.union([z.object({ spec: eventSpecSchema }), z.object({ event: pastedEventSchema })]);

export async function testRoutesFor(db: Db, actor: Actor, input: z.output<typeof routeTestInputSchema>, now: Date) {
  const event = "spec" in input ? await buildEvent(db.kysely, input.spec, actor) : input.event;
  return testRoutes(db, event, now);
}
