// What the Jenkins CDEvents plugin sends, and CDEvents pipeline/task runs as Pier's pipeline runs.
// The plugin's HTTP sink posts Java's CloudEvent.toString() with Content-Type application/json (fixtures/jenkins,
// cdevents-plugin.http-sink-wire-format.md):
//   CloudEvent{id='…', source=job/x/1/, type='dev.cdevents.pipelinerun.started.0.1.0', datacontenttype='…',
//              dataschema=null, subject='null', time=2023-…, data=[123, 34, …], extensions={…}}
// The CDEvent is `data`, as Java's signed bytes. It is built by cdevents-sdk-java 0.1.2, so it declares
// context.version "0.1.2": a CDEvents release older than the schemas Pier validates against (v0.4/v0.5), and one
// with no JSON schemas published. Pier checks such an event's envelope (context id/source/type/timestamp, subject
// id/type) and takes the plugin's run types (pipelinerun queued/started/finished, taskrun started/finished); the
// rest of the 0.1 vocabulary is stored and counted as unknown.
// Any CDEvents release's pipelinerun.* / taskrun.* event becomes a pipeline run (server/dora/delivery-activity.ts):
//   queued → queued, started → running, finished → the outcome (success → succeeded, failure/error → failed,
//   cancel → canceled; a finished run without an outcome ran to its end: succeeded).
// Service: the Jenkins job's full name (customData.url "job/folder/job/app/" → "folder/app", else the pipeline name),
// mapped by the jenkins.io/job-full-name annotation, else by name (./delivery-tools.ts).
import { BodyRefusal, parseJsonBody } from "../platform/http-body";
import { eventTime, str } from "./canonical-facts";
import { parseCdeventType, type CdEvent, type ValidationFailure, type ValidationSuccess } from "./cdevents";
import type { DeliveryFact } from "./delivery-facts";

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : {});

const JAVA_CLOUDEVENT =
  /^CloudEvent\{id='([^']*)', source=(.*?), type='([^']*)', datacontenttype='(.*?)', dataschema=(.*?), subject='(.*?)', time=(.*?), data=(\[[-\d,\s]*\]|null), extensions=(.*)\}\s*$/s;

/** True when the body is Java's CloudEvent.toString() text (the Jenkins CDEvents plugin's HTTP sink). */
export const isJavaCloudEventText = (bytes: Uint8Array): boolean => Buffer.from(bytes.subarray(0, 12)).toString("latin1") === "CloudEvent{i";

/** The CDEvent inside a Java CloudEvent.toString() body; a BodyRefusal (400 naming the part) when it is not one. */
export function cdeventFromJavaText(bytes: Uint8Array): unknown {
  const m = JAVA_CLOUDEVENT.exec(Buffer.from(bytes).toString("utf8"));
  if (!m) throw new BodyRefusal(400, "The body starts like Java's CloudEvent.toString() but is not one", "(body)", "invalid_cloudevent");
  if (m[8] === "null") throw new BodyRefusal(400, "The CloudEvent carries no data (the CDEvent)", "data", "invalid_cloudevent");
  const numbers = m[8]
    .slice(1, -1)
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  if (numbers.some((n) => !Number.isInteger(n) || n < -128 || n > 255))
    throw new BodyRefusal(400, "data must be a list of byte values", "data", "invalid_cloudevent");
  // Java bytes are signed: -61 is 0xC3.
  return parseJsonBody(Uint8Array.from(numbers, (n) => n & 0xff));
}

const LEGACY_VERSION = /^0\.1\.\d+$/;
/** The run types of CDEvents 0.1 (what the plugin emits); others are stored as unknown. */
const LEGACY_RUN_TYPES = /^dev\.cdevents\.(pipelinerun\.(queued|started|finished)|taskrun\.(started|finished))\.0\.1\.\d+$/;

/** Envelope check for a CDEvents 0.1.x event (no schemas exist for that release). */
export function validateLegacyCdevent(raw: unknown): ValidationSuccess | ValidationFailure {
  const e = obj(raw);
  const context = obj(e.context);
  if (!LEGACY_VERSION.test(String(context.version ?? "")))
    return { ok: false, field: "context.version", reason: "the Jenkins CDEvents plugin's events declare context.version 0.1.x" };
  for (const key of ["id", "source", "type", "timestamp"] as const) {
    const v = context[key];
    if (typeof v !== "string" || v === "" || v.length > (key === "source" ? 2000 : 255))
      return { ok: false, field: `context.${key}`, reason: `context.${key} is required (a non-empty string of bounded length)` };
  }
  const subject = obj(e.subject);
  if (typeof subject.id !== "string" || subject.id === "" || subject.id.length > 255)
    return { ok: false, field: "subject.id", reason: "subject.id is required (a non-empty string of at most 255 characters)" };
  if (typeof subject.type !== "string" || subject.type === "") return { ok: false, field: "subject.type", reason: "subject.type is required" };
  const type = context.type as string;
  if (!parseCdeventType(type)) return { ok: false, field: "context.type", reason: `context.type "${type.slice(0, 80)}" is not a CDEvents type` };
  const occurredAt = eventTime(context.timestamp);
  if (!occurredAt) return { ok: false, field: "context.timestamp", reason: "context.timestamp is not an RFC 3339 time after 1970" };
  return { ok: true, event: raw as CdEvent, kind: null, specVersion: String(context.version), knownType: LEGACY_RUN_TYPES.test(type), occurredAt };
}

/** True for a CDEvents pipelinerun.* / taskrun.* type of any release. */
export function isCdeventRunType(type: string): boolean {
  const kind = parseCdeventType(type)?.kind ?? "";
  return kind.startsWith("pipelinerun.") || kind.startsWith("taskrun.");
}

/** "job/folder/job/app/" (a Jenkins job URL path) → "folder/app". */
export function jenkinsJobFullName(url: unknown): string | undefined {
  const path = str(url)?.replace(/^https?:\/\/[^/]+/, "");
  if (!path) return undefined;
  const parts = path.split("/").filter(Boolean);
  const names: string[] = [];
  for (let i = 0; i < parts.length - 1; i++) if (parts[i] === "job") names.push(decodeURIComponent(parts[++i]));
  return names.length ? names.join("/") : undefined;
}

const OUTCOME: Record<string, "succeeded" | "failed" | "canceled"> = {
  success: "succeeded",
  failure: "failed",
  error: "failed",
  cancel: "canceled",
  canceled: "canceled",
  cancelled: "canceled",
};

/** A CDEvents pipelinerun/taskrun event → one pipeline run fact (see the header). */
export function translateCdeventRun(e: CdEvent): DeliveryFact | { kind: "ignored"; reason: string } {
  const parsed = parseCdeventType(e.context.type);
  const [subject, predicate] = (parsed?.kind ?? "").split(".");
  const content = obj(e.subject.content);
  const custom = obj(e.customData);
  const build = obj(custom.build);
  const at = eventTime(e.context.timestamp) ?? new Date();
  const outcome = str(content.outcome)?.toLowerCase();
  const status =
    predicate === "queued" ? "queued" : predicate === "started" ? "running" : predicate === "finished" ? (outcome ? OUTCOME[outcome] : "succeeded") : undefined;
  if (!status) return { kind: "ignored", reason: `${e.context.type}${outcome ? ` with outcome ${outcome}` : ""} is not a run state Pier keeps` };
  const pipelineName = str(content.pipelineName) ?? str(custom.name) ?? str(obj(content.pipelineRun).id);
  const fullName = jenkinsJobFullName(custom.url) ?? jenkinsJobFullName(build.url) ?? pipelineName ?? "";
  const scm = obj(build.scmState);
  return {
    kind: "pipelineRun",
    run: {
      source: "cdevents",
      externalId: `${str(e.subject.source) ?? e.context.source}#${e.subject.id}`.slice(0, 500),
      kind: subject === "taskrun" ? "task" : "pipeline",
      serviceName: fullName,
      name: (subject === "taskrun" ? str(content.taskName) : pipelineName) ?? e.subject.id,
      status,
      ref: str(scm.branch) ?? "",
      sha: str(scm.commit) ?? "",
      url: str(content.url) ?? str(build.fullUrl) ?? "",
      startedAt: predicate === "started" ? at : null,
      finishedAt: predicate === "finished" ? at : null,
      updatedAt: at,
    },
  };
}
