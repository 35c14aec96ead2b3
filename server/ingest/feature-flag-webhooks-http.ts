// The feature-flag tools' webhook endpoints (Unleash, LaunchDarkly, Flagsmith) through the shared intake of
// ./delivery-webhooks-http.ts (size → sender check in constant time → JSON → fields → idempotent store → 202/200);
// app/api/webhooks/<tool>/route.ts only wraps them. Translation (./feature-flag-webhooks.ts) runs in the ingest worker.
import { createHash } from "node:crypto";
import { bodyHash, sharedSecretHeader, unauthorized, vendorWebhook } from "./delivery-webhooks-http";
import {
  flagsmithEventTime,
  flagsmithIntakeProblem,
  launchdarklyEventTime,
  launchdarklyIntakeProblem,
  unleashDeliveryId,
  unleashEventTime,
  unleashIntakeProblem,
  verifyHexHmacSha256,
} from "./feature-flag-webhooks";

/** A signature header holding the hex HMAC-SHA256 of the raw body (LaunchDarkly, Flagsmith). */
function hmacHeader(header: string, tool: string, missing: string) {
  return (req: Request, bytes: Uint8Array, secrets: string[]) => {
    const signature = req.headers.get(header.toLowerCase());
    if (!signature) throw unauthorized(header, missing, "missing_signature");
    if (!verifyHexHmacSha256(bytes, signature, secrets))
      throw unauthorized(header, `${header} matches none of the configured ${tool} secrets`, "bad_signature");
  };
}

/**
 * POST /api/webhooks/unleash — Unleash's Webhook addon with its default body (the event as JSON). The addon signs
 * nothing; its "Authorization" parameter is sent verbatim as the Authorization header: set it to "Bearer <secret>"
 * (the bare secret is accepted too). Unleash numbers its events: the event id is the delivery id.
 */
export const handleUnleashPost = vendorWebhook({
  source: "unleash",
  kind: "unleash_webhook",
  tool: "Unleash",
  header: "Authorization",
  verify: sharedSecretHeader("Authorization", "Authorization is missing: set the addon's Authorization to Bearer <secret>", {
    bearer: "optional",
    tool: "Unleash",
  }),
  deliveryId: (_req, p, bytes) => unleashDeliveryId(p, bodyHash(bytes)),
  problem: unleashIntakeProblem,
  type: (p) => String(p.type),
  occurredAt: unleashEventTime,
});

/**
 * POST /api/webhooks/launchdarkly — a LaunchDarkly webhook (an audit-log entry), signed: X-LD-Signature is the hex
 * HMAC-SHA256 of the body keyed with the webhook's secret. The entry's _id is the delivery id (LaunchDarkly retries
 * a failed delivery once, with the same entry).
 */
export const handleLaunchdarklyPost = vendorWebhook({
  source: "launchdarkly",
  kind: "launchdarkly_webhook",
  tool: "LaunchDarkly",
  header: "X-LD-Signature",
  verify: hmacHeader("X-LD-Signature", "LaunchDarkly", "X-LD-Signature is missing (tick “Sign this webhook” and paste its secret into Pier)"),
  deliveryId: (_req, p) => `entry:${String(p._id)}`,
  problem: launchdarklyIntakeProblem,
  type: (p) => `${String(p.kind)}${Array.isArray(p.accesses) && p.accesses.length ? `.${String((p.accesses[0] as { action?: unknown }).action)}` : ""}`,
  occurredAt: launchdarklyEventTime,
});

/**
 * POST /api/webhooks/flagsmith — a Flagsmith environment (or organisation audit-log) webhook, signed:
 * X-Flagsmith-Signature is the hex HMAC-SHA256 of the body keyed with the webhook's secret. Flagsmith sends no
 * delivery id, so the body's sha256 is the id.
 */
export const handleFlagsmithPost = vendorWebhook({
  source: "flagsmith",
  kind: "flagsmith_webhook",
  tool: "Flagsmith",
  header: "X-Flagsmith-Signature",
  verify: hmacHeader("X-Flagsmith-Signature", "Flagsmith", "X-Flagsmith-Signature is missing (set the webhook's Secret in Flagsmith)"),
  deliveryId: (_req, _p, bytes) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`,
  problem: flagsmithIntakeProblem,
  type: (p) => String(p.event_type),
  occurredAt: flagsmithEventTime,
});
