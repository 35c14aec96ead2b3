// Message templates: `{{variable}}` placeholders over a fixed set of safe variables (no expressions, no access to
// arbitrary event fields), rendered per channel type with that channel's escaping.
import type { ChannelType } from "@/generated/prisma/enums";
import { env } from "../env";
import { badRequest } from "../errors";
import { PIER_EVENT_TYPES, labelsFor, type PierEventShape, type PierEventType } from "../bus/events";
import type { Recipients } from "./channels/channel-types";

export const TEMPLATE_VARIABLES = [
  "type",
  "summary",
  "service",
  "team",
  "environment",
  "tier",
  "severity",
  "version",
  "previousVersion",
  "requester",
  "approvers",
  "oncall",
  "actor",
  "reason",
  "url",
] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];

const PLACEHOLDER = /\{\{\s*([a-zA-Z]+)\s*\}\}/g;

export type TemplateText = { title: string; body: string };

const DEFAULTS: Partial<Record<PierEventType, TemplateText>> = {
  "deployment.requested": {
    title: "Approval needed: {{service}} {{version}} → {{environment}}",
    body: "{{requester}} asks to deploy {{service}} {{version}} to {{environment}}. {{summary}}\nApprovers: {{approvers}}\n{{url}}",
  },
  "deployment.approved": {
    title: "Approved: {{service}} {{version}} → {{environment}}",
    body: "{{actor}} approved the deployment of {{service}} {{version}} to {{environment}}.\n{{url}}",
  },
  "deployment.rejected": { title: "Rejected: {{service}} {{version}} → {{environment}}", body: "{{actor}} rejected the deployment. {{reason}}\n{{url}}" },
  "deployment.succeeded": {
    title: "Deployed: {{service}} {{version}} to {{environment}}",
    body: "{{service}} {{version}} is live in {{environment}} (was {{previousVersion}}).\n{{url}}",
  },
  "deployment.failed": {
    title: "Deployment FAILED: {{service}} {{version}} in {{environment}}",
    body: "The deployment of {{service}} {{version}} to {{environment}} failed. {{reason}}\nOn-call: {{oncall}}\n{{url}}",
  },
  "deployment.rolled_back": {
    title: "Rolled back: {{service}} in {{environment}}",
    body: "{{service}} was rolled back to {{previousVersion}} in {{environment}}. {{reason}}\n{{url}}",
  },
  "rollout.analysis_failed": {
    title: "Verification FAILED: {{service}} {{version}} in {{environment}}, rolling back",
    body: "{{summary}}\nOn-call: {{oncall}}\n{{url}}",
  },
  "deployment.break_glass": {
    title: "Break-glass deployment: {{service}} {{version}} → {{environment}}",
    body: "{{actor}} deployed without approval. Reason: {{reason}}\n{{url}}",
  },
  "approval.recorded": {
    title: "Approval recorded: {{service}} {{version}}",
    body: "{{actor}} recorded an approval for {{service}} {{version}} → {{environment}}.\n{{url}}",
  },
  "approval.escalation_due": {
    title: "Still waiting for approval: {{service}} {{version}} → {{environment}}",
    body: "This request from {{requester}} is still pending. Approvers: {{approvers}}\n{{url}}",
  },
  "incident.detected": { title: "[{{severity}}] Incident on {{service}} ({{environment}})", body: "{{summary}}\nOn-call: {{oncall}}\n{{url}}" },
  "incident.resolved": { title: "Resolved: incident on {{service}} ({{environment}})", body: "{{summary}}\n{{url}}" },
  "incident.link_reviewed": { title: "Incident on {{service}}: deployment link reviewed", body: "{{actor}} reviewed which deployment caused it.\n{{url}}" },
  "catalog.service_changed": { title: "Catalog: {{service}} changed", body: "{{actor}} changed {{service}}. {{summary}}\n{{url}}" },
  "catalog.import_finished": { title: "Catalog import: {{summary}}", body: "The catalog import {{actor}} started has ended. {{summary}}\n{{url}}" },
  "catalog.entity_changed": { title: "Catalog: {{ref}} {{change}}", body: "{{actor}} imported {{ref}} ({{change}}).\n{{url}}" },
  "catalog.team_changed": { title: "Team {{teamSlug}}: {{change}}", body: "{{actor}} changed team {{teamSlug}} ({{change}}).\n{{url}}" },
  "catalog.location_changed": { title: "Catalog location {{change}}: {{target}}", body: "{{summary}}\n{{url}}" },
  "audit.chain_broken": { title: "[{{severity}}] Pier's audit chain is broken", body: "{{summary}}\n{{url}}" },
  "alert.firing": { title: "[{{severity}}] Alert firing: {{summary}}", body: "{{summary}}\n{{url}}" },
  "alert.resolved": { title: "Alert resolved: {{summary}}", body: "{{summary}}\n{{url}}" },
  "drift.detected": { title: "[{{severity}}] Drift: {{service}} in {{environment}}", body: "{{summary}}\n{{url}}" },
  "drift.resolved": { title: "Drift resolved: {{service}} in {{environment}}", body: "{{summary}}\n{{url}}" },
  "release.requested": { title: "Release approval needed ({{environment}})", body: "{{actor}} asks to release together: {{summary}}\n{{url}}" },
  "release.held": { title: "Release HELD in {{environment}}", body: "{{summary}}\n{{url}}" },
  "release.failed": { title: "Release FAILED in {{environment}}", body: "{{summary}}\n{{url}}" },
  "release.rolled_back": { title: "Release rolled back in {{environment}}", body: "{{summary}}\n{{url}}" },
  "test.event": {
    title: "Test notification from Pier ({{severity}})",
    body: "This is a test event for {{service}} {{environment}} sent by {{actor}}.\n{{url}}",
  },
};

export function defaultTemplate(eventType: string): TemplateText {
  return DEFAULTS[eventType as PierEventType] ?? { title: "{{type}}: {{service}} {{environment}}", body: "{{summary}}\n{{url}}" };
}

/** Unknown placeholders are refused when a template is saved, so a typo never reaches a channel. */
export function assertValidTemplate(t: TemplateText) {
  for (const [field, text] of [
    ["title", t.title],
    ["body", t.body],
  ] as const) {
    for (const m of text.matchAll(PLACEHOLDER)) {
      if (!(TEMPLATE_VARIABLES as readonly string[]).includes(m[1])) {
        throw badRequest(`Unknown variable {{${m[1]}}}; use one of: ${TEMPLATE_VARIABLES.join(", ")}`, field);
      }
    }
  }
}

const ESCAPE: Partial<Record<ChannelType, (s: string) => string>> = {
  // Slack mrkdwn treats <…> as links/mentions: event text must not be able to craft them.
  slack: (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;"),
  discord: (s) => s.replace(/([*_~`|>])/g, "\\$1"),
};

const str = (v: unknown) => (v === undefined || v === null ? "" : String(v));

export function templateVariables(event: PierEventShape, recipients: Recipients): Record<TemplateVariable, string> {
  const d = event.data;
  const withRole = (role: string) =>
    recipients.users
      .filter((u) => u.roles.includes(role))
      .map((u) => u.name)
      .join(", ");
  return {
    type: event.type,
    summary: str(d.summary ?? d.message ?? d.title),
    service: event.subject.service?.name ?? event.labels.service ?? "",
    team: event.labels.team ?? "",
    environment: event.labels.environment ?? "",
    tier: event.labels.tier ?? "",
    severity: event.severity,
    version: str(d.version),
    previousVersion: str(d.previousVersion),
    requester: withRole("requester") || str(d.requesterName),
    approvers: withRole("eligible_approvers"),
    oncall: recipients.oncall ? `${recipients.oncall.name}${recipients.oncall.url ? ` (${recipients.oncall.url})` : ""}` : "",
    actor: event.actor?.label ?? "",
    reason: str(d.reason),
    url: linkFor(event),
  };
}

/** Links only ever point back to Pier itself: a URL in event data is used as a path on PIER_BASE_URL. */
export function linkFor(event: PierEventShape): string {
  const base = env().PIER_BASE_URL.replace(/\/+$/, "");
  const raw = typeof event.data.url === "string" ? event.data.url : "";
  if (raw) {
    try {
      const u = new URL(raw, base);
      if (u.origin === new URL(base).origin) return u.toString();
    } catch {
      /* fall through */
    }
  }
  if (event.subject.deploymentRequestId) return `${base}/deployments/${event.subject.deploymentRequestId}`;
  if (event.subject.service) return `${base}/services/${event.subject.service.slug}`;
  return base;
}

export function renderTemplate(t: TemplateText, vars: Record<string, string>, channelType: ChannelType): TemplateText {
  const escape = ESCAPE[channelType] ?? ((s: string) => s);
  const fill = (text: string) =>
    text
      .replace(PLACEHOLDER, (_, name: string) => (name in vars ? escape(vars[name]) : ""))
      .replace(/[ \t]+\n/g, "\n")
      .trim();
  // Titles are one line whatever the variables hold.
  return { title: fill(t.title).replace(/\s*\n\s*/g, " "), body: fill(t.body) };
}

/** A realistic event of the given type, for template previews and route tests. */
export function sampleEvent(type: string, overrides: Partial<PierEventShape> = {}): PierEventShape {
  const t = ((PIER_EVENT_TYPES as readonly string[]).includes(type) ? type : "test.event") as PierEventType;
  const severity = t === "deployment.failed" || t === "incident.detected" ? "high" : t === "deployment.break_glass" ? "critical" : "info";
  const base: PierEventShape = {
    id: "sample-event",
    type: t,
    occurredAt: new Date().toISOString(),
    severity,
    subject: {
      service: { id: "sample-service", slug: "payments-api", name: "Payments API", tier: 1, teamId: "sample-team", teamSlug: "payments" },
      environment: { id: "sample-env", name: "prod", isProduction: true },
      deploymentRequestId: t.startsWith("deployment.") || t.startsWith("approval.") ? "sample-request" : undefined,
      incidentId: t.startsWith("incident.") ? "sample-incident" : undefined,
    },
    actor: { id: null, label: "Dana Developer" },
    data: {
      version: "v2.4.1",
      previousVersion: "v2.4.0",
      summary: "Adds retry budget to the card authoriser.",
      reason: "Error rate above 5% after canary step 2",
      requesterName: "Dana Developer",
    },
    labels: {},
    ...overrides,
  };
  return { ...base, labels: { ...labelsFor(base), ...overrides.labels } };
}
