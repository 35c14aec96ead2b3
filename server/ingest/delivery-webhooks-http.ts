// The delivery tools' webhook endpoints (GitLab, Argo CD Notifications, HCP Terraform) as (Request) => Response
// functions; app/api/webhooks/<tool>/route.ts only wraps them. Same order and answers as ./ingest-http.ts: size
// (streamed) → sender check (constant time) → JSON → the fields Pier needs (400 naming the field) → store (idempotent
// by the delivery id) → 202, or 200 for a duplicate. Translation happens in the ingest worker (./delivery-tools.ts),
// so the answer never waits for it: GitLab disables a hook that fails or times out four times in a row.
import { createHash } from "node:crypto";
import type { Db } from "../db";
import { parseJsonBody, readBoundedBody } from "../platform/http-body";
import { argocdEventTime, argocdIntakeProblem } from "./argocd-webhooks";
import { gitlabEventTime, gitlabIntakeProblem, matchesSharedSecret, type IntakeProblem } from "./gitlab-webhooks";
import { storeInboundEvents } from "./ingest";
import { HttpRefusal, MAX_BODY_BYTES, MAX_EVENT_ID_CHARS, guarded, headerId, storedResponse } from "./ingest-http";
import {
  isTerraformVerification,
  terraformDeliveryId,
  terraformEventTime,
  terraformEventType,
  terraformIntakeProblem,
  verifyTerraformSignature,
} from "./terraform-webhooks";
import { webhookSecrets, type WebhookKind } from "./webhook-secrets";

/** GitLab refuses to send more than REQUEST_BODY_SIZE_LIMIT = 25 MB (app/services/web_hook_service.rb). */
const MAX_GITLAB_BODY_BYTES = 25 * 1024 * 1024;

type Json = Record<string, unknown>;

const bodyHash = (bytes: Uint8Array) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

async function secretsOrRefuse(db: Db, kind: WebhookKind, tool: string, header: string) {
  const secrets = await webhookSecrets(db, kind);
  if (secrets.length === 0) throw new HttpRefusal(401, `No ${tool} webhook secret is configured in Pier (Admin → Integrations)`, header, "not_configured");
  return secrets;
}

function jsonObject(bytes: Uint8Array): Json {
  const payload = parseJsonBody(bytes);
  if (typeof payload !== "object" || payload === null || Array.isArray(payload))
    throw new HttpRefusal(400, "The body must be a JSON object", "(body)", "invalid_json");
  return payload as Json;
}

function refuseProblem(problem: IntakeProblem | null) {
  if (problem) throw new HttpRefusal(400, problem.reason, problem.field, "invalid_payload");
}

/**
 * POST /api/webhooks/gitlab — X-Gitlab-Token (the hook's secret token, plain text) against the gitlab_webhook
 * secrets. Idempotency-Key is the delivery id (kept across GitLab's retries); X-Gitlab-Event-UUID is not, since
 * several deliveries can share it (recursion detection), so a GitLab too old to send Idempotency-Key is de-duplicated
 * by the body's sha256.
 */
export const handleGitlabPost = guarded("gitlab", async (req, db, raw) => {
  raw.bytes = await readBoundedBody(req, MAX_GITLAB_BODY_BYTES);
  const secrets = await secretsOrRefuse(db, "gitlab_webhook", "GitLab", "X-Gitlab-Token");
  const token = req.headers.get("x-gitlab-token");
  if (!token) throw new HttpRefusal(401, "X-Gitlab-Token is missing (set the hook's Secret token)", "X-Gitlab-Token", "missing_token");
  if (!matchesSharedSecret(token, secrets)) throw new HttpRefusal(401, "X-Gitlab-Token matches none of the configured secrets", "X-Gitlab-Token", "bad_token");
  raw.authenticated = true;
  const delivery = req.headers.has("idempotency-key") ? headerId(req, "idempotency-key", "Idempotency-Key") : bodyHash(raw.bytes);
  const payload = jsonObject(raw.bytes);
  refuseProblem(gitlabIntakeProblem(payload));
  const type = String(payload.object_kind).slice(0, 100);
  const [stored] = await storeInboundEvents(db, "gitlab", [{ externalId: delivery, type, payload, occurredAt: gitlabEventTime(payload) }]);
  return storedResponse([stored], true);
});

/**
 * POST /api/webhooks/argocd — Argo CD Notifications' webhook service with the templates Pier documents; the
 * service's headers carry `Authorization: Bearer <secret>` (an argocd_webhook secret). Argo CD sends no delivery
 * id and retries the same rendered body, so the body's sha256 is the id.
 */
export const handleArgocdPost = guarded("argocd", async (req, db, raw) => {
  raw.bytes = await readBoundedBody(req, MAX_BODY_BYTES);
  const secrets = await secretsOrRefuse(db, "argocd_webhook", "Argo CD", "Authorization");
  const auth = req.headers.get("authorization");
  if (!auth)
    throw new HttpRefusal(
      401,
      "Authorization is missing: add the header Authorization: Bearer <secret> to the webhook service",
      "Authorization",
      "missing_token",
    );
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(auth)?.[1] ?? null;
  if (!matchesSharedSecret(bearer, secrets))
    throw new HttpRefusal(401, "Authorization matches none of the configured Argo CD secrets", "Authorization", "bad_token");
  raw.authenticated = true;
  const payload = jsonObject(raw.bytes);
  refuseProblem(argocdIntakeProblem(payload));
  const [stored] = await storeInboundEvents(db, "argocd", [
    { externalId: bodyHash(raw.bytes), type: String(payload.event), payload, occurredAt: argocdEventTime(payload) },
  ]);
  return storedResponse([stored], true);
});

/**
 * POST /api/webhooks/terraform — X-TFE-Notification-Signature: hex HMAC-SHA512 of the raw body keyed with the
 * notification token (a terraform_webhook secret). The verification message is answered 200 and not stored.
 */
export const handleTerraformPost = guarded("terraform", async (req, db, raw) => {
  raw.bytes = await readBoundedBody(req, MAX_BODY_BYTES);
  const secrets = await secretsOrRefuse(db, "terraform_webhook", "Terraform", "X-TFE-Notification-Signature");
  const signature = req.headers.get("x-tfe-notification-signature");
  if (!signature)
    throw new HttpRefusal(
      401,
      "X-TFE-Notification-Signature is missing (set a token on the notification)",
      "X-TFE-Notification-Signature",
      "missing_signature",
    );
  if (!verifyTerraformSignature(raw.bytes, signature, secrets))
    throw new HttpRefusal(401, "X-TFE-Notification-Signature matches none of the configured tokens", "X-TFE-Notification-Signature", "bad_signature");
  raw.authenticated = true;
  const payload = jsonObject(raw.bytes);
  refuseProblem(terraformIntakeProblem(payload));
  if (isTerraformVerification(payload)) return Response.json({ ok: true, verified: true });
  const id = terraformDeliveryId(payload, raw.bytes);
  const [stored] = await storeInboundEvents(db, "terraform", [
    {
      externalId: id.length <= MAX_EVENT_ID_CHARS ? id : bodyHash(raw.bytes),
      type: terraformEventType(payload).slice(0, 100),
      payload,
      occurredAt: terraformEventTime(payload),
    },
  ]);
  return storedResponse([stored], true);
});
