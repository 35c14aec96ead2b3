// Email through SMTP (nodemailer). The SMTP host goes through the same outbound guard as URLs: a private or
// loopback mail server must be allow-listed by an admin.
import nodemailer from "nodemailer";
import { isIP } from "node:net";
import { checkOutboundUrl } from "../../platform/outbound-url";
import type { ChannelSecret, ChannelSettings, OutgoingMessage, SendOutcome } from "./channel-types";
import { fullText } from "./chat-payloads";
import type { HttpDeps } from "./http-send";

export type EmailMessage = { from: string; to: string[]; subject: string; text: string; headers: Record<string, string> };

export function emailMessage(msg: OutgoingMessage, settings: ChannelSettings<"email">, extraTo: string[]): EmailMessage {
  const to = [...new Set([...settings.to, ...extraTo].map((a) => a.toLowerCase()))];
  return {
    from: settings.from,
    to,
    subject: msg.title.replace(/[\r\n]+/g, " ").slice(0, 250),
    text: `${fullText(msg)}${msg.url ? `\n\nOpen in Pier: ${msg.url}` : ""}\n`,
    headers: { "X-Pier-Delivery": msg.deliveryId, "X-Pier-Event": msg.event.type },
  };
}

export async function sendEmail(mail: EmailMessage, secret: ChannelSecret<"email">, settings: ChannelSettings<"email">, deps: HttpDeps): Promise<SendOutcome> {
  if (mail.to.length === 0) return { kind: "permanent", error: "no recipients left (none configured, or all muted)" };
  const host = isIP(settings.host) === 6 ? `[${settings.host}]` : settings.host;
  const check = await checkOutboundUrl(`https://${host}:${settings.port}/`, deps.allowList, deps.resolve);
  if (!check.ok) return { kind: "permanent", error: `SMTP host refused: ${check.reason.replace("https", "TLS")}` };
  // Connect to an address the guard checked (IPv4 first, as nodemailer would; no second DNS lookup); TLS still verifies the name.
  const transport = nodemailer.createTransport({
    host: check.addresses.find((a) => isIP(a) === 4) ?? check.addresses[0],
    port: settings.port,
    secure: settings.secure,
    auth: settings.username ? { user: settings.username, pass: secret.password } : undefined,
    connectionTimeout: deps.timeoutMs ?? 10_000,
    greetingTimeout: deps.timeoutMs ?? 10_000,
    socketTimeout: deps.timeoutMs ?? 10_000,
    tls: isIP(check.host) ? undefined : { servername: check.host },
  });
  try {
    const info = await transport.sendMail({ ...mail, to: mail.to.join(", ") });
    return { kind: "delivered", statusCode: Number(/^\d{3}/.exec(info.response ?? "")?.[0] ?? 250) };
  } catch (err) {
    const e = err as { responseCode?: number; code?: string; message?: string };
    const error = `SMTP: ${e.message ?? String(err)}`.slice(0, 500);
    // 4xx SMTP replies are transient by definition; 5xx are permanent; no reply at all (connection) is retried.
    if (e.responseCode && e.responseCode >= 500) return { kind: "permanent", statusCode: e.responseCode, error };
    return { kind: "retry", statusCode: e.responseCode, error };
  } finally {
    transport.close();
  }
}
