// The three ingestion endpoints as plain (Request) => Response functions; app/api/**/route.ts only wraps them.
// Order of checks: size (streamed) → authentication → JSON (depth, NUL, lone surrogates) → validation → store.
// CDEvents come plain or in any CloudEvents HTTP mode (./cloudevents.ts); GitHub deliveries as JSON or as the
// form-encoded `payload=` GitHub pre-selects, up to GitHub's 25 MB.
// Every refusal is a 4xx JSON body { error, field } and is recorded (aggregated, rate-limited) for the data-quality
// page; duplicates answer 200 with duplicate: true. Permanent errors are never a 5xx: a value the database cannot
// store is a 422 (senders such as PagerDuty retry 5xx for days); only an unavailable database is a 503.
import type { Db } from "../db";
import { getDb } from "../db";
import { applyGithubRunUpdate } from "../deployments/external-status";
import { logger } from "../logger";
import { classifyFailure, failureReference } from "../platform/failures";
import { BodyRefusal, bodyText, parseJsonBody, readBoundedBody } from "../platform/http-body";
import { validateCdeventList, type CdEvent } from "./cdevents";
import { attributeMismatch, cdeventsFromRequest } from "./cloudevents";
import { githubEventTime, verifyGithubSignature } from "./github-webhooks";
import { storeInboundEvents, type StoredEvent } from "./ingest";
import { authenticateIngestToken } from "./ingest-tokens";
import { cdeventFromJavaText, isJavaCloudEventText, validateLegacyCdevent } from "./jenkins-cdevents";
import { pagerDutyEventId, pagerDutyEventTime, pagerDutyEventType, verifyPagerDutySignature } from "./pagerduty-webhooks";
import { clientAddress, recordRejection } from "./rejections";
import { webhookSecrets } from "./webhook-secrets";

export const MAX_BODY_BYTES = 1024 * 1024;
/** GitHub caps webhook payloads at 25 MB (docs.github.com, "Webhook events and payloads"): accept what it sends. */
export const MAX_GITHUB_BODY_BYTES = 25 * 1024 * 1024;
/** Event ids become unique-index keys (source, externalId): far below the ~2.7 KB a btree entry may hold. */
export const MAX_EVENT_ID_CHARS = 255;

export class HttpRefusal extends Error {
  constructor(
    public readonly status: number,
    message: string,
    public readonly field: string | null,
    public readonly reason: string,
  ) {
    super(message);
  }
}

function jsonError(status: number, error: string, field: string | null = null, headers: Record<string, string> = {}) {
  return Response.json({ error, field }, { status, headers: { "cache-control": "no-store", ...headers } });
}

/** A header value that becomes an id or a type: present, printable and bounded. */
export function headerId(req: Request, name: string, label: string, max = MAX_EVENT_ID_CHARS): string {
  const value = req.headers.get(name);
  if (!value) throw new HttpRefusal(400, `${label} is missing`, label, `missing_${name.replace(/^x-(github-)?/, "")}`);
  if (value.length > max || !/^[\x21-\x7e]+$/.test(value))
    throw new HttpRefusal(400, `${label} must be at most ${max} printable characters`, label, "invalid_header");
  return value;
}

type Handler = (req: Request, db: Db, raw: { bytes?: Uint8Array; authenticated?: boolean }) => Promise<Response>;

/**
 * Turns refusals into 4xx JSON + a RejectedEvent row (the body excerpt only once the sender authenticated); a value
 * the database refuses into a 422 (permanent); an unavailable database into a 503 with Retry-After; anything else
 * into a 500 with a reference to the log line (no internal text).
 */
export function guarded(source: string, handler: Handler) {
  return async (req: Request, db: Db = getDb()): Promise<Response> => {
    const raw: { bytes?: Uint8Array; authenticated?: boolean } = {};
    const refuse = async (status: number, message: string, field: string | null, reason: string) => {
      const body = raw.authenticated && raw.bytes ? Buffer.from(raw.bytes.subarray(0, 2000)).toString("utf8") : "";
      await recordRejection(db, { source, reason: `${reason}: ${message}`, field, body, address: clientAddress(req) });
      return jsonError(status, message, field);
    };
    try {
      return await handler(req, db, raw);
    } catch (err) {
      if (err instanceof HttpRefusal || err instanceof BodyRefusal) return refuse(err.status, err.message, err.field, err.reason);
      const reference = failureReference();
      const kind = classifyFailure(err);
      if (kind === "invalid_data") {
        logger.warn({ err, source, requestId: reference }, "ingestion refused a value the database cannot store");
        return refuse(422, `The event holds a value Pier cannot store; sending it again will not help (reference ${reference})`, null, "unstorable");
      }
      if (kind === "unavailable") {
        logger.error({ err, source, requestId: reference }, "ingestion failed: the database is unavailable");
        return jsonError(503, `Pier is temporarily unavailable; retry later (reference ${reference})`, null, { "retry-after": "30" });
      }
      logger.error({ err, source, requestId: reference }, "ingestion failed");
      return jsonError(500, `Pier could not process the event (reference ${reference})`);
    }
  };
}

export function storedResponse(stored: StoredEvent[], single: boolean) {
  const duplicates = stored.filter((s) => s.duplicate).length;
  const body = single
    ? { id: stored[0].id, duplicate: stored[0].duplicate }
    : {
        accepted: stored.length - duplicates,
        duplicates,
        duplicate: duplicates === stored.length,
        events: stored.map((s) => ({ id: s.id, eventId: s.externalId, duplicate: s.duplicate })),
      };
  // All duplicates: nothing new was accepted, which is still a success for the sender. The answer's headers are
  // copied from one Headers (a third cheaper than Response.json, which validates a header object per response).
  return new Response(JSON.stringify(body), { status: duplicates === stored.length ? 200 : 202, headers: JSON_HEADERS });
}

const JSON_HEADERS = new Headers({ "content-type": "application/json" });

/**
 * The integration token from the URL (?token=pier_ing_…) for senders that cannot set a header — the Jenkins CDEvents
 * plugin's HTTP sink sets none. Only read when no Authorization header is sent.
 */
function queryToken(req: Request): string | null {
  const token = new URL(req.url).searchParams.get("token");
  return token ? `Bearer ${token}` : null;
}

/** The Jenkins CDEvents plugin's body (Java CloudEvent.toString(), CDEvents 0.1.2): see ./jenkins-cdevents.ts. */
async function storeJenkinsPluginEvent(db: Db, bytes: Uint8Array) {
  const r = validateLegacyCdevent(cdeventFromJavaText(bytes));
  if (!r.ok) throw new HttpRefusal(400, r.reason, `data.${r.field}`, "invalid_cdevent");
  const e = r.event;
  const [stored] = await storeInboundEvents(db, "cdevents", [
    { externalId: e.context.id, type: e.context.type, specVersion: r.specVersion, payload: e, occurredAt: r.occurredAt, knownType: r.knownType },
  ]);
  return storedResponse([stored], true);
}

/**
 * POST /api/events/cdevents — Bearer integration token (or ?token=); one CDEvent or an array, plain or as CloudEvents
 * (structured, batched or binary mode); all-or-nothing.
 */
export const handleCdeventsPost = guarded("cdevents", async (req, db, raw) => {
  const tokenId = await authenticateIngestToken(db, req.headers.get("authorization") ?? queryToken(req));
  if (!tokenId) throw new HttpRefusal(401, "Send a valid integration token: Authorization: Bearer pier_ing_…", "Authorization", "unauthorized");
  raw.authenticated = true;
  raw.bytes = await readBoundedBody(req, MAX_BODY_BYTES);
  if (isJavaCloudEventText(raw.bytes)) return storeJenkinsPluginEvent(db, raw.bytes);
  const request = cdeventsFromRequest(req.headers, raw.bytes);
  const result = validateCdeventList(request.events, request.array);
  if (!result.ok) throw new HttpRefusal(400, result.reason, result.field, "invalid_cdevent");
  // Every event passed validation, so each CloudEvent's data is a CDEvent its attributes can be compared with.
  for (const item of request.events) {
    const mismatch = attributeMismatch(item, item.value as CdEvent);
    if (mismatch) throw new HttpRefusal(400, mismatch.reason, mismatch.field, "invalid_cloudevent");
  }
  const stored = await storeInboundEvents(
    db,
    "cdevents",
    result.events.map((e) => ({
      externalId: e.event.context.id,
      type: e.event.context.type,
      specVersion: e.specVersion,
      payload: e.event,
      occurredAt: e.occurredAt,
      knownType: e.knownType,
    })),
  );
  return storedResponse(stored, !request.array);
});

/**
 * A GitHub delivery's JSON: the body itself (content type application/json), or the `payload` field of a form
 * (application/x-www-form-urlencoded, which GitHub pre-selects). The signature was checked over the raw bytes.
 */
function githubPayload(req: Request, bytes: Uint8Array): unknown {
  const type = (req.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") return parseJsonBody(bytes);
  const payload = new URLSearchParams(bodyText(bytes)).get("payload");
  if (payload === null) throw new HttpRefusal(400, "A form-encoded GitHub delivery carries its JSON in the payload field", "payload", "missing_payload");
  return parseJsonBody(Buffer.from(payload, "utf8"));
}

/** POST /api/webhooks/github — X-Hub-Signature-256 over the raw bytes; X-GitHub-Delivery is the event id. */
export const handleGithubPost = guarded("github", async (req, db, raw) => {
  raw.bytes = await readBoundedBody(req, MAX_GITHUB_BODY_BYTES);
  const secrets = await webhookSecrets(db, "github_webhook");
  if (secrets.length === 0)
    throw new HttpRefusal(401, "No GitHub webhook secret is configured in Pier (Admin → Integrations)", "X-Hub-Signature-256", "not_configured");
  const signature = req.headers.get("x-hub-signature-256");
  if (!signature) throw new HttpRefusal(401, "X-Hub-Signature-256 is missing", "X-Hub-Signature-256", "missing_signature");
  if (!verifyGithubSignature(raw.bytes, signature, secrets))
    throw new HttpRefusal(401, "X-Hub-Signature-256 does not match the body", "X-Hub-Signature-256", "bad_signature");
  raw.authenticated = true;
  const event = headerId(req, "x-github-event", "X-GitHub-Event", 100);
  const delivery = headerId(req, "x-github-delivery", "X-GitHub-Delivery");
  const payload = githubPayload(req, raw.bytes) as Record<string, unknown>;
  if (typeof payload !== "object" || payload === null || Array.isArray(payload))
    throw new HttpRefusal(400, "The body must be a JSON object", "(body)", "invalid_json");
  if (event === "ping") return Response.json({ ok: true, pong: true });
  const [stored] = await storeInboundEvents(db, "github", [{ externalId: delivery, type: event, payload, occurredAt: githubEventTime(event, payload) }]);
  if (!stored.duplicate && (event === "workflow_run" || event === "deployment_status")) {
    // Pier's own GitHub Actions deployments follow their runs from these webhooks (deployments domain). A failure
    // there must not lose the stored event, which DORA processes independently.
    await applyGithubRunUpdate(db, payload).catch((err) => logger.warn({ err, event }, "GitHub run update failed"));
  }
  return storedResponse([stored], true);
});

/** POST /api/webhooks/pagerduty — X-PagerDuty-Signature (v1=…, several during a rotation); event.id is the id. */
export const handlePagerDutyPost = guarded("pagerduty", async (req, db, raw) => {
  raw.bytes = await readBoundedBody(req, MAX_BODY_BYTES);
  const secrets = await webhookSecrets(db, "pagerduty_webhook");
  if (secrets.length === 0)
    throw new HttpRefusal(401, "No PagerDuty webhook secret is configured in Pier (Admin → Integrations)", "X-PagerDuty-Signature", "not_configured");
  const signature = req.headers.get("x-pagerduty-signature");
  if (!signature) throw new HttpRefusal(401, "X-PagerDuty-Signature is missing", "X-PagerDuty-Signature", "missing_signature");
  if (!verifyPagerDutySignature(raw.bytes, signature, secrets))
    throw new HttpRefusal(401, "X-PagerDuty-Signature matches none of the configured secrets", "X-PagerDuty-Signature", "bad_signature");
  raw.authenticated = true;
  const payload = parseJsonBody(raw.bytes) as Record<string, unknown>;
  const id = typeof payload === "object" && payload !== null ? pagerDutyEventId(payload) : undefined;
  if (!id) throw new HttpRefusal(400, "event.id is missing", "event.id", "missing_id");
  if (id.length > MAX_EVENT_ID_CHARS) throw new HttpRefusal(400, `event.id must be at most ${MAX_EVENT_ID_CHARS} characters`, "event.id", "invalid_id");
  const type = pagerDutyEventType(payload).slice(0, 200);
  if (type === "pagey.ping") return Response.json({ ok: true });
  const [stored] = await storeInboundEvents(db, "pagerduty", [{ externalId: id, type, payload, occurredAt: pagerDutyEventTime(payload) }]);
  return storedResponse([stored], true);
});
