// Signatures for the generic webhook executor, both ways: Pier signs what it sends, and the deployment system signs
// its status callbacks with the same secret. HMAC-SHA256 over "<timestamp>.<raw body>", hex, header
// "X-Pier-Signature-256: sha256=<hex>"; the timestamp (unix seconds, X-Pier-Timestamp) stops replays.
import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "x-pier-signature-256";
export const TIMESTAMP_HEADER = "x-pier-timestamp";
export const DELIVERY_HEADER = "x-pier-delivery";
const TOLERANCE_SECONDS = 300;

export function signBody(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export function verifyBodySignature(secret: string, timestamp: string | null, body: string, header: string | null, now = Date.now()): SignatureCheck {
  if (!header || !timestamp) return { ok: false, reason: "missing signature or timestamp header" };
  const ts = Number(timestamp);
  if (!Number.isInteger(ts)) return { ok: false, reason: "timestamp is not unix seconds" };
  if (Math.abs(now / 1000 - ts) > TOLERANCE_SECONDS) return { ok: false, reason: "timestamp is too old or in the future" };
  const expected = Buffer.from(signBody(secret, timestamp, body));
  const given = Buffer.from(header.trim());
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: "signature does not match" };
  return { ok: true };
}
