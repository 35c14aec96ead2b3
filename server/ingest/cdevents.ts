// CDEvents intake: validation against the official v0.4.1 and v0.5.1 JSON schemas (ajv, draft 2020-12) and
// translation of the DORA-relevant types into canonical facts. Types Pier does not use are accepted when their
// context is well-formed, stored, and ignored by the metrics.
import Ajv2020, { type ErrorObject, type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { V04_EVENT_SCHEMAS, V04_LINK_SCHEMAS, V05_EVENT_SCHEMAS, V05_LINK_SCHEMAS } from "./cdevents-schemas";

/** The DORA-relevant subjects/predicates, whatever the type's own version. */
const DORA_CDEVENT_KINDS = [
  "service.deployed",
  "service.upgraded",
  "service.rolledback",
  "change.created",
  "change.merged",
  "pipelinerun.finished",
  "incident.detected",
  "incident.reported",
  "incident.resolved",
] as const;
type CdeventKind = (typeof DORA_CDEVENT_KINDS)[number];

export type CdEvent = {
  context: { id: string; source: string; type: string; timestamp: string; version?: string; specversion?: string; [k: string]: unknown };
  subject: { id: string; source?: string; type?: string; content: Record<string, unknown> };
  customData?: unknown;
  [k: string]: unknown;
};

export type ValidationFailure = { ok: false; field: string; reason: string };
export type ValidationSuccess = { ok: true; event: CdEvent; kind: CdeventKind | null; specVersion: string };

let compiled: Map<string, ValidateFunction> | undefined;

/** Validators keyed by the exact context.type each schema accepts ("dev.cdevents.service.deployed.0.2.0" …). */
function validators() {
  if (compiled) return compiled;
  compiled = new Map();
  for (const [events, links] of [
    [V04_EVENT_SCHEMAS, V04_LINK_SCHEMAS],
    [V05_EVENT_SCHEMAS, V05_LINK_SCHEMAS],
  ] as const) {
    // One Ajv per spec release: both releases use the same relative $ref names for their link schemas.
    const ajv = new Ajv2020({ allErrors: false, strict: false });
    addFormats(ajv);
    for (const l of links) ajv.addSchema(l);
    for (const schema of events) {
      const type = (schema as { properties: { context: { properties: { type: { enum: string[] } } } } }).properties.context.properties.type.enum[0];
      compiled.set(type, ajv.compile(schema));
    }
  }
  return compiled;
}

/** "dev.cdevents.service.deployed.0.2.0" → { kind: "service.deployed", version: "0.2.0" }. */
export function parseCdeventType(type: string): { kind: string; version: string } | null {
  const m = /^dev\.cdevents\.([a-z]+)\.([a-z]+)\.(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$/.exec(type);
  return m ? { kind: `${m[1]}.${m[2]}`, version: m[3] } : null;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A JSON-pointer-ish dotted path for the first schema error: "subject.content.environment.id". */
function fieldOf(error: ErrorObject): { field: string; reason: string } {
  const base = error.instancePath.replace(/^\//, "").split("/").filter(Boolean).join(".");
  if (error.keyword === "required") {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    return { field: base ? `${base}.${missing}` : missing, reason: `${base ? base + "." : ""}${missing} is required` };
  }
  if (error.keyword === "additionalProperties") {
    const extra = (error.params as { additionalProperty: string }).additionalProperty;
    return { field: base ? `${base}.${extra}` : extra, reason: `${base ? base + "." : ""}${extra} is not allowed here` };
  }
  return { field: base || "(event)", reason: `${base || "event"} ${error.message ?? "is invalid"}` };
}

const CONTEXT_REQUIRED = ["id", "source", "type", "timestamp"] as const;
/** context.id is the event's unique key (source, externalId): bounded well below what a btree index entry holds. */
const CONTEXT_MAX_CHARS: Record<(typeof CONTEXT_REQUIRED)[number], number> = { id: 255, source: 2000, type: 200, timestamp: 64 };

/** Checks one event. The schema is chosen by context.type; spec v0.4 uses context.version, v0.5 context.specversion. */
export function validateCdevent(raw: unknown): ValidationSuccess | ValidationFailure {
  if (!isObject(raw)) return { ok: false, field: "(event)", reason: "each event must be a JSON object" };
  const context = raw.context;
  if (!isObject(context)) return { ok: false, field: "context", reason: "context is required and must be an object" };
  for (const key of CONTEXT_REQUIRED) {
    if (typeof context[key] !== "string" || context[key] === "")
      return { ok: false, field: `context.${key}`, reason: `context.${key} is required (non-empty string)` };
    const max = CONTEXT_MAX_CHARS[key];
    if ((context[key] as string).length > max) return { ok: false, field: `context.${key}`, reason: `context.${key} must be at most ${max} characters` };
  }
  const subjectId = isObject(raw.subject) ? raw.subject.id : undefined;
  if (typeof subjectId === "string" && subjectId.length > CONTEXT_MAX_CHARS.id)
    return { ok: false, field: "subject.id", reason: `subject.id must be at most ${CONTEXT_MAX_CHARS.id} characters` };
  const specVersion = typeof context.specversion === "string" ? context.specversion : typeof context.version === "string" ? context.version : "";
  if (!specVersion) return { ok: false, field: "context.specversion", reason: "context.specversion (v0.5) or context.version (v0.4) is required" };
  const type = context.type as string;
  const parsed = parseCdeventType(type);
  if (!parsed)
    return { ok: false, field: "context.type", reason: `context.type "${type}" is not a CDEvents type (dev.cdevents.<subject>.<predicate>.<version>)` };
  if (Number.isNaN(Date.parse(context.timestamp as string)))
    return { ok: false, field: "context.timestamp", reason: "context.timestamp must be an RFC 3339 date-time" };
  const validate = validators().get(type);
  const kind = (DORA_CDEVENT_KINDS as readonly string[]).includes(parsed.kind) ? (parsed.kind as CdeventKind) : null;
  if (!validate) {
    if (kind) {
      return { ok: false, field: "context.type", reason: `${type}: unsupported version of ${parsed.kind} (Pier reads CDEvents spec v0.4.1 and v0.5.1)` };
    }
    // Not a type the metrics read: keep it if the envelope is sound.
    if (!isObject(raw.subject)) return { ok: false, field: "subject", reason: "subject is required and must be an object" };
    return { ok: true, event: raw as CdEvent, kind: null, specVersion };
  }
  if (!validate(raw)) {
    const { field, reason } = fieldOf(validate.errors![0]);
    return { ok: false, field, reason: `${type}: ${reason}` };
  }
  return { ok: true, event: raw as CdEvent, kind, specVersion };
}

export type BatchResult = { ok: true; events: ValidationSuccess[] } | { ok: false; index: number | null; field: string; reason: string };

/** A single event or an array of them (max `maxEvents`); all-or-nothing, so nothing is partially stored. */
export function validateCdeventBatch(body: unknown, maxEvents = 500): BatchResult {
  const list = Array.isArray(body) ? body : [body];
  if (list.length === 0) return { ok: false, index: null, field: "(body)", reason: "the array holds no events" };
  if (list.length > maxEvents) return { ok: false, index: null, field: "(body)", reason: `at most ${maxEvents} events per request` };
  const events: ValidationSuccess[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < list.length; i++) {
    const r = validateCdevent(list[i]);
    if (!r.ok) return { ok: false, index: Array.isArray(body) ? i : null, field: Array.isArray(body) ? `[${i}].${r.field}` : r.field, reason: r.reason };
    // The same id twice in one request is one event (idempotency by id).
    if (seen.has(r.event.context.id)) continue;
    seen.add(r.event.context.id);
    events.push(r);
  }
  return { ok: true, events };
}

/** The version in an artifact purl ("pkg:oci/app@sha256:…" → "sha256:…", "pkg:npm/x@1.2.3" → "1.2.3"). */
export function versionFromArtifact(artifactId: unknown): string {
  if (typeof artifactId !== "string") return "";
  const at = artifactId.lastIndexOf("@");
  const version = at >= 0 ? artifactId.slice(at + 1) : artifactId;
  return version.split("?")[0];
}
