// CDEvents intake: every event is validated against the official JSON schema of its type in the spec release it
// declares (v0.4.x by context.version, v0.5.x by context.specversion; ajv, draft 2020-12, validators compiled once
// per type and cached). An unknown spec version is refused. A type the release does not define (a custom
// dev.cdeventsx.* type, or a dev.cdevents subject/predicate the release lacks) is checked against the release's
// custom-event schema, stored and counted as unknown on the data-quality page; a type the release defines in
// another version is refused. Translation of the DORA-relevant types is in ./cdevents-translate.ts.
import Ajv2020, { type ErrorObject, type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { V04_SCHEMAS, V05_SCHEMAS } from "./cdevents-schemas";
import { isMigrationType, migrationProblem } from "./migration-events";

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
export type ValidationSuccess = {
  ok: true;
  event: CdEvent;
  kind: CdeventKind | null;
  specVersion: string;
  /** False for a type the declared release does not define (custom or unknown): stored, counted as unknown. */
  knownType: boolean;
  /** context.timestamp as a Date. */
  occurredAt: Date;
};

type SchemaSet = { events: object[]; links: object[]; custom: object };
type Release = {
  label: string;
  /** The context field that carries the spec version in this release, and the values accepted there. */
  field: "version" | "specversion";
  versions: readonly string[];
  schemas: SchemaSet;
};

// Patch releases of one minor release define the same types (checked against the cdevents/spec tags: v0.4.0 and
// v0.4.1 define the same 45 type versions, as do v0.5.0 and v0.5.1), so the x.y.1 schemas validate x.y.0 events.
const RELEASES: readonly Release[] = [
  { label: "0.4", field: "version", versions: ["0.4.0", "0.4.1"], schemas: V04_SCHEMAS },
  { label: "0.5", field: "specversion", versions: ["0.5.0", "0.5.1"], schemas: V05_SCHEMAS },
];
const ACCEPTED = RELEASES.map((r) => `${r.versions.join(", ")} in context.${r.field}`).join("; ");

type Compiled = {
  ajv: Ajv2020;
  /** Exact context.type → its event schema (compiled on first use: most deployments only ever see a few types). */
  schemaByType: Map<string, object>;
  /** "service.deployed" → "dev.cdevents.service.deployed.0.3.0" */
  typeByKind: Map<string, string>;
  validators: Map<string, ValidateFunction>;
  custom?: ValidateFunction;
  unknown?: ValidateFunction;
};
const compiled = new Map<Release, Compiled>();

type SchemaNode = { properties: Record<string, SchemaNode & { enum?: string[]; pattern?: string }>; required?: string[]; $id?: string };

function compiledFor(release: Release): Compiled {
  let c = compiled.get(release);
  if (c) return c;
  // One Ajv per release: both releases use the same relative $ref names for their link schemas.
  const ajv = new Ajv2020({ allErrors: false, strict: false });
  addFormats(ajv);
  for (const l of release.schemas.links) ajv.addSchema(l);
  c = { ajv, schemaByType: new Map(), typeByKind: new Map(), validators: new Map() };
  for (const schema of release.schemas.events) {
    const type = (schema as SchemaNode).properties.context.properties.type.enum![0];
    c.schemaByType.set(type, schema);
    c.typeByKind.set(parseCdeventType(type)!.kind, type);
  }
  compiled.set(release, c);
  return c;
}

/**
 * The release's custom-event schema decides what a well-formed event of a type Pier does not know looks like. For a
 * dev.cdevents.* type the release lacks, the same envelope with the CDEvents type pattern (and, in v0.4, any
 * subject.type) — the spec gives no schema for types it does not define.
 */
function unknownTypeValidator(release: Release, c: Compiled, custom: boolean): ValidateFunction {
  if (custom) return (c.custom ??= c.ajv.compile(release.schemas.custom));
  if (c.unknown) return c.unknown;
  const schema = structuredClone(release.schemas.custom) as SchemaNode;
  schema.$id = schema.$id!.replace(/custom$/, "pier-unknown-type");
  schema.properties.context.properties.type = { type: "string", pattern: CDEVENT_TYPE.source } as never;
  if (schema.properties.subject.properties.type) schema.properties.subject.properties.type = { type: "string", minLength: 1 } as never;
  return (c.unknown = c.ajv.compile(schema));
}

const CDEVENT_TYPE = /^dev\.cdevents\.([a-z]+)\.([a-z]+)\.(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$/;

/** "dev.cdevents.service.deployed.0.2.0" → { kind: "service.deployed", version: "0.2.0" }. */
export function parseCdeventType(type: string): { kind: string; version: string } | null {
  const m = CDEVENT_TYPE.exec(type);
  return m ? { kind: `${m[1]}.${m[2]}`, version: m[3] } : null;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A dotted path for the first schema error: "subject.content.environment.id". */
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

/** The release an event declares, or why it declares none Pier reads. */
function releaseOf(context: Record<string, unknown>): { release: Release; specVersion: string } | ValidationFailure {
  const declared = RELEASES.map((r) => r.field).filter((f) => context[f] !== undefined);
  if (declared.length === 0) return { ok: false, field: "context.specversion", reason: "context.specversion (v0.5) or context.version (v0.4) is required" };
  if (declared.length > 1) return { ok: false, field: "context.version", reason: "send context.specversion (v0.5) or context.version (v0.4), not both" };
  const field = declared[0];
  const value = context[field];
  const release = RELEASES.find((r) => r.field === field && typeof value === "string" && r.versions.includes(value));
  if (!release) {
    const shown = typeof value === "string" ? `"${value.slice(0, 40)}"` : JSON.stringify(value)?.slice(0, 40);
    return { ok: false, field: `context.${field}`, reason: `context.${field} ${shown} is not a CDEvents version Pier reads (${ACCEPTED})` };
  }
  return { release, specVersion: value as string };
}

/** Checks one event: envelope bounds, the declared spec version, then the schema of its type in that release. */
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
  const declared = releaseOf(context);
  if ("ok" in declared) return declared;
  const { release, specVersion } = declared;
  const type = context.type as string;
  const custom = type.startsWith("dev.cdeventsx.");
  const parsed = parseCdeventType(type);
  if (!parsed && !custom)
    return {
      ok: false,
      field: "context.type",
      reason: `context.type "${type}" is not a CDEvents type (dev.cdevents.<subject>.<predicate>.<version>, or dev.cdeventsx.<tool>-<subject>.<predicate>.<version> for custom events)`,
    };
  const c = compiledFor(release);
  let validate: ValidateFunction;
  let knownType = true;
  if (c.schemaByType.has(type)) {
    validate = c.validators.get(type) ?? c.validators.set(type, c.ajv.compile(c.schemaByType.get(type)!)).get(type)!;
  } else if (parsed && c.typeByKind.has(parsed.kind)) {
    return {
      ok: false,
      field: "context.type",
      reason: `${type}: CDEvents ${specVersion} defines ${parsed.kind} as ${c.typeByKind.get(parsed.kind)}; send that type or the spec version that defines this one`,
    };
  } else {
    validate = unknownTypeValidator(release, c, custom);
    knownType = false;
  }
  if (!validate(raw)) {
    const { field, reason } = fieldOf(validate.errors![0]);
    return { ok: false, field, reason: `${type}: ${reason}` };
  }
  // The schema accepted an RFC 3339 date-time; the database (and common sense) also need it to be a real instant
  // after 1970 — no CI/CD event predates the Unix epoch, and year 0000 cannot be stored.
  const occurredAt = new Date(context.timestamp as string);
  if (Number.isNaN(occurredAt.getTime()) || occurredAt.getTime() < 0)
    return { ok: false, field: "context.timestamp", reason: `context.timestamp "${context.timestamp}" is not a time Pier can use (RFC 3339, 1970 or later)` };
  const kind = parsed && knownType && (DORA_CDEVENT_KINDS as readonly string[]).includes(parsed.kind) ? (parsed.kind as CdeventKind) : null;
  return { ok: true, event: raw as CdEvent, kind, specVersion, knownType, occurredAt };
}

/** One event to check and the path its fields are named under in the request ("", "[3].", "data.", "[3].data."). */
export type EventItem = { value: unknown; path: string };
export type BatchResult = { ok: true; events: ValidationSuccess[] } | { ok: false; index: number | null; field: string; reason: string };

const MAX_EVENTS_PER_REQUEST = 500;

/** Checks every event of a request, all-or-nothing so nothing is partially stored; repeated ids are one event. */
export function validateCdeventList(items: EventItem[], array: boolean, maxEvents = MAX_EVENTS_PER_REQUEST): BatchResult {
  if (items.length === 0) return { ok: false, index: null, field: "(body)", reason: "the array holds no events" };
  if (items.length > maxEvents) return { ok: false, index: null, field: "(body)", reason: `at most ${maxEvents} events per request` };
  const events: ValidationSuccess[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < items.length; i++) {
    const r = validateCdevent(items[i].value);
    if (!r.ok) {
      // "(event)" is the event itself: name it by its path ("[3]", "data") when it has one.
      const field = r.field === "(event)" ? items[i].path.replace(/\.$/, "") || r.field : `${items[i].path}${r.field}`;
      return { ok: false, index: array ? i : null, field, reason: r.reason };
    }
    const migration = isMigrationType(r.event.context.type) ? migrationProblem(r.event) : null;
    if (migration) return { ok: false, index: array ? i : null, field: `${items[i].path}${migration.field}`, reason: migration.reason };
    // The same id twice in one request is one event (idempotency by id).
    if (seen.has(r.event.context.id)) continue;
    seen.add(r.event.context.id);
    events.push(r);
  }
  return { ok: true, events };
}

/** A single event or an array of them (plain JSON body). */
export function validateCdeventBatch(body: unknown, maxEvents = MAX_EVENTS_PER_REQUEST): BatchResult {
  const array = Array.isArray(body);
  const items = array ? body.map((value, i) => ({ value, path: `[${i}].` })) : [{ value: body, path: "" }];
  return validateCdeventList(items, array, maxEvents);
}
