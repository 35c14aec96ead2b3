// Applying an admin's edit to a channel's stored secret. The edit form never receives secrets in clear, so it
// cannot send them back: a field left empty (or still showing its masked value) means "keep what is stored",
// a new value replaces it, and only optional fields can be removed.
import type { ChannelType } from "@/generated/prisma/enums";
import { badRequest } from "../../errors";
import { SECRET_MASK as MASK } from "../../platform/secrets";
import { maskChannelSecret } from "./masking";

/** Secret fields that may be removed outright (the others are required by the channel type). */
const CLEARABLE: Partial<Record<ChannelType, readonly string[]>> = { email: ["password"] };

const isBlank = (v: unknown) => v === undefined || v === null || (typeof v === "string" && v.trim() === "");

function assertNotMasked(value: unknown, field: string) {
  // A masked value that is not the current mask was copied from elsewhere: storing it would break the channel.
  if (typeof value === "string" && value.includes(MASK)) {
    throw badRequest(`${field.replace(/^secret\./, "")}: enter the full new value, or leave the field empty to keep the stored one`, field);
  }
}

/**
 * Webhook headers: the edit lists the header names to keep (values may hold tokens, so the form only knows the
 * names). An empty value keeps the stored value of that header; a name that is missing is removed.
 */
function mergeHeaders(stored: unknown, incoming: unknown): unknown {
  if (typeof incoming !== "object" || incoming === null || Array.isArray(incoming)) return incoming; // zod reports it
  const current = new Map(Object.entries((stored as Record<string, string> | undefined) ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(incoming as Record<string, unknown>)) {
    if (!isBlank(value) && value !== MASK) {
      assertNotMasked(value, "secret.headers");
      out[name] = value;
    } else if (current.has(name.toLowerCase())) {
      out[name] = current.get(name.toLowerCase());
    } else {
      throw badRequest(`headers: ${name} needs a value`, "secret.headers");
    }
  }
  return out;
}

/** The secret to validate and store after an edit: `stored` with `incoming` applied and `clear` removed. */
export function applySecretEdit(
  type: ChannelType,
  stored: Record<string, unknown>,
  incoming: Record<string, unknown>,
  clear: readonly string[],
): Record<string, unknown> {
  const masked = maskChannelSecret(type, stored);
  const secret: Record<string, unknown> = { ...stored };
  for (const key of clear) {
    if (!CLEARABLE[type]?.includes(key)) throw badRequest(`${key}: is required for a ${type} channel and cannot be removed`, `secret.${key}`);
    delete secret[key];
  }
  for (const [key, value] of Object.entries(incoming)) {
    if (key === "headers" && type === "webhook") {
      secret.headers = mergeHeaders(stored.headers, value);
      continue;
    }
    if (isBlank(value) || value === masked[key]) continue;
    assertNotMasked(value, `secret.${key}`);
    secret[key] = value;
  }
  return secret;
}

/** Whether the edit enters any secret value at all (rather than keeping everything that is stored). */
export function editsSecret(incoming: Record<string, unknown>, clear: readonly string[]): boolean {
  const hasValue = (v: unknown): boolean => (typeof v === "object" && v !== null ? Object.values(v).some(hasValue) : !isBlank(v) && v !== MASK);
  return clear.length > 0 || Object.values(incoming).some(hasValue);
}

/** Names of the secret fields that differ: what the audit record may say about a secret change. */
export function changedSecretFields(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k])).sort();
}
