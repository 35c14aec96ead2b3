// Channel administration. Secrets are encrypted before they touch the database and only ever leave it masked;
// every change is audited (with masked values: the audit log is readable by more people than the secrets).
import type { ChannelType } from "@/generated/prisma/enums";
import { z } from "zod";
import { recordAudit, type Actor } from "../audit/audit-log";
import type { Db, Prisma, Tx } from "../db";
import { badRequest, notFound } from "../errors";
import { assertOutboundUrl } from "../platform/outbound-url";
import { decryptJson, encryptJson, needsReEncryption, reEncrypt } from "../platform/secrets";
import { CHANNEL_CONFIG, CHANNEL_TYPES } from "./channels/channel-types";
import { maskChannelSecret } from "./channels/masking";

export const channelInputSchema = z.object({
  name: z.string().trim().min(1, "name is required").max(100),
  type: z.enum(CHANNEL_TYPES),
  enabled: z.boolean().default(true),
  /** Secret fields; on update, omitted or empty fields keep their stored value. */
  secret: z.record(z.string(), z.unknown()).default({}),
  settings: z.record(z.string(), z.unknown()).default({}),
});
export type ChannelInput = z.input<typeof channelInputSchema>;

/** What the browser may see about a channel. */
export type ChannelView = {
  id: string;
  name: string;
  type: ChannelType;
  enabled: boolean;
  disabledReason: string | null;
  settings: Record<string, unknown>;
  secretMasked: Record<string, string | string[]>;
  updatedAt: Date;
};

type ChannelRow = { id: string; name: string; type: ChannelType; enabled: boolean; disabledReason: string | null; settings: unknown; secretEncrypted: string; updatedAt: Date };

export function toChannelView(c: ChannelRow): ChannelView {
  let secretMasked: Record<string, string | string[]>;
  try {
    secretMasked = maskChannelSecret(c.type, decryptJson<Record<string, unknown>>(c.secretEncrypted));
  } catch {
    secretMasked = { error: "cannot be decrypted with the configured keys" };
  }
  return { id: c.id, name: c.name, type: c.type, enabled: c.enabled, disabledReason: c.disabledReason, settings: (c.settings ?? {}) as Record<string, unknown>, secretMasked, updatedAt: c.updatedAt };
}

/** zod issues → a DomainError on the first offending field ("secret.url", "settings.to"). */
function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, prefix: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = [prefix, ...issue.path.map(String)].join(".");
  throw badRequest(`${field.split(".").slice(1).join(".") || prefix}: ${issue.message}`, field);
}

const dropEmpty = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== "" && v !== undefined && v !== null));

async function validated(tx: Tx, type: ChannelType, secretIn: Record<string, unknown>, settingsIn: Record<string, unknown>) {
  const secret = parseOrThrow(CHANNEL_CONFIG[type].secret as z.ZodType<Record<string, unknown>>, secretIn, "secret");
  const settings = parseOrThrow(CHANNEL_CONFIG[type].settings as z.ZodType<Record<string, unknown>>, settingsIn, "settings");
  // SSRF guard at save time too, so an admin learns now rather than at the first failed delivery.
  if (typeof secret.url === "string") await assertOutboundUrl(tx, secret.url, "secret.url");
  if (type === "pagerduty") await assertOutboundUrl(tx, String(settings.baseUrl), "settings.baseUrl");
  if (type === "email") await assertOutboundUrl(tx, `https://${String(settings.host)}:${String(settings.port)}/`, "settings.host");
  return { secret, settings };
}

export async function listChannels(db: Db | Tx): Promise<ChannelView[]> {
  return (await db.notificationChannel.findMany({ orderBy: { name: "asc" } })).map(toChannelView);
}

export async function createChannel(db: Db, actor: Actor, input: ChannelInput): Promise<ChannelView> {
  const data = channelInputSchema.parse(input);
  return db.$transaction(async (tx) => {
    const { secret, settings } = await validated(tx, data.type, data.secret, data.settings);
    const row = await tx.notificationChannel.create({
      data: { name: data.name, type: data.type, enabled: data.enabled, secretEncrypted: encryptJson(secret), settings: settings as Prisma.InputJsonObject },
    });
    const view = toChannelView(row);
    await recordAudit(tx, { actor, action: "notification.channel_created", subjectType: "notification_channel", subjectId: row.id, after: view });
    return view;
  });
}

export async function updateChannel(db: Db, actor: Actor, id: string, input: Omit<ChannelInput, "type">): Promise<ChannelView> {
  return db.$transaction(async (tx) => {
    const current = await tx.notificationChannel.findUnique({ where: { id } });
    if (!current) throw notFound("Channel");
    const data = channelInputSchema.omit({ type: true }).parse(input);
    const stored = decryptJson<Record<string, unknown>>(current.secretEncrypted);
    const { secret, settings } = await validated(tx, current.type, { ...stored, ...dropEmpty(data.secret) }, data.settings);
    const row = await tx.notificationChannel.update({
      where: { id },
      data: {
        name: data.name,
        enabled: data.enabled,
        // Re-enabling clears the vendor's "gone" verdict: the admin says the endpoint is back.
        disabledReason: data.enabled ? null : current.disabledReason,
        secretEncrypted: encryptJson(secret),
        settings: settings as Prisma.InputJsonObject,
      },
    });
    const view = toChannelView(row);
    await recordAudit(tx, { actor, action: "notification.channel_updated", subjectType: "notification_channel", subjectId: id, before: toChannelView(current), after: view });
    return view;
  });
}

export async function deleteChannel(db: Db, actor: Actor, id: string) {
  return db.$transaction(async (tx) => {
    const current = await tx.notificationChannel.findUnique({ where: { id } });
    if (!current) throw notFound("Channel");
    const usedBy = await tx.notificationRoute.findMany({
      where: { OR: [{ channelIds: { has: id } }, { escalation: { path: ["channelIds"], array_contains: [id] } }] },
      select: { name: true },
    });
    if (usedBy.length > 0) throw badRequest(`Still used by route(s): ${usedBy.map((r) => r.name).join(", ")}`, "id");
    await tx.notificationChannel.delete({ where: { id } });
    await recordAudit(tx, { actor, action: "notification.channel_deleted", subjectType: "notification_channel", subjectId: id, before: toChannelView(current) });
    return { id };
  });
}

/**
 * Key rotation: after PIER_ENCRYPTION_KEY is replaced (old key moved to PIER_ENCRYPTION_KEYS_OLD), re-seals every
 * channel secret with the new key so the old one can then be removed. Safe to run repeatedly.
 */
export async function reEncryptChannelSecrets(db: Db, actor: Actor) {
  return db.$transaction(async (tx) => {
    const stale = (await tx.notificationChannel.findMany({ select: { id: true, secretEncrypted: true } })).filter((c) => needsReEncryption(c.secretEncrypted));
    for (const c of stale) {
      await tx.notificationChannel.update({ where: { id: c.id }, data: { secretEncrypted: reEncrypt(c.secretEncrypted) } });
    }
    if (stale.length > 0) {
      await recordAudit(tx, { actor, action: "notification.secrets_reencrypted", subjectType: "notification_channel", subjectId: "*", after: { channels: stale.map((c) => c.id) } });
    }
    return { reEncrypted: stale.length };
  });
}
