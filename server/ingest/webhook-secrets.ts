// Signing secrets for inbound webhooks: Integration rows (kind github_webhook / pagerduty_webhook / gitlab_webhook /
// argocd_webhook / terraform_webhook / jenkins_webhook / jira_webhook, unleash/launchdarkly/flagsmith_webhook, the secret AES-GCM encrypted) managed by admins; several rows of a kind are all
// accepted, which is how secrets rotate.
// PIER_GITHUB_WEBHOOK_SECRET / PIER_PAGERDUTY_WEBHOOK_SECRET are accepted too, for set-ups configured by env.
import { recordAudit, type Actor } from "../audit/audit-log";
import { announceInvalidation, newId, onInvalidation, transaction, type Db } from "../db";
import { badRequest, notFound } from "../errors";
import { env } from "../env";
import { decryptJson, encryptJson, maskSecret } from "../platform/secrets";

export const WEBHOOK_KINDS = [
  "github_webhook",
  "pagerduty_webhook",
  "gitlab_webhook",
  "argocd_webhook",
  "terraform_webhook",
  "jenkins_webhook",
  "jira_webhook",
  "unleash_webhook",
  "launchdarkly_webhook",
  "flagsmith_webhook",
] as const;
export type WebhookKind = (typeof WEBHOOK_KINDS)[number];

const ENV_FALLBACK: Partial<Record<WebhookKind, "PIER_GITHUB_WEBHOOK_SECRET" | "PIER_PAGERDUTY_WEBHOOK_SECRET">> = {
  github_webhook: "PIER_GITHUB_WEBHOOK_SECRET",
  pagerduty_webhook: "PIER_PAGERDUTY_WEBHOOK_SECRET",
};

// Per process (per Db handle); a change announces itself to every process (NOTIFY), CACHE_MS bounds a missed one.
const CACHE_MS = 15_000;
const SECRETS_TOPIC = "webhook-secrets";
type SecretCache = Map<WebhookKind, { until: number; secrets: string[] }>;
const caches = new Map<Db, SecretCache>();

function cacheOf(db: Db): SecretCache {
  let cache = caches.get(db);
  if (!cache) {
    const created: SecretCache = new Map();
    caches.set(db, created);
    onInvalidation(db, SECRETS_TOPIC, () => created.clear());
    cache = created;
  }
  return cache;
}

export async function webhookSecrets(db: Db, kind: WebhookKind): Promise<string[]> {
  const cache = cacheOf(db);
  const hit = cache.get(kind);
  if (hit && hit.until > Date.now()) return hit.secrets;
  const rows = await db.kysely.selectFrom("Integration").select("secretEncrypted").where("kind", "=", kind).execute();
  const secrets = rows.map((r) => decryptJson<{ secret: string }>(r.secretEncrypted).secret).filter(Boolean);
  const variable = ENV_FALLBACK[kind];
  const fromEnv = variable ? env()[variable] : undefined;
  if (fromEnv) secrets.push(fromEnv);
  cache.set(kind, { until: Date.now() + CACHE_MS, secrets });
  return secrets;
}

export async function createWebhookSecret(db: Db, actor: Actor, input: { kind: WebhookKind; name: string; secret: string }) {
  const name = input.name.trim();
  if (name.length < 2) throw badRequest("Name the integration (at least 2 characters)", "name");
  if (input.secret.length < 16) throw badRequest("Use a signing secret of at least 16 characters", "secret");
  const row = await transaction(db, async (tx) => {
    const created = await tx
      .insertInto("Integration")
      .values({
        id: newId(),
        name,
        kind: input.kind,
        settings: JSON.stringify({ hint: maskSecret(input.secret) }),
        secretEncrypted: encryptJson({ secret: input.secret }),
        updatedAt: new Date(),
      })
      .returning(["id", "name", "kind", "createdAt"])
      .executeTakeFirstOrThrow();
    recordAudit(tx, { actor, action: "webhook_secret.created", subjectType: "integration", subjectId: created.id, after: { name, kind: input.kind } });
    announceInvalidation(tx, SECRETS_TOPIC);
    return created;
  });
  cacheOf(db).delete(input.kind);
  return row;
}

export async function listWebhookSecrets(db: Db) {
  const rows = await db.integration.findMany({
    where: { kind: { in: [...WEBHOOK_KINDS] } },
    orderBy: { createdAt: "desc" },
    select: { id: true, name: true, kind: true, settings: true, createdAt: true },
  });
  return rows.map((r) => ({ ...r, hint: String((r.settings as { hint?: string }).hint ?? "••••") }));
}

export async function deleteWebhookSecret(db: Db, actor: Actor, id: string) {
  await transaction(db, async (tx) => {
    const row = await tx
      .deleteFrom("Integration")
      .where("id", "=", id)
      .where("kind", "in", [...WEBHOOK_KINDS])
      .returning(["id", "name", "kind"])
      .executeTakeFirst();
    if (!row) throw notFound("Webhook integration");
    recordAudit(tx, { actor, action: "webhook_secret.deleted", subjectType: "integration", subjectId: id, before: row });
    announceInvalidation(tx, SECRETS_TOPIC);
  });
  cacheOf(db).clear();
}
