// The three ingestion endpoints as plain (Request) => Response functions; app/api/**/route.ts only wraps them.
// Order of checks: size → authentication → JSON → validation → store. Every refusal is a 4xx JSON body
// { error, field } and is recorded for the data-quality page; duplicates answer 200 with duplicate: true.
import type { Db } from "../db";
import { getDb } from "../db";
import { applyGithubRunUpdate } from "../deployments/external-status";
import { logger } from "../logger";
import { validateCdeventBatch } from "./cdevents";
import { verifyGithubSignature } from "./github-webhooks";
import { recordRejection, storeInboundEvents, type StoredEvent } from "./ingest";
import { authenticateIngestToken } from "./ingest-tokens";
import { pagerDutyEventId, pagerDutyEventType, verifyPagerDutySignature } from "./pagerduty-webhooks";
import { webhookSecrets } from "./webhook-secrets";

export const MAX_BODY_BYTES = 1024 * 1024;

class HttpRefusal extends Error {
  constructor(
    public readonly status: number,
    message: string,
    public readonly field: string | null,
    public readonly reason: string,
  ) {
    super(message);
  }
}

function jsonError(status: number, error: string, field: string | null = null) {
  return Response.json({ error, field }, { status, headers: { "cache-control": "no-store" } });
}

/** Reads at most `limit` bytes; a longer body (declared or actual) is refused with 413 without reading it all. */
async function readBoundedBody(req: Request, limit = MAX_BODY_BYTES): Promise<Uint8Array> {
  const declared = Number(req.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > limit) throw new HttpRefusal(413, `The body is larger than ${limit} bytes`, "(body)", "body_too_large");
  if (!req.body) return new Uint8Array();
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new HttpRefusal(413, `The body is larger than ${limit} bytes`, "(body)", "body_too_large");
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

function parseJson(raw: Uint8Array): unknown {
  if (raw.byteLength === 0) throw new HttpRefusal(400, "The body is empty; send JSON", "(body)", "empty_body");
  try {
    return JSON.parse(Buffer.from(raw).toString("utf8"));
  } catch (err) {
    throw new HttpRefusal(400, `The body is not valid JSON: ${(err as Error).message}`, "(body)", "invalid_json");
  }
}

type Handler = (req: Request, db: Db, raw: { bytes?: Uint8Array }) => Promise<Response>;

/** Turns refusals into 4xx JSON + a RejectedEvent row; unexpected failures into a logged 500 (the sender retries). */
function guarded(source: string, handler: Handler) {
  return async (req: Request, db: Db = getDb()): Promise<Response> => {
    const raw: { bytes?: Uint8Array } = {};
    try {
      return await handler(req, db, raw);
    } catch (err) {
      if (err instanceof HttpRefusal) {
        await recordRejection(
          db,
          source,
          `${err.reason}: ${err.message}`,
          err.field,
          raw.bytes ? Buffer.from(raw.bytes.subarray(0, 500)).toString("utf8") : "",
        );
        return jsonError(err.status, err.message, err.field);
      }
      logger.error({ err, source }, "ingestion failed");
      return jsonError(500, "Pier could not store the event; retry later");
    }
  };
}

function storedResponse(stored: StoredEvent[], single: boolean) {
  const duplicates = stored.filter((s) => s.duplicate).length;
  const body = single
    ? { id: stored[0].id, duplicate: stored[0].duplicate }
    : {
        accepted: stored.length - duplicates,
        duplicates,
        duplicate: duplicates === stored.length,
        events: stored.map((s) => ({ id: s.id, eventId: s.externalId, duplicate: s.duplicate })),
      };
  // All duplicates: nothing new was accepted, which is still a success for the sender.
  return Response.json(body, { status: duplicates === stored.length ? 200 : 202 });
}

/** POST /api/events/cdevents — Bearer integration token; one CDEvent or an array (all-or-nothing). */
export const handleCdeventsPost = guarded("cdevents", async (req, db, raw) => {
  const tokenId = await authenticateIngestToken(db, req.headers.get("authorization"));
  if (!tokenId) throw new HttpRefusal(401, "Send a valid integration token: Authorization: Bearer pier_ing_…", "Authorization", "unauthorized");
  raw.bytes = await readBoundedBody(req);
  const body = parseJson(raw.bytes);
  const result = validateCdeventBatch(body);
  if (!result.ok) throw new HttpRefusal(400, result.reason, result.field, "invalid_cdevent");
  const stored = await storeInboundEvents(
    db,
    "cdevents",
    result.events.map((e) => ({ externalId: e.event.context.id, type: e.event.context.type, specVersion: e.specVersion, payload: e.event })),
  );
  return storedResponse(stored, !Array.isArray(body));
});

/** POST /api/webhooks/github — X-Hub-Signature-256 over the raw bytes; X-GitHub-Delivery is the event id. */
export const handleGithubPost = guarded("github", async (req, db, raw) => {
  raw.bytes = await readBoundedBody(req);
  const secrets = await webhookSecrets(db, "github_webhook");
  if (secrets.length === 0)
    throw new HttpRefusal(401, "No GitHub webhook secret is configured in Pier (Admin → Integrations)", "X-Hub-Signature-256", "not_configured");
  const signature = req.headers.get("x-hub-signature-256");
  if (!signature) throw new HttpRefusal(401, "X-Hub-Signature-256 is missing", "X-Hub-Signature-256", "missing_signature");
  if (!verifyGithubSignature(raw.bytes, signature, secrets))
    throw new HttpRefusal(401, "X-Hub-Signature-256 does not match the body", "X-Hub-Signature-256", "bad_signature");
  const event = req.headers.get("x-github-event");
  if (!event) throw new HttpRefusal(400, "X-GitHub-Event is missing", "X-GitHub-Event", "missing_event");
  const delivery = req.headers.get("x-github-delivery");
  if (!delivery) throw new HttpRefusal(400, "X-GitHub-Delivery is missing", "X-GitHub-Delivery", "missing_delivery");
  const payload = parseJson(raw.bytes) as Record<string, unknown>;
  if (typeof payload !== "object" || payload === null || Array.isArray(payload))
    throw new HttpRefusal(400, "The body must be a JSON object", "(body)", "invalid_json");
  if (event === "ping") return Response.json({ ok: true, pong: true });
  const [stored] = await storeInboundEvents(db, "github", [{ externalId: delivery, type: event, payload }]);
  if (!stored.duplicate && (event === "workflow_run" || event === "deployment_status")) {
    // Pier's own GitHub Actions deployments follow their runs from these webhooks (deployments domain). A failure
    // there must not lose the stored event, which DORA processes independently.
    await applyGithubRunUpdate(db, payload).catch((err) => logger.warn({ err, event }, "GitHub run update failed"));
  }
  return storedResponse([stored], true);
});

/** POST /api/webhooks/pagerduty — X-PagerDuty-Signature (v1=…, several during a rotation); event.id is the id. */
export const handlePagerDutyPost = guarded("pagerduty", async (req, db, raw) => {
  raw.bytes = await readBoundedBody(req);
  const secrets = await webhookSecrets(db, "pagerduty_webhook");
  if (secrets.length === 0)
    throw new HttpRefusal(401, "No PagerDuty webhook secret is configured in Pier (Admin → Integrations)", "X-PagerDuty-Signature", "not_configured");
  const signature = req.headers.get("x-pagerduty-signature");
  if (!signature) throw new HttpRefusal(401, "X-PagerDuty-Signature is missing", "X-PagerDuty-Signature", "missing_signature");
  if (!verifyPagerDutySignature(raw.bytes, signature, secrets))
    throw new HttpRefusal(401, "X-PagerDuty-Signature matches none of the configured secrets", "X-PagerDuty-Signature", "bad_signature");
  const payload = parseJson(raw.bytes) as Record<string, unknown>;
  const id = typeof payload === "object" && payload !== null ? pagerDutyEventId(payload) : undefined;
  if (!id) throw new HttpRefusal(400, "event.id is missing", "event.id", "missing_id");
  const type = pagerDutyEventType(payload);
  if (type === "pagey.ping") return Response.json({ ok: true });
  const [stored] = await storeInboundEvents(db, "pagerduty", [{ externalId: id, type, payload }]);
  return storedResponse([stored], true);
});
