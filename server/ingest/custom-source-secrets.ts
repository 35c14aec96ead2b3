// A custom source's secrets, rotated without a gap: "shown once, rotatable with two active". An admin adds the new
// secret (both are accepted while the sender switches over), then retires the old one (only the new one is accepted
// from then on). Stored encrypted in CustomSource.secretEncrypted as { secret, next? }: `secret` the one in use,
// `next` the one being rotated in. Each step is audited and announced to every process's cache.
import { recordAudit, type Actor } from "../audit/audit-log";
import { announceInvalidation, transaction, type Db } from "../db";
import { badRequest, conflict, notFound } from "../errors";
import { decryptJson, encryptJson, maskSecret } from "../platform/secrets";
import { CUSTOM_SOURCES_TOPIC, activeSecrets, forgetCustomSource, type StoredSecrets } from "./custom-sources";

async function changeSecrets(
  db: Db,
  actor: Actor,
  sourceId: string,
  action: string,
  change: (current: StoredSecrets) => StoredSecrets,
): Promise<{ id: string; slug: string; hints: string[] }> {
  const result = await transaction(db, async (tx) => {
    const row = await tx
      .selectFrom("CustomSource")
      .select(["id", "slug", "settings", "secretEncrypted"])
      .where("id", "=", sourceId)
      .forUpdate()
      .executeTakeFirst();
    if (!row) throw notFound("Custom source");
    const next = change(decryptJson<StoredSecrets>(row.secretEncrypted));
    const hints = activeSecrets(next).map((s) => maskSecret(s));
    const settings = { ...(row.settings as Record<string, unknown>), hint: hints[0], nextHint: hints[1] ?? null };
    await tx
      .updateTable("CustomSource")
      .set({ secretEncrypted: encryptJson(next), settings: JSON.stringify(settings), updatedAt: new Date() })
      .where("id", "=", row.id)
      .execute();
    // The hints only: a secret never enters the audit trail.
    recordAudit(tx, { actor, action, subjectType: "custom_source", subjectId: row.id, after: { activeSecrets: hints } });
    announceInvalidation(tx, CUSTOM_SOURCES_TOPIC);
    return { id: row.id, slug: row.slug, hints };
  });
  forgetCustomSource(db, result.slug);
  return result;
}

/** Adds `secret` as the source's second active secret; refused while two are active (retire one first). */
export function addCustomSourceSecret(db: Db, actor: Actor, input: { sourceId: string; secret: string }) {
  if (input.secret.length < 16 || input.secret.length > 500) throw badRequest("Use a secret of 16 to 500 characters", "secret");
  return changeSecrets(db, actor, input.sourceId, "custom_source.secret_added", (current) => {
    if (current.next) throw conflict("Two secrets are active: retire the old one before adding another", "secret");
    if (current.secret === input.secret) throw badRequest("That is the secret in use: choose a new one", "secret");
    return { secret: current.secret, next: input.secret };
  });
}

/** Retires the older secret: the one rotated in becomes the only one accepted. */
export function retireOldCustomSourceSecret(db: Db, actor: Actor, input: { sourceId: string }) {
  return changeSecrets(db, actor, input.sourceId, "custom_source.secret_retired", (current) => {
    if (!current.next) throw conflict("Only one secret is active: add the new one before retiring the old", "secret");
    return { secret: current.next };
  });
}
