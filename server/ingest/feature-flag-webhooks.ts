// Feature-flag change webhooks (Unleash's Webhook addon, LaunchDarkly webhooks, Flagsmith environment webhooks) →
// flag changes: environment changes of kind "feature_flag" (CDEvents environment.modified: the running software's
// behaviour changed without a deployment) on the service timeline, next to deployments and incidents, and offered as
// suspects when an incident starts (server/dora/flag-suspects.ts).
// What each vendor sends (real payloads in test/fixtures/feature-flags, SOURCES.md):
//   Unleash      the event as JSON (type, featureName, project, environment, createdBy, createdAt, id); "feature-*"
//                events are flag changes, the rest (strategy-created, project-created…) are not.
//   LaunchDarkly an audit-log entry (kind, accesses[].resource "proj/<p>:env/<e>:flag/<key>", date in ms, _id,
//                title); kind "flag" only.
//   Flagsmith    { event_type: "FLAG_UPDATED", data: { new_state, previous_state, changed_by, timestamp } }.
// Service: the catalog service annotated unleash/project, launchdarkly/project-key or flagsmith/project with the
// flag's project (./delivery-tools.ts), else the service of that name; unmatched projects are kept as sent for the
// data-quality page.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { str } from "./canonical-facts";
import type { CanonicalFact } from "./canonical-facts";
import type { DeliveryFact } from "./delivery-facts";
import type { IntakeProblem } from "./gitlab-webhooks";

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : {});

export const FEATURE_FLAG_SOURCES = ["unleash", "launchdarkly", "flagsmith"] as const;
export type FeatureFlagSource = (typeof FEATURE_FLAG_SOURCES)[number];
export const isFeatureFlagSource = (s: string): s is FeatureFlagSource => (FEATURE_FLAG_SOURCES as readonly string[]).includes(s);

/** What happened to the flag, as the timeline shows it. */
type FlagAction = "on" | "off" | "created" | "archived" | "deleted" | "updated";

/** The flag change one delivery describes, or null when the delivery is not a flag change. */
type FlagChange = {
  externalId: string;
  flagKey: string;
  project: string;
  environment: string;
  action: FlagAction;
  summary: string;
  url: string;
  occurredAt: Date;
};

function validTime(v: unknown): Date | null {
  const d = typeof v === "string" || typeof v === "number" ? new Date(v) : null;
  return d && !Number.isNaN(d.getTime()) && d.getTime() >= 0 && d.getUTCFullYear() <= 9999 ? d : null;
}

/** Hex HMAC-SHA256 of the raw body with any of `secrets` (LaunchDarkly X-LD-Signature, Flagsmith X-Flagsmith-Signature). */
export function verifyHexHmacSha256(raw: Uint8Array, header: string | null, secrets: string[]): boolean {
  const hex = header?.trim().replace(/^sha256=/, "") ?? "";
  if (!/^[0-9a-f]{64}$/i.test(hex)) return false;
  const given = Buffer.from(hex, "hex");
  // Every secret is compared, so the time taken does not tell which one (if any) matched.
  return secrets.map((s) => timingSafeEqual(createHmac("sha256", s).update(raw).digest(), given)).some(Boolean);
}

// ---- Unleash ---------------------------------------------------------------------------------------------------

const isUnleashFlagEvent = (type: string) => type.startsWith("feature-") && type !== "feature-tag-import";

export function unleashIntakeProblem(p: Json): IntakeProblem | null {
  const type = str(p.type);
  if (!type) return { field: "type", reason: "type is missing (the Unleash event type, e.g. feature-environment-enabled)" };
  if (!validTime(p.createdAt)) return { field: "createdAt", reason: "createdAt is missing or not an ISO 8601 time" };
  if (isUnleashFlagEvent(type) && !str(p.featureName)) return { field: "featureName", reason: `featureName is missing (a ${type} event names its flag)` };
  return null;
}

export const unleashEventTime = (p: Json) => validTime(p.createdAt);
/** Unleash numbers its events; a retry of the addon resends the same id. */
export const unleashDeliveryId = (p: Json, bodyHash: string) => (p.id !== undefined && p.id !== null ? `event:${String(p.id)}` : bodyHash);

const UNLEASH_ACTIONS: Record<string, FlagAction> = {
  "feature-environment-enabled": "on",
  "feature-environment-disabled": "off",
  "feature-created": "created",
  "feature-archived": "archived",
  "feature-deleted": "deleted",
};

function unleashFlagChange(p: Json): FlagChange | null {
  const type = str(p.type) ?? "";
  if (!isUnleashFlagEvent(type)) return null;
  const flagKey = str(p.featureName) ?? "";
  const what = str(p.label) ?? type.replace(/^feature-/, "").replace(/-/g, " ");
  return {
    externalId: unleashDeliveryId(p, `${type}:${flagKey}:${String(p.createdAt)}`),
    flagKey,
    project: str(p.project) ?? "",
    environment: str(p.environment) ?? "",
    action: UNLEASH_ACTIONS[type] ?? "updated",
    summary: `${str(p.createdBy) ?? "Someone"}: ${what} (${flagKey})`,
    url: "",
    occurredAt: validTime(p.createdAt)!,
  };
}

// ---- LaunchDarkly ----------------------------------------------------------------------------------------------

/** "proj/default:env/test:flag/test-flag" → its parts (LaunchDarkly's resource specifier). */
function ldResource(resource: string): { project: string; environment: string; flag: string } {
  const part = (name: string) => new RegExp(`(?:^|:)${name}/([^:;]+)`).exec(resource)?.[1] ?? "";
  return { project: part("proj"), environment: part("env"), flag: part("flag") };
}

function ldAccesses(p: Json): Array<{ action: string; resource: string }> {
  return (Array.isArray(p.accesses) ? p.accesses : []).map((a) => ({ action: str(obj(a).action) ?? "", resource: str(obj(a).resource) ?? "" }));
}

export function launchdarklyIntakeProblem(p: Json): IntakeProblem | null {
  if (!str(p.kind)) return { field: "kind", reason: "kind is missing (LaunchDarkly sends an audit-log entry)" };
  if (!str(p._id)) return { field: "_id", reason: "_id is missing" };
  if (!validTime(p.date)) return { field: "date", reason: "date is missing or not milliseconds since the epoch" };
  if (p.kind === "flag" && !ldAccesses(p).some((a) => ldResource(a.resource).flag))
    return { field: "accesses", reason: 'accesses names no flag resource ("proj/<project>:env/<environment>:flag/<key>")' };
  return null;
}

export const launchdarklyEventTime = (p: Json) => validTime(p.date);

const LD_ACTIONS: Record<string, FlagAction> = { createFlag: "created", deleteFlag: "deleted", archiveFlag: "archived" };

/**
 * updateOn says the targeting was switched; LaunchDarkly's own description says to which state ("Turned the flag
 * on"), else currentVersion's state in that environment does.
 */
function ldToggle(p: Json, environment: string): FlagAction {
  const said = /Turned the flag (on|off)/i.exec(str(p.description) ?? "")?.[1]?.toLowerCase();
  if (said === "on" || said === "off") return said;
  const on = obj(obj(obj(p.currentVersion).environments)[environment]).on;
  return typeof on === "boolean" ? (on ? "on" : "off") : "updated";
}

/** Markdown links and code spans as plain text ("[test flag](https://…) in `Test`" → "test flag in Test"). */
const plain = (markdown: string) => markdown.replace(/\[([^\]]*)\]\([^)]*\)/g, "$1").replace(/`/g, "");

function launchdarklyFlagChange(p: Json): FlagChange | null {
  if (p.kind !== "flag") return null;
  const accesses = ldAccesses(p);
  const target = accesses.find((a) => ldResource(a.resource).flag)!;
  const { project, environment, flag } = ldResource(target.resource);
  const action: FlagAction = accesses.some((a) => a.action === "updateOn") ? ldToggle(p, environment) : (LD_ACTIONS[target.action] ?? "updated");
  const title = typeof p.title === "string" ? p.title : (str(obj(p.title).markdown) ?? "");
  const site = str(obj(obj(p._links).site).href) ?? "";
  return {
    externalId: String(p._id),
    flagKey: flag,
    project,
    environment,
    action,
    summary: plain(title) || `${accesses.map((a) => a.action).join(", ")} on ${flag}`,
    url: site.startsWith("/") ? `https://app.launchdarkly.com${site}` : site,
    occurredAt: validTime(p.date)!,
  };
}

// ---- Flagsmith -------------------------------------------------------------------------------------------------

const FLAGSMITH_FLAG_EVENTS = ["FLAG_UPDATED", "FLAG_DELETED"];

function flagsmithState(p: Json): Json {
  const data = obj(p.data);
  return Object.keys(obj(data.new_state)).length > 0 ? obj(data.new_state) : obj(data.previous_state);
}

export function flagsmithIntakeProblem(p: Json): IntakeProblem | null {
  const type = str(p.event_type);
  if (!type) return { field: "event_type", reason: "event_type is missing (FLAG_UPDATED for an environment webhook)" };
  if (!FLAGSMITH_FLAG_EVENTS.includes(type)) return null;
  const data = obj(p.data);
  if (!validTime(data.timestamp)) return { field: "data.timestamp", reason: "data.timestamp is missing or not an ISO 8601 time" };
  if (!str(obj(flagsmithState(p).feature).name)) return { field: "data.new_state.feature.name", reason: "data.new_state.feature.name is missing" };
  return null;
}

export const flagsmithEventTime = (p: Json) => validTime(obj(p.data).timestamp) ?? validTime(obj(p.data).created_date);

function flagsmithFlagChange(p: Json): FlagChange | null {
  if (!FLAGSMITH_FLAG_EVENTS.includes(str(p.event_type) ?? "")) return null;
  const data = obj(p.data);
  const state = flagsmithState(p);
  const feature = obj(state.feature);
  const before = obj(data.previous_state);
  const after = obj(data.new_state);
  const flagKey = str(feature.name) ?? "";
  const environment = str(obj(state.environment).name) ?? "";
  const scope = str(after.identity_identifier)
    ? ` for identity ${String(after.identity_identifier)}`
    : Object.keys(obj(after.feature_segment)).length > 0
      ? " for a segment"
      : "";
  const action: FlagAction =
    p.event_type === "FLAG_DELETED"
      ? "deleted"
      : Object.keys(before).length === 0
        ? "created"
        : before.enabled !== after.enabled && !scope
          ? after.enabled
            ? "on"
            : "off"
          : "updated";
  const timestamp = validTime(data.timestamp)!;
  return {
    // Flagsmith sends no delivery id: the feature, environment, scope and time name one change.
    externalId: createHash("sha256")
      .update(`${String(feature.id)}|${String(obj(state.environment).id)}|${scope}|${timestamp.toISOString()}`)
      .digest("hex")
      .slice(0, 40),
    flagKey,
    project: str(obj(feature.project).name) ?? "",
    environment,
    action,
    summary: `${str(data.changed_by) ?? "Someone"}: ${flagKey} ${action === "on" ? "turned on" : action === "off" ? "turned off" : action}${scope} in ${environment}`,
    url: "",
    occurredAt: timestamp,
  };
}

// ---- translation -----------------------------------------------------------------------------------------------

const FLAG_CHANGE: Record<FeatureFlagSource, (p: Json) => FlagChange | null> = {
  unleash: unleashFlagChange,
  launchdarkly: launchdarklyFlagChange,
  flagsmith: flagsmithFlagChange,
};

const SOURCE_LABEL: Record<FeatureFlagSource, string> = { unleash: "Unleash", launchdarkly: "LaunchDarkly", flagsmith: "Flagsmith" };

/** Admin → Integrations' test event (./test-delivery.ts) changes this flag: stored, not translated. */
export const FLAG_TEST_DELIVERY = "pier-test-delivery";

export function translateFeatureFlag(source: FeatureFlagSource, p: Json): Array<CanonicalFact | DeliveryFact> {
  const change = FLAG_CHANGE[source](p);
  if (!change) return [{ kind: "ignored", reason: `${SOURCE_LABEL[source]} ${String(p.type ?? p.kind ?? p.event_type)} is not a flag change` }];
  if (change.flagKey === FLAG_TEST_DELIVERY) return [{ kind: "ignored", reason: "Pier's test delivery" }];
  return [
    {
      kind: "environmentChange",
      change: {
        source,
        externalId: change.externalId,
        kind: "feature_flag",
        environmentName: change.environment,
        serviceName: change.project,
        status: change.action,
        summary: change.summary.slice(0, 500),
        // The flag's key: what the timeline and the incident suspects name.
        revision: change.flagKey,
        url: change.url,
        occurredAt: change.occurredAt,
      },
    },
  ];
}
