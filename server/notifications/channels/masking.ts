// Secrets never leave the server in clear: the browser sees enough to recognise a value, never enough to use it.
import type { ChannelType } from "@/generated/prisma/enums";
import { maskSecret, SECRET_MASK } from "../../platform/secrets";

/** "https://hooks.slack.com/••••Xy12": scheme and host stay readable, the token-bearing path does not. */
export function maskUrl(raw: string): string {
  try {
    const u = new URL(raw);
    const rest = `${u.pathname}${u.search}`;
    return `${u.protocol}//${u.host}/${rest.length > 1 ? maskSecret(rest, 4) : ""}`;
  } catch {
    return maskSecret(raw);
  }
}

export function maskChannelSecret(type: ChannelType, secret: Record<string, unknown>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (typeof secret.url === "string") out.url = maskUrl(secret.url);
  if (type === "webhook") {
    out.signingSecret = maskSecret(String(secret.signingSecret ?? ""));
    out.headers = Object.keys((secret.headers as Record<string, string>) ?? {});
  }
  if (type === "pagerduty") out.routingKey = maskSecret(String(secret.routingKey ?? ""));
  if (type === "email") out.password = secret.password ? SECRET_MASK : "";
  return out;
}
