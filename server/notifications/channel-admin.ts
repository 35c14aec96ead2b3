// Channel administration. Secrets are encrypted before they touch the database and only ever leave it masked;
// every change is audited (with masked values: the audit log is readable by more people than the secrets).
import type { ChannelType } from "@/generated/prisma/enums";
import { z } from "zod";
import { recordAudit, type Actor } from "../audit/audit-log";
import { newId, sql, transaction, type Db, type DB, type Selectable, type Tx } from "../db";
import { badRequest, conflict, notFound } from "../errors";
import { assertOutboundUrl } from "../platform/outbound-url";
import { decryptJson, encryptJson, needsReEncryption, reEncrypt } from "../platform/secrets";
import { CHANNEL_CONFIG, CHANNEL_TYPES } from "./channels/channel-types";
import { maskChannelSecret } from "./channels/masking";
import { applySecretEdit, changedSecretFields, editsSecret } from "./channels/secret-edit";
import { forgetChannel, announceConfigChange } from "./config-cache";

export const channelInputSchema = z.object({
  name: z.string().trim().min(1, "name is required").max(100),
  type: z.enum(CHANNEL_TYPES),
  enabled: z.boolean().default(true),
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

type ChannelRow = Pick<
  Selectable<DB["NotificationChannel"]>,
  "id" | "name" | "type" | "enabled" | "disabledReason" | "settings" | "secretEncrypted" | "updatedAt"
>;

function toChannelView(c: ChannelRow): ChannelView {
  let secretMasked: Record<string, string | string[]>;
  try {
    secretMasked = maskChannelSecret(c.type, decryptJson<Record<string, unknown>>(c.secretEncrypted));
  } catch {
    secretMasked = { error: "cannot be decrypted with the configured keys" };
  }
  return {
    id: c.id,
    name: c.name,
    type: c.type,
    enabled: c.enabled,
    disabledReason: c.disabledReason,
    settings: (c.settings ?? {}) as Record<string, unknown>,
    secretMasked,
    updatedAt: c.updatedAt,
  };
}

/** zod issues → a DomainError on the first offending field ("secret.url", "settings.to"). */
function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, prefix: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = [prefix, ...issue.path.map(String)].join(".");
  throw badRequest(`${field.split(".").slice(1).join(".") || prefix}: ${issue.message}`, field);
}

// SSRF guard at save time too, so an admin learns now rather than at the first failed delivery (which checks
// again). `unchanged`: stored values that need no new check — given when an edit leaves the channel disabled, so
// that an admin can always disable a channel whose host has since left the allow-list.
async function validSecret(tx: Tx, type: ChannelType, secretIn: Record<string, unknown>, unchanged?: Record<string, unknown> | null) {
  const secret = parseOrThrow(CHANNEL_CONFIG[type].secret as z.ZodType<Record<string, unknown>>, secretIn, "secret");
  if (typeof secret.url === "string" && secret.url !== unchanged?.url) await assertOutboundUrl(tx, secret.url, "secret.url");
  return secret;
}

async function validSettings(tx: Tx, type: ChannelType, settingsIn: unknown, unchanged?: Record<string, unknown>) {
  const settings = parseOrThrow(CHANNEL_CONFIG[type].settings as z.ZodType<Record<string, unknown>>, settingsIn, "settings");
  const same = (...keys: string[]) => !!unchanged && keys.every((k) => settings[k] === unchanged[k]);
  if (type === "pagerduty" && !same("baseUrl")) await assertOutboundUrl(tx, String(settings.baseUrl), "settings.baseUrl");
  if (type === "email" && !same("host", "port")) await assertOutboundUrl(tx, `https://${String(settings.host)}:${String(settings.port)}/`, "settings.host");
  return settings;
}

/** The unique index would refuse it too, but without saying which field: the form needs "name". */
async function assertNameFree(tx: Tx, name: string, exceptId?: string) {
  const taken = await tx
    .selectFrom("NotificationChannel")
    .select("id")
    .where("name", "=", name)
    .$if(exceptId !== undefined, (q) => q.where("id", "<>", exceptId!))
    .executeTakeFirst();
  if (taken) throw conflict(`A channel named "${name}" already exists`, "name");
}

function storedSecret(sealed: string): Record<string, unknown> | null {
  try {
    return decryptJson<Record<string, unknown>>(sealed);
  } catch {
    return null; // sealed with a key that is no longer configured
  }
}

export async function listChannels(db: Db): Promise<ChannelView[]> {
  return (await db.notificationChannel.findMany({ orderBy: { name: "asc" } })).map(toChannelView);
}

export async function createChannel(db: Db, actor: Actor, input: ChannelInput): Promise<ChannelView> {
  const data = channelInputSchema.parse(input);
  const view = await transaction(db, async (tx) => {
    announceConfigChange(tx);
    await assertNameFree(tx, data.name);
    const secret = await validSecret(tx, data.type, data.secret);
    const settings = await validSettings(tx, data.type, data.settings);
    const row = await tx
      .insertInto("NotificationChannel")
      .values({
        id: newId(),
        name: data.name,
        type: data.type,
        enabled: data.enabled,
        secretEncrypted: encryptJson(secret),
        settings: JSON.stringify(settings),
        updatedAt: new Date(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const view = toChannelView(row);
    recordAudit(tx, { actor, action: "notification.channel_created", subjectType: "notification_channel", subjectId: row.id, after: view });
    return view;
  });
  forgetChannel(view.id); // routing's cached channel list
  return view;
}

export const channelUpdateSchema = z.object({
  name: z.string().trim().min(1, "name is required").max(100).optional(),
  /** Accepted only to be refused when it differs: a channel's type is fixed when it is created. */
  type: z.enum(CHANNEL_TYPES).optional(),
  enabled: z.boolean().optional(),
  /** Secret fields to change; omitted, empty or still-masked fields keep their stored value. */
  secret: z.record(z.string(), z.unknown()).default({}),
  /** Optional secret fields to remove (the SMTP password). */
  clearSecrets: z.array(z.string()).max(10).default([]),
  /** The complete new settings; omitted keeps the stored ones. */
  settings: z.record(z.string(), z.unknown()).optional(),
});
export type ChannelUpdate = z.input<typeof channelUpdateSchema>;

/**
 * Edits a channel in one transaction: validated exactly like a new one (SSRF guard included), audited without
 * secret values (masked views plus the names of the secret fields that changed). Re-enabling clears the vendor's
 * "gone" verdict: the admin says the endpoint is back.
 */
export async function updateChannel(db: Db, actor: Actor, id: string, input: ChannelUpdate): Promise<ChannelView> {
  const data = channelUpdateSchema.parse(input);
  const view = await transaction(db, async (tx) => {
    announceConfigChange(tx);
    // Row lock: concurrent edits (and the worker disabling a gone endpoint) apply one after the other, so an edit
    // never merges into a secret that another one has just replaced.
    const current = await tx.selectFrom("NotificationChannel").selectAll().where("id", "=", id).forUpdate().executeTakeFirst();
    if (!current) throw notFound("Channel");
    if (data.type && data.type !== current.type) {
      throw badRequest(`The type of a channel cannot change (this one is ${current.type}); create a new channel instead`, "type");
    }
    const name = data.name ?? current.name;
    if (name !== current.name) await assertNameFree(tx, name, id);

    const enabled = data.enabled ?? current.enabled;
    const stored = storedSecret(current.secretEncrypted);
    const currentSettings = current.settings as Record<string, unknown>;
    let secretEncrypted = current.secretEncrypted;
    let secretsChanged: string[] = [];
    // An undecryptable secret stays as it is unless the admin enters it again (then in full, validated as new).
    if (stored || editsSecret(data.secret, data.clearSecrets)) {
      const edited = applySecretEdit(current.type, stored ?? {}, data.secret, data.clearSecrets);
      const secret = await validSecret(tx, current.type, edited, enabled ? null : stored);
      secretEncrypted = encryptJson(secret);
      secretsChanged = stored ? changedSecretFields(stored, secret) : Object.keys(secret).sort();
    }
    const settings = await validSettings(tx, current.type, data.settings ?? currentSettings, enabled ? undefined : currentSettings);
    const row = await tx
      .updateTable("NotificationChannel")
      .set({
        name,
        enabled,
        disabledReason: enabled ? null : current.disabledReason,
        secretEncrypted,
        settings: JSON.stringify(settings),
        updatedAt: new Date(),
      })
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const view = toChannelView(row);
    recordAudit(tx, {
      actor,
      action: "notification.channel_updated",
      subjectType: "notification_channel",
      subjectId: id,
      before: toChannelView(current),
      after: { ...view, secretsChanged },
    });
    return view;
  });
  // This process sees the change at once; the workers' copies expire within CONFIG_CACHE_MS.
  forgetChannel(id);
  return view;
}

export async function deleteChannel(db: Db, actor: Actor, id: string) {
  const result = await transaction(db, async (tx) => {
    announceConfigChange(tx);
    const current = await tx.selectFrom("NotificationChannel").selectAll().where("id", "=", id).executeTakeFirst();
    if (!current) throw notFound("Channel");
    const usedBy = await tx
      .selectFrom("NotificationRoute")
      .select("name")
      .where((eb) =>
        eb.or([eb(eb.val(id), "=", eb.fn.any("channelIds")), sql<boolean>`${eb.ref("escalation")} -> 'channelIds' @> ${JSON.stringify([id])}::jsonb`]),
      )
      .execute();
    if (usedBy.length > 0) throw badRequest(`Still used by route(s): ${usedBy.map((r) => r.name).join(", ")}`, "id");
    tx.deferred.write(tx.deleteFrom("NotificationChannel").where("id", "=", id));
    recordAudit(tx, { actor, action: "notification.channel_deleted", subjectType: "notification_channel", subjectId: id, before: toChannelView(current) });
    return { id };
  });
  forgetChannel(id);
  return result;
}

/**
 * Key rotation: after PIER_ENCRYPTION_KEY is replaced (old key moved to PIER_ENCRYPTION_KEYS_OLD), re-seals every
 * channel secret with the new key so the old one can then be removed. Safe to run repeatedly.
 */
export async function reEncryptChannelSecrets(db: Db, actor: Actor) {
  return transaction(db, async (tx) => {
    announceConfigChange(tx);
    const all = await tx.selectFrom("NotificationChannel").select(["id", "secretEncrypted"]).execute();
    const stale = all.filter((c) => needsReEncryption(c.secretEncrypted));
    const at = new Date();
    for (const c of stale) {
      tx.deferred.write(
        tx
          .updateTable("NotificationChannel")
          .set({ secretEncrypted: reEncrypt(c.secretEncrypted), updatedAt: at })
          .where("id", "=", c.id),
      );
    }
    if (stale.length > 0) {
      recordAudit(tx, {
        actor,
        action: "notification.secrets_reencrypted",
        subjectType: "notification_channel",
        subjectId: "*",
        after: { channels: stale.map((c) => c.id) },
      });
    }
    return { reEncrypted: stale.length };
  });
}
