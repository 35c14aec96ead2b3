// How CDEvents arrive over HTTP. The CDEvents CloudEvents binding (cdevents/spec cloudevents-binding.md) carries the
// whole CDEvent as the CloudEvent's data, with the CloudEvent's id, source, type, subject and time set to the
// CDEvent's context.id, context.source, context.type, subject.id and context.timestamp. The CloudEvents HTTP
// protocol binding (v1.0.2, §3) tells the modes apart:
//   Content-Type application/cloudevents+json        structured mode: the body is one CloudEvent (JSON format)
//   Content-Type application/cloudevents-batch+json  batched mode: the body is a JSON array of CloudEvents
//   a ce-specversion header (any other type)         binary mode: ce-* headers, the body is the CDEvent itself
//   anything else                                     Pier's plain mode: one CDEvent or a JSON array of them
// A CloudEvent whose attributes contradict its CDEvent is the sender's mistake and refused naming the attribute.
import { BodyRefusal, parseJsonBody } from "../platform/http-body";
import type { CdEvent, EventItem } from "./cdevents";

/** The CloudEvents attributes the binding ties to the CDEvent, as the request carried them. */
type Attributes = { id: string; source: string; type: string; subject?: string; time?: string };
type RequestEvent = EventItem & { attributes?: Attributes; attributePrefix: string };
type CdeventsRequest = { mode: "plain" | "structured" | "batch" | "binary"; array: boolean; events: RequestEvent[] };

const mediaType = (contentType: string | null) => (contentType ?? "").split(";")[0].trim().toLowerCase();
/** application/json or any +json type (the CloudEvents JSON format's rule for data that is JSON). */
const isJsonType = (t: string) => t === "application/json" || /^[a-z0-9.+-]+\/[a-z0-9.+-]+\+json$/.test(t);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

const refuse = (field: string, message: string, status: 400 | 415 = 400, reason = "invalid_cloudevent") => new BodyRefusal(status, message, field, reason);

function requiredAttribute(ce: Record<string, unknown>, name: string, prefix: string): string {
  const v = ce[name];
  if (typeof v !== "string" || v === "") throw refuse(`${prefix}${name}`, `CloudEvents attribute ${prefix}${name} is required (non-empty string)`);
  return v;
}

function optionalAttribute(ce: Record<string, unknown>, name: string, prefix: string): string | undefined {
  const v = ce[name];
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw refuse(`${prefix}${name}`, `CloudEvents attribute ${prefix}${name} must be a string`);
  return v;
}

/** One CloudEvent in the JSON event format (structured or batched mode): its attributes and its data. */
function structuredEvent(ce: unknown, prefix: string): RequestEvent {
  if (!isObject(ce)) throw refuse(prefix ? prefix.slice(0, -1) : "(body)", "a CloudEvent must be a JSON object");
  const specversion = ce.specversion;
  if (specversion !== "1.0")
    throw refuse(
      `${prefix}specversion`,
      `CloudEvents specversion must be "1.0" (the CDEvents binding), not ${JSON.stringify(specversion ?? null).slice(0, 40)}`,
    );
  const attributes: Attributes = {
    id: requiredAttribute(ce, "id", prefix),
    source: requiredAttribute(ce, "source", prefix),
    type: requiredAttribute(ce, "type", prefix),
    subject: optionalAttribute(ce, "subject", prefix),
    time: optionalAttribute(ce, "time", prefix),
  };
  const contentType = optionalAttribute(ce, "datacontenttype", prefix);
  if (contentType !== undefined && !isJsonType(mediaType(contentType)))
    throw refuse(
      `${prefix}datacontenttype`,
      `a CDEvent is JSON: datacontenttype must be application/json, not "${contentType.slice(0, 80)}"`,
      415,
      "unsupported_media_type",
    );
  const hasData = ce.data !== undefined;
  const hasBase64 = ce.data_base64 !== undefined;
  if (hasData === hasBase64) throw refuse(`${prefix}data`, `a CloudEvent carrying a CDEvent has exactly one of ${prefix}data and ${prefix}data_base64`);
  if (hasData) return { value: ce.data, path: `${prefix}data.`, attributes, attributePrefix: prefix };
  if (typeof ce.data_base64 !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(ce.data_base64))
    throw refuse(`${prefix}data_base64`, `${prefix}data_base64 must be base64 text`);
  const decoded = Buffer.from(ce.data_base64, "base64");
  try {
    return { value: parseJsonBody(decoded), path: `${prefix}data_base64.`, attributes, attributePrefix: prefix };
  } catch (err) {
    if (err instanceof BodyRefusal) throw refuse(`${prefix}data_base64`, `${prefix}data_base64: ${err.message}`);
    throw err;
  }
}

/** A ce-* header value: the HTTP binding percent-encodes characters outside printable ASCII (§3.1.3.2). */
function header(headers: Headers, name: string): string | undefined {
  const v = headers.get(name);
  if (v === null) return undefined;
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

/** Reads the CDEvents a request carries, by mode; throws a BodyRefusal (4xx naming the field) for a malformed one. */
export function cdeventsFromRequest(headers: Headers, bytes: Uint8Array): CdeventsRequest {
  const type = mediaType(headers.get("content-type"));
  if (type === "application/cloudevents-batch+json") {
    const body = parseJsonBody(bytes);
    if (!Array.isArray(body)) throw refuse("(body)", "a CloudEvents batch is a JSON array of CloudEvents");
    return { mode: "batch", array: true, events: body.map((ce, i) => structuredEvent(ce, `[${i}].`)) };
  }
  if (type === "application/cloudevents+json") return { mode: "structured", array: false, events: [structuredEvent(parseJsonBody(bytes), "")] };
  if (type.startsWith("application/cloudevents"))
    throw refuse("Content-Type", `Pier reads the CloudEvents JSON format only (application/cloudevents+json), not ${type}`, 415, "unsupported_media_type");
  const specversion = headers.get("ce-specversion");
  if (specversion !== null) {
    if (specversion !== "1.0") throw refuse("ce-specversion", `ce-specversion must be "1.0" (the CDEvents binding), not "${specversion.slice(0, 40)}"`);
    if (type && !isJsonType(type))
      throw refuse("Content-Type", `in binary mode a CDEvent is sent as application/json, not ${type}`, 415, "unsupported_media_type");
    const required = (name: string) => {
      const v = header(headers, name);
      if (!v) throw refuse(name, `${name} is required in CloudEvents binary mode`);
      return v;
    };
    const attributes: Attributes = {
      id: required("ce-id"),
      source: required("ce-source"),
      type: required("ce-type"),
      subject: header(headers, "ce-subject"),
      time: header(headers, "ce-time"),
    };
    const body = parseJsonBody(bytes);
    if (!isObject(body)) throw refuse("(body)", "in binary mode the body is one CDEvent (a JSON object); send several as application/cloudevents-batch+json");
    return { mode: "binary", array: false, events: [{ value: body, path: "", attributes, attributePrefix: "ce-" }] };
  }
  const body = parseJsonBody(bytes);
  if (Array.isArray(body)) return { mode: "plain", array: true, events: body.map((value, i) => ({ value, path: `[${i}].`, attributePrefix: "" })) };
  return { mode: "plain", array: false, events: [{ value: body, path: "", attributePrefix: "" }] };
}

/** The first CloudEvents attribute that contradicts the (validated) CDEvent it carries, if any. */
export function attributeMismatch(item: RequestEvent, event: CdEvent): { field: string; reason: string } | null {
  const a = item.attributes;
  if (!a) return null;
  const pairs: [keyof Attributes, string | undefined, string][] = [
    ["id", a.id, event.context.id],
    ["source", a.source, event.context.source],
    ["type", a.type, event.context.type],
    ["subject", a.subject, event.subject.id],
  ];
  for (const [name, given, expected] of pairs) {
    if (given !== undefined && given !== expected)
      return {
        field: `${item.attributePrefix}${name}`,
        reason: `CloudEvents ${item.attributePrefix}${name} "${given.slice(0, 80)}" differs from the CDEvent's ${name === "subject" ? "subject.id" : `context.${name}`} "${String(expected).slice(0, 80)}" (the CDEvents binding requires them equal)`,
      };
  }
  if (a.time !== undefined && new Date(a.time).getTime() !== new Date(event.context.timestamp).getTime())
    return {
      field: `${item.attributePrefix}time`,
      reason: `CloudEvents ${item.attributePrefix}time "${a.time.slice(0, 40)}" is not the CDEvent's context.timestamp "${event.context.timestamp}" (the CDEvents binding requires the same instant)`,
    };
  return null;
}
