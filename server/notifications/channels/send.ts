// The one entry point delivery uses: build the vendor request for a channel, send it, read the answer.
// `preview` builds the same request without sending, with secrets masked (route test and template preview).
import type { ChannelType } from "@/generated/prisma/enums";
import { CHANNEL_CONFIG, type ChannelRuntime, type OutgoingMessage, type SendOutcome } from "./channel-types";
import {
  discordRequest,
  googleChatRequest,
  pagerDutyRequest,
  readDiscord,
  readPagerDuty,
  readSlack,
  readTeams,
  slackRequest,
  teamsRequest,
  webhookRequest,
} from "./chat-payloads";
import { emailMessage, sendEmail, type EmailMessage } from "./email";
import { BlockedUrlError, sendHttp, type HttpDeps, type HttpRequest, type HttpResponse } from "./http-send";
import { maskUrl } from "./masking";

type Built = { kind: "http"; request: HttpRequest; read: (res: HttpResponse) => SendOutcome } | { kind: "email"; mail: EmailMessage };

function build(ch: ChannelRuntime, msg: OutgoingMessage, emailTo: string[]): Built {
  const type: ChannelType = ch.type;
  switch (type) {
    case "slack": {
      const s = CHANNEL_CONFIG.slack.secret.parse(ch.secret);
      return { kind: "http", request: slackRequest(msg, s.url), read: readSlack };
    }
    case "teams": {
      const s = CHANNEL_CONFIG.teams.secret.parse(ch.secret);
      const { format } = CHANNEL_CONFIG.teams.settings.parse(ch.settings);
      return { kind: "http", request: teamsRequest(msg, s.url, format), read: (res) => readTeams(res, format) };
    }
    case "discord": {
      const s = CHANNEL_CONFIG.discord.secret.parse(ch.secret);
      return { kind: "http", request: discordRequest(msg, s.url), read: readDiscord };
    }
    case "google_chat": {
      const s = CHANNEL_CONFIG.google_chat.secret.parse(ch.secret);
      return { kind: "http", request: googleChatRequest(msg, s.url), read: readSlack };
    }
    case "webhook":
      return { kind: "http", request: webhookRequest(msg, CHANNEL_CONFIG.webhook.secret.parse(ch.secret)), read: readSlack };
    case "pagerduty": {
      const s = CHANNEL_CONFIG.pagerduty.secret.parse(ch.secret);
      const { baseUrl } = CHANNEL_CONFIG.pagerduty.settings.parse(ch.settings);
      return { kind: "http", request: pagerDutyRequest(msg, s.routingKey, baseUrl), read: readPagerDuty };
    }
    case "email":
      return { kind: "email", mail: emailMessage(msg, CHANNEL_CONFIG.email.settings.parse(ch.settings), emailTo) };
  }
}

export async function sendToChannel(ch: ChannelRuntime, msg: OutgoingMessage, emailTo: string[], deps: HttpDeps): Promise<SendOutcome> {
  const built = build(ch, msg, emailTo);
  if (built.kind === "email") {
    return sendEmail(built.mail, CHANNEL_CONFIG.email.secret.parse(ch.secret), CHANNEL_CONFIG.email.settings.parse(ch.settings), deps);
  }
  try {
    return built.read(await sendHttp(built.request, deps));
  } catch (err) {
    if (err instanceof BlockedUrlError) return { kind: "permanent", error: err.message };
    const e = err as { name?: string; message?: string; cause?: { code?: string } };
    const why = e.name === "TimeoutError" ? "timed out" : (e.cause?.code ?? e.message ?? String(err));
    return { kind: "retry", error: `network: ${why}` };
  }
}

/** What would be sent, secrets masked: `{ to, subject, text }` for email, `{ url, headers, body }` otherwise. */
export function previewForChannel(ch: ChannelRuntime, msg: OutgoingMessage, emailTo: string[]): unknown {
  const built = build(ch, msg, emailTo);
  if (built.kind === "email") return { to: built.mail.to, subject: built.mail.subject, text: built.mail.text };
  const body = JSON.parse(built.request.body) as Record<string, unknown>;
  if (typeof body.routing_key === "string") body.routing_key = "••••" + body.routing_key.slice(-4);
  const customHeaders = new Set(Object.keys((ch.secret.headers as Record<string, string> | undefined) ?? {}).map((k) => k.toLowerCase()));
  const headers = Object.fromEntries(Object.entries(built.request.headers).map(([k, v]) => [k, customHeaders.has(k) ? "••••" : v]));
  return { url: maskUrl(built.request.url), headers, body };
}
