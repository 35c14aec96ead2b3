// The delivery tools' webhook endpoints (GitLab, Argo CD Notifications, HCP Terraform, Jenkins, Jira) as
// (Request) => Response functions; app/api/webhooks/<tool>/route.ts only wraps them. Every vendor goes through one
// intake (vendorWebhook below), in the same order and with the same answers as ./ingest-http.ts: size (streamed) →
// sender check (constant time, the vendor's own scheme) → JSON → the fields Pier needs (400 naming the field) → store
// (idempotent by the vendor's delivery id) → 202, or 200 for a duplicate. Translation happens in the ingest worker
// (./delivery-tools.ts), so the answer never waits for it: GitLab disables a hook that fails or times out four times.
import { createHash } from "node:crypto";
import type { Db } from "../db";
import { parseJsonBodyText, readBoundedBody } from "../platform/http-body";
import { argocdEventTime, argocdIntakeProblem } from "./argocd-webhooks";
import { gitlabEventTime, gitlabIntakeProblem, matchesSharedSecret, type IntakeProblem } from "./gitlab-webhooks";
import { verifyGithubSignature } from "./github-webhooks";
import { storeInboundEvents } from "./ingest";
import { jiraDeliveryId, jiraEventTime, jiraEventType, jiraIntakeProblem } from "./jira-webhooks";
import { jenkinsDeliveryId, jenkinsEventTime, jenkinsEventType, jenkinsIntakeProblem } from "./jenkins-webhooks";
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

export const bodyHash = (bytes: Uint8Array) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

/** The body as a JSON object, with its text (checked by the same rules: stored as sent). */
function jsonObject(bytes: Uint8Array): { payload: Json; text: string } {
  const { value, text } = parseJsonBodyText(bytes);
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new HttpRefusal(400, "The body must be a JSON object", "(body)", "invalid_json");
  return { payload: value as Json, text };
}

/** A 401 naming the header that carries (or should carry) the sender's proof. */
export const unauthorized = (header: string, message: string, reason: "missing_token" | "bad_token" | "missing_signature" | "bad_signature") =>
  new HttpRefusal(401, message, header, reason);

/** What one vendor's endpoint differs in; everything else is the shared intake. */
export type VendorWebhook = {
  source: string;
  kind: WebhookKind;
  /** The tool as an admin knows it ("GitLab"), for messages. */
  tool: string;
  /** The header that proves the sender, named in a 401. */
  header: string;
  maxBytes?: number;
  /** Throws a 401 (unauthorized) unless the request proves it comes from a holder of one of `secrets`. */
  verify: (req: Request, bytes: Uint8Array, secrets: string[]) => void;
  /** The id the vendor keeps across retries (a header, a body field, else the body's sha256). */
  deliveryId: (req: Request, payload: Json, bytes: Uint8Array) => string;
  problem: (payload: Json) => IntakeProblem | null;
  type: (payload: Json) => string;
  occurredAt: (payload: Json) => Date | null;
  /** An answer for a delivery that is acknowledged but not stored (a vendor's verification ping), else null. */
  answerWithoutStoring?: (payload: Json) => Response | null;
};

/** The shared intake: (Request, db?) => Response for one vendor. */
export function vendorWebhook(spec: VendorWebhook) {
  return guarded(spec.source, async (req, db: Db, raw) => {
    raw.bytes = await readBoundedBody(req, spec.maxBytes ?? MAX_BODY_BYTES);
    const secrets = await webhookSecrets(db, spec.kind);
    if (secrets.length === 0)
      throw new HttpRefusal(401, `No ${spec.tool} webhook secret is configured in Pier (Admin → Integrations)`, spec.header, "not_configured");
    spec.verify(req, raw.bytes, secrets);
    raw.authenticated = true;
    const { payload, text } = jsonObject(raw.bytes);
    const problem = spec.problem(payload);
    if (problem) throw new HttpRefusal(400, problem.reason, problem.field, "invalid_payload");
    const early = spec.answerWithoutStoring?.(payload);
    if (early) return early;
    const id = spec.deliveryId(req, payload, raw.bytes);
    const [stored] = await storeInboundEvents(db, spec.source, [
      {
        externalId: id.length <= MAX_EVENT_ID_CHARS ? id : bodyHash(raw.bytes),
        type: spec.type(payload).slice(0, 100),
        payload,
        payloadJson: text,
        occurredAt: spec.occurredAt(payload),
      },
    ]);
    return storedResponse([stored], true);
  });
}

/**
 * A plain shared secret in a header, compared in constant time. bearer: true, after "Bearer "; "optional", with or
 * without it (Unleash's addon sends whatever the admin typed).
 */
export function sharedSecretHeader(header: string, missing: string, opts: { bearer?: boolean | "optional"; tool: string }) {
  return (req: Request, _bytes: Uint8Array, secrets: string[]) => {
    const value = req.headers.get(header.toLowerCase());
    if (!value) throw unauthorized(header, missing, "missing_token");
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(value)?.[1];
    const given = opts.bearer === "optional" ? (bearer ?? value.trim()) : opts.bearer ? (bearer ?? null) : value;
    if (!matchesSharedSecret(given, secrets)) throw unauthorized(header, `${header} matches none of the configured ${opts.tool} secrets`, "bad_token");
  };
}

/**
 * POST /api/webhooks/gitlab — X-Gitlab-Token (the hook's secret token, plain text) against the gitlab_webhook
 * secrets. Idempotency-Key is the delivery id (kept across GitLab's retries); X-Gitlab-Event-UUID is not, since
 * several deliveries can share it (recursion detection), so a GitLab too old to send Idempotency-Key is de-duplicated
 * by the body's sha256.
 */
export const handleGitlabPost = vendorWebhook({
  source: "gitlab",
  kind: "gitlab_webhook",
  tool: "GitLab",
  header: "X-Gitlab-Token",
  maxBytes: MAX_GITLAB_BODY_BYTES,
  verify: sharedSecretHeader("X-Gitlab-Token", "X-Gitlab-Token is missing (set the hook's Secret token)", { tool: "GitLab" }),
  deliveryId: (req, _p, bytes) => (req.headers.has("idempotency-key") ? headerId(req, "idempotency-key", "Idempotency-Key") : bodyHash(bytes)),
  problem: gitlabIntakeProblem,
  type: (p) => String(p.object_kind),
  occurredAt: gitlabEventTime,
});

/**
 * POST /api/webhooks/argocd — Argo CD Notifications' webhook service with the templates Pier documents; the
 * service's headers carry `Authorization: Bearer <secret>` (an argocd_webhook secret). Argo CD sends no delivery
 * id and retries the same rendered body, so the body's sha256 is the id.
 */
export const handleArgocdPost = vendorWebhook({
  source: "argocd",
  kind: "argocd_webhook",
  tool: "Argo CD",
  header: "Authorization",
  verify: sharedSecretHeader("Authorization", "Authorization is missing: add the header Authorization: Bearer <secret> to the webhook service", {
    bearer: true,
    tool: "Argo CD",
  }),
  deliveryId: (_req, _p, bytes) => bodyHash(bytes),
  problem: argocdIntakeProblem,
  type: (p) => String(p.event),
  occurredAt: argocdEventTime,
});

/**
 * POST /api/webhooks/terraform — X-TFE-Notification-Signature: hex HMAC-SHA512 of the raw body keyed with the
 * notification token (a terraform_webhook secret). The verification message is answered 200 and not stored.
 */
export const handleTerraformPost = vendorWebhook({
  source: "terraform",
  kind: "terraform_webhook",
  tool: "Terraform",
  header: "X-TFE-Notification-Signature",
  verify: (req, bytes, secrets) => {
    const signature = req.headers.get("x-tfe-notification-signature");
    if (!signature)
      throw unauthorized("X-TFE-Notification-Signature", "X-TFE-Notification-Signature is missing (set a token on the notification)", "missing_signature");
    if (!verifyTerraformSignature(bytes, signature, secrets))
      throw unauthorized("X-TFE-Notification-Signature", "X-TFE-Notification-Signature matches none of the configured tokens", "bad_signature");
  },
  deliveryId: (_req, p, bytes) => terraformDeliveryId(p, bytes),
  problem: terraformIntakeProblem,
  answerWithoutStoring: (p) => (isTerraformVerification(p) ? Response.json({ ok: true, verified: true }) : null),
  type: terraformEventType,
  occurredAt: terraformEventTime,
});

/**
 * POST /api/webhooks/jenkins — the Notification plugin's JSON. The plugin cannot set headers, so the secret (a
 * jenkins_webhook secret) comes as ?token=<secret> in the endpoint URL, or as Authorization: Bearer from a proxy;
 * either is compared in constant time. The delivery id is the build and its phase (./jenkins-webhooks.ts).
 */
export const handleJenkinsPost = vendorWebhook({
  source: "jenkins",
  kind: "jenkins_webhook",
  tool: "Jenkins",
  header: "token",
  verify: (req, _bytes, secrets) => {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.get("authorization") ?? "")?.[1];
    const given = bearer ?? new URL(req.url).searchParams.get("token");
    if (!given) throw unauthorized("token", "The secret is missing: end the Notification plugin's URL with ?token=<secret>", "missing_token");
    if (!matchesSharedSecret(given, secrets)) throw unauthorized("token", "The token matches none of the configured Jenkins secrets", "bad_token");
  },
  deliveryId: (_req, p) => jenkinsDeliveryId(p),
  problem: jenkinsIntakeProblem,
  type: jenkinsEventType,
  occurredAt: jenkinsEventTime,
});

/**
 * POST /api/webhooks/jira — Jira issue webhooks: X-Hub-Signature (sha256=<hex HMAC-SHA256 of the raw body>, an admin
 * webhook's secret), or ?token=<secret> for Jira Data Center, which signs nothing. See ./jira-webhooks.ts.
 */
export const handleJiraPost = vendorWebhook({
  source: "jira",
  kind: "jira_webhook",
  tool: "Jira",
  header: "X-Hub-Signature",
  verify: (req, bytes, secrets) => {
    const signature = req.headers.get("x-hub-signature");
    if (signature) {
      if (!verifyGithubSignature(bytes, signature.trim(), secrets))
        throw unauthorized("X-Hub-Signature", "X-Hub-Signature matches none of the configured Jira secrets", "bad_signature");
      return;
    }
    const token = new URL(req.url).searchParams.get("token");
    if (!token) throw unauthorized("X-Hub-Signature", "X-Hub-Signature is missing (set the webhook's Secret), and no ?token= was given", "missing_signature");
    if (!matchesSharedSecret(token, secrets)) throw unauthorized("token", "The token matches none of the configured Jira secrets", "bad_token");
  },
  deliveryId: jiraDeliveryId,
  problem: jiraIntakeProblem,
  type: jiraEventType,
  occurredAt: jiraEventTime,
});
