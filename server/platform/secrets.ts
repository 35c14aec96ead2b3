// Secrets at rest: AES-256-GCM with a random 96-bit IV. Ciphertext format: "v1:<keyId>:<iv>:<tag>:<data>" (base64url).
// Rotation: set the new key as PIER_ENCRYPTION_KEY and the old one in PIER_ENCRYPTION_KEYS_OLD; values encrypted
// with an old key still decrypt, and reEncrypt() moves them to the current key.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { env } from "../env";

type Key = { id: string; key: Buffer };

const keyId = (key: Buffer) => createHash("sha256").update(key).digest("base64url").slice(0, 8);

function keys(): { current: Key; all: Key[] } {
  const e = env();
  const current = Buffer.from(e.PIER_ENCRYPTION_KEY, "base64");
  const old = (e.PIER_ENCRYPTION_KEYS_OLD ?? "")
    .split(",")
    .map((k) => k.trim())
    .filter(Boolean)
    .map((k) => Buffer.from(k, "base64"));
  const all = [current, ...old].map((key) => ({ id: keyId(key), key }));
  return { current: all[0], all };
}

export function encryptSecret(plain: string): string {
  const { current } = keys();
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", current.key, iv);
  const data = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return ["v1", current.id, iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), data.toString("base64url")].join(":");
}

export function decryptSecret(sealed: string): string {
  const [version, id, iv, tag, data] = sealed.split(":");
  if (version !== "v1" || !id || !iv || !tag || data === undefined) throw new Error("Not an encrypted secret");
  const key = keys().all.find((k) => k.id === id);
  if (!key) throw new Error("Secret was encrypted with a key that is not configured (PIER_ENCRYPTION_KEY / PIER_ENCRYPTION_KEYS_OLD)");
  const decipher = createDecipheriv("aes-256-gcm", key.key, Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(data, "base64url")), decipher.final()]).toString("utf8");
}

export const encryptJson = (value: unknown) => encryptSecret(JSON.stringify(value));
export const decryptJson = <T = unknown>(sealed: string): T => JSON.parse(decryptSecret(sealed)) as T;

/** True when the value is sealed with an old key and should be re-encrypted. */
export function needsReEncryption(sealed: string): boolean {
  return sealed.split(":")[1] !== keys().current.id;
}

export function reEncrypt(sealed: string): string {
  return encryptSecret(decryptSecret(sealed));
}

/** What stands for a hidden secret (or its hidden part) wherever one is shown. */
export const SECRET_MASK = "••••";

/** For showing that a secret is set without revealing it: "••••abcd". */
export function maskSecret(plain: string, visible = 4): string {
  return plain.length <= visible ? SECRET_MASK : `${SECRET_MASK}${plain.slice(-visible)}`;
}
