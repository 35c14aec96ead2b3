// Request bodies for the HTTP channels, shaped exactly as each vendor documents (see /work/shared/INTEGRATIONS.md),
// and how each vendor's answers are read.
import { createHmac } from "node:crypto";
import type { OutgoingMessage, Recipients, SendOutcome } from "./channel-types";
import { eventJson } from "./event-json";
import { classifyStatus, type HttpRequest, type HttpResponse } from "./http-send";

function recipientLine(r: Recipients): string {
  const parts: string[] = [];
  if (r.oncall) parts.push(`On-call: ${r.oncall.name}${r.oncall.url ? ` (${r.oncall.url})` : ""}`);
  const byRole = (role: string) => r.users.filter((u) => u.roles.includes(role)).map((u) => u.name);
  const approvers = byRole("eligible_approvers");
  if (approvers.length) parts.push(`Approvers: ${approvers.join(", ")}`);
  const requester = byRole("requester");
  if (requester.length) parts.push(`Requester: ${requester.join(", ")}`);
  return parts.join(" · ");
}

function digestLines(msg: OutgoingMessage) {
  return msg.digest ? msg.digest.map((d) => `• ${d.title}`).join("\n") : "";
}

/** The message text with the digest list and recipients appended. */
export function fullText(msg: OutgoingMessage) {
  return [msg.text, digestLines(msg), recipientLine(msg.recipients)].filter(Boolean).join("\n\n");
}

const json = (body: unknown): Pick<HttpRequest, "method" | "headers" | "body"> => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

export function slackRequest(msg: OutgoingMessage, url: string): HttpRequest {
  const text = fullText(msg);
  const blocks: unknown[] = [
    { type: "header", text: { type: "plain_text", text: msg.title.slice(0, 150), emoji: false } },
    { type: "section", text: { type: "mrkdwn", text: text.slice(0, 3000) || " " } },
  ];
  if (msg.url) {
    blocks.push({ type: "actions", elements: [{ type: "button", text: { type: "plain_text", text: "Open in Pier" }, url: msg.url }] });
  }
  return { url, ...json({ text: `${msg.title}\n${text}`.slice(0, 4000), blocks }) };
}

export function teamsRequest(msg: OutgoingMessage, url: string, format: "workflows" | "messagecard"): HttpRequest {
  const text = fullText(msg);
  if (format === "messagecard") {
    return {
      url,
      ...json({
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        summary: msg.title,
        themeColor: msg.event.severity === "critical" || msg.event.severity === "high" ? "D13438" : "0078D7",
        title: msg.title,
        text: text.replace(/\n/g, "\n\n"),
        potentialAction: msg.url ? [{ "@type": "OpenUri", name: "Open in Pier", targets: [{ os: "default", uri: msg.url }] }] : [],
      }),
    };
  }
  const content = {
    $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
    type: "AdaptiveCard",
    version: "1.4",
    body: [
      { type: "TextBlock", text: msg.title, weight: "Bolder", size: "Medium", wrap: true },
      { type: "TextBlock", text, wrap: true },
    ],
    actions: msg.url ? [{ type: "Action.OpenUrl", title: "Open in Pier", url: msg.url }] : [],
  };
  // Workflows URLs refuse requests that carry an Authorization header: send none.
  return { url, ...json({ type: "message", attachments: [{ contentType: "application/vnd.microsoft.card.adaptive", contentUrl: null, content }] }) };
}

export function readTeams(res: HttpResponse, format: "workflows" | "messagecard"): SendOutcome {
  const base = classifyStatus(res);
  if (format === "workflows" || base.kind !== "delivered") return base;
  // Legacy connectors answer 200 "1" on success and report throttling as a 200 whose body mentions 429.
  if (res.body.trim() === "1") return base;
  if (/429/.test(res.body)) return { kind: "retry", statusCode: res.status, error: `throttled: ${res.body.slice(0, 300)}` };
  return { kind: "permanent", statusCode: res.status, error: `unexpected answer: ${res.body.slice(0, 300)}` };
}

export function discordRequest(msg: OutgoingMessage, url: string): HttpRequest {
  const u = new URL(url);
  u.searchParams.set("wait", "true");
  const colour = { critical: 0xd13438, high: 0xe8590c, medium: 0xf2c94c, low: 0x2f80ed, info: 0x828282 }[msg.event.severity];
  return {
    url: u.toString(),
    ...json({
      content: msg.title.slice(0, 2000),
      embeds: [
        {
          title: msg.title.slice(0, 256),
          description: fullText(msg).slice(0, 4096),
          url: msg.url ?? undefined,
          color: colour,
          timestamp: msg.event.occurredAt,
        },
      ],
      // Event text is user-supplied: never let it ping @everyone or roles.
      allowed_mentions: { parse: [] },
    }),
  };
}

export function readDiscord(res: HttpResponse): SendOutcome {
  if (res.status === 404) return { kind: "gone", statusCode: 404, error: "Discord says the webhook no longer exists" };
  const base = classifyStatus(res);
  if (res.status === 429) {
    // The JSON retry_after is fractional seconds and more precise than the whole-second header.
    try {
      const retryAfter = Number((JSON.parse(res.body) as { retry_after?: number }).retry_after);
      if (Number.isFinite(retryAfter)) return { ...base, retryAfterMs: Math.ceil(retryAfter * 1000) };
    } catch {
      /* fall back to the header */
    }
  }
  return base;
}

export function googleChatRequest(msg: OutgoingMessage, url: string): HttpRequest {
  const u = new URL(url);
  u.searchParams.set("messageReplyOption", "REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD");
  const text = `*${msg.title}*\n${fullText(msg)}${msg.url ? `\n<${msg.url}|Open in Pier>` : ""}`;
  return { url: u.toString(), ...json({ text: text.slice(0, 4000), thread: { threadKey: msg.threadKey.slice(0, 200) } }) };
}

export function webhookRequest(msg: OutgoingMessage, secret: { url: string; signingSecret: string; headers: Record<string, string> }): HttpRequest {
  // JSON.stringify({ id, idempotencyKey, event, message, recipients, digest }), the event written once for all its deliveries.
  const body = `{"id":${JSON.stringify(msg.deliveryId)},"idempotencyKey":${JSON.stringify(msg.idempotencyKey)},"event":${eventJson(msg.event)},${JSON.stringify(
    {
      message: { title: msg.title, text: msg.text, url: msg.url },
      recipients: msg.recipients,
      digest: msg.digest,
    },
  ).slice(1)}`;
  const signature = createHmac("sha256", secret.signingSecret).update(body).digest("hex");
  return {
    url: secret.url,
    method: "POST",
    // Custom headers first: they may not override the ones receivers rely on.
    headers: {
      ...Object.fromEntries(Object.entries(secret.headers).map(([k, v]) => [k.toLowerCase(), v])),
      "content-type": "application/json",
      "user-agent": "Pier-Notifications/1.0",
      "x-pier-event": msg.event.type,
      "x-pier-delivery": msg.deliveryId,
      "idempotency-key": msg.idempotencyKey,
      "x-pier-signature": `sha256=${signature}`,
    },
    body,
  };
}

const RESOLVING = new Set(["incident.resolved", "deployment.succeeded"]);
const PD_SEVERITY = { critical: "critical", high: "error", medium: "warning", low: "info", info: "info" } as const;

/** Alerts about the same thing share a dedup key, so a later resolve closes the page a failure opened. */
function pagerDutyDedupKey(msg: OutgoingMessage) {
  const e = msg.event;
  if (e.subject.incidentId) return `pier:incident:${e.subject.incidentId}`;
  if (e.type.startsWith("deployment.") && e.labels.service) return `pier:deploy:${e.labels.service}:${e.labels.environment ?? ""}`;
  return `pier:event:${e.id ?? msg.deliveryId}`;
}

export function pagerDutyRequest(msg: OutgoingMessage, routingKey: string, baseUrl: string): HttpRequest {
  const url = `${baseUrl.replace(/\/+$/, "")}/v2/enqueue`;
  const dedup_key = pagerDutyDedupKey(msg);
  if (RESOLVING.has(msg.event.type)) return { url, ...json({ routing_key: routingKey, event_action: "resolve", dedup_key }) };
  return {
    url,
    ...json({
      routing_key: routingKey,
      event_action: "trigger",
      dedup_key,
      payload: {
        summary: msg.title.slice(0, 1024),
        source: msg.event.labels.service ?? "pier",
        severity: PD_SEVERITY[msg.event.severity],
        timestamp: msg.event.occurredAt,
        component: msg.event.labels.service,
        group: msg.event.labels.team,
        class: msg.event.type,
        custom_details: { text: fullText(msg), environment: msg.event.labels.environment, labels: msg.event.labels },
      },
      links: msg.url ? [{ href: msg.url, text: "Open in Pier" }] : [],
      client: "Pier",
      client_url: msg.url ?? undefined,
    }),
  };
}

export function readPagerDuty(res: HttpResponse): SendOutcome {
  const base = classifyStatus(res);
  // About 120 events/min per routing key: without a Retry-After, wait a minute rather than hammering it.
  if (res.status === 429 && base.retryAfterMs === undefined) return { ...base, retryAfterMs: 60_000 };
  return base;
}

export function readSlack(res: HttpResponse): SendOutcome {
  return classifyStatus(res);
}
