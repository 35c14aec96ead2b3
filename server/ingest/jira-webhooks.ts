// Jira issue webhooks (REST v2 shapes: fixtures/jira/webhook.*.cloud.json). An admin webhook with a secret is signed
// X-Hub-Signature: sha256=<hex HMAC-SHA256 of the raw body> (WebSub style, as GitHub's X-Hub-Signature-256); Jira
// Data Center webhooks carry no signature, so a ?token=<secret> in the URL is accepted instead.
//   every jira:issue_* event        → the ticket's latest status (JiraTicket: the deployment request page shows it)
//   an issue of a configured type   → an incident (PIER_JIRA_INCIDENT_ISSUE_TYPES, default "Incident"): detected
//                                     at fields.created, resolved at fields.resolutiondate, reopened when the
//                                     changelog clears the resolution; priority → severity (Highest critical, High
//                                     high, Medium medium, Low/Lowest low)
// Service: the catalog service annotated jira/project-key with the issue's project key (Backstage's annotation),
// else the service named like the issue's first component, else the project key (unmatched: data quality).
// The delivery id is X-Atlassian-Webhook-Identifier (the same on Jira's retries), else event + issue + timestamp.
import { env } from "../env";
import { str, type CanonicalFact } from "./canonical-facts";
import type { DeliveryFact } from "./delivery-facts";
import type { IntakeProblem } from "./gitlab-webhooks";

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : {});

const ISSUE_EVENT = /^jira:issue_(created|updated|deleted)$/;

/** Jira's "2019-02-15T19:01:52.971-0800" (offset without a colon) or ISO-8601 → Date, else null. */
export function jiraTime(v: unknown): Date | null {
  if (typeof v !== "string") return null;
  const d = new Date(v.replace(/([+-]\d{2})(\d{2})$/, "$1:$2"));
  return Number.isNaN(d.getTime()) || d.getTime() < 0 || d.getUTCFullYear() > 9999 ? null : d;
}

const epochMs = (v: unknown): Date | null => (typeof v === "number" && v >= 0 && v < 253_402_300_800_000 ? new Date(v) : null);

export function jiraIntakeProblem(payload: Json): IntakeProblem | null {
  const event = str(payload.webhookEvent);
  if (!event) return { field: "webhookEvent", reason: "webhookEvent is missing" };
  if (!ISSUE_EVENT.test(event)) return null; // other events (comments, sprints…) are stored and ignored
  const issue = obj(payload.issue);
  if (!str(issue.key)) return { field: "issue.key", reason: "issue.key is missing" };
  const fields = obj(issue.fields);
  if (!str(obj(fields.status).name)) return { field: "issue.fields.status.name", reason: "issue.fields.status.name is missing" };
  if (!epochMs(payload.timestamp)) return { field: "timestamp", reason: "timestamp must be epoch milliseconds" };
  return null;
}

export const jiraEventType = (payload: Json): string => str(payload.webhookEvent) ?? "unknown";
export const jiraEventTime = (payload: Json): Date | null => epochMs(payload.timestamp);

export function jiraDeliveryId(req: Request, payload: Json): string {
  const header = req.headers.get("x-atlassian-webhook-identifier");
  if (header && /^[\x21-\x7e]{1,200}$/.test(header)) return `webhook:${header}`;
  return `${String(payload.webhookEvent)}:${String(obj(payload.issue).id ?? obj(payload.issue).key)}:${String(payload.timestamp)}`;
}

const SEVERITY: Record<string, string> = {
  highest: "critical",
  blocker: "critical",
  high: "high",
  critical: "high",
  medium: "medium",
  low: "low",
  lowest: "low",
};

/** The issue types that are incidents (PIER_JIRA_INCIDENT_ISSUE_TYPES), lower-cased. */
const incidentTypes = () =>
  new Set(
    env()
      .PIER_JIRA_INCIDENT_ISSUE_TYPES.split(",")
      .map((t) => t.trim().toLowerCase()),
  );

export type TicketInput = { key: string; summary: string; issueType: string; status: string; statusCategory: string; url: string; updatedAt: Date };

/** The project key of the issue: for the jira/project-key annotation. */
export const jiraProjectKey = (payload: Json): string => str(obj(obj(obj(payload.issue).fields).project).key) ?? "";

/** "https://x.atlassian.net/rest/api/2/issue/10040" + TES-41 → "https://x.atlassian.net/browse/TES-41". */
function browseUrl(self: unknown, key: string): string {
  const m = /^(https?:\/\/[^/]+(?:\/[^/]+)*?)\/rest\/api\//.exec(str(self) ?? "");
  return m ? `${m[1]}/browse/${key}` : "";
}

export function translateJira(payload: Json, receivedAt: Date): Array<CanonicalFact | DeliveryFact> {
  const event = str(payload.webhookEvent) ?? "";
  if (!ISSUE_EVENT.test(event)) return [{ kind: "ignored", reason: `Jira ${event || "event"} events are not used` }];
  if (event === "jira:issue_deleted") return [{ kind: "ignored", reason: "a deleted issue changes nothing Pier keeps" }];
  const issue = obj(payload.issue);
  const fields = obj(issue.fields);
  const key = String(issue.key);
  const status = obj(fields.status);
  const issueType = str(obj(fields.issuetype).name) ?? "";
  const at = epochMs(payload.timestamp) ?? receivedAt;
  const facts: Array<CanonicalFact | DeliveryFact> = [
    {
      kind: "ticketStatus",
      ticket: {
        key,
        summary: str(fields.summary) ?? "",
        issueType,
        status: String(status.name),
        statusCategory: str(obj(status.statusCategory).key) ?? "",
        url: browseUrl(issue.self, key),
        updatedAt: at,
      },
    },
  ];
  if (!incidentTypes().has(issueType.toLowerCase())) return facts;
  const items = Array.isArray(obj(payload.changelog).items) ? (obj(payload.changelog).items as unknown[]).map(obj) : [];
  const reopened = items.some((i) => i.field === "resolution" && i.from !== null && i.from !== undefined && (i.to === null || i.to === undefined));
  const components = Array.isArray(fields.components) ? fields.components.map(obj) : [];
  facts.push({
    kind: "incident",
    incident: {
      source: "jira",
      externalId: key,
      serviceName: str(components[0]?.name) ?? jiraProjectKey(payload),
      title: `${key}: ${str(fields.summary) ?? ""}`.slice(0, 500),
      severity: SEVERITY[(str(obj(fields.priority).name) ?? "").toLowerCase()],
      detectedAt: jiraTime(fields.created) ?? at,
      resolvedAt: jiraTime(fields.resolutiondate),
      reopenedAt: reopened ? at : null,
    },
  });
  return facts;
}
