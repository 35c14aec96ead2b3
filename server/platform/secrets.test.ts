import { afterEach, describe, expect, it } from "vitest";
import { resetEnvForTests } from "../env";
import { decryptJson, decryptSecret, encryptJson, encryptSecret, maskSecret, needsReEncryption, reEncrypt } from "./secrets";

const k1 = Buffer.alloc(32, 1).toString("base64");
const k2 = Buffer.alloc(32, 2).toString("base64");

function useKeys(current: string, old?: string) {
  process.env.PIER_ENCRYPTION_KEY = current;
  if (old) process.env.PIER_ENCRYPTION_KEYS_OLD = old;
  else delete process.env.PIER_ENCRYPTION_KEYS_OLD;
  resetEnvForTests();
}

afterEach(() => {
  delete process.env.PIER_ENCRYPTION_KEY;
  delete process.env.PIER_ENCRYPTION_KEYS_OLD;
  resetEnvForTests();
});

describe("secrets at rest", () => {
  it("round-trips and never stores the plain text", () => {
    useKeys(k1);
    const sealed = encryptSecret("https://hooks.slack.com/services/T000/B000/XXXX");
    expect(sealed).not.toContain("hooks.slack.com");
    expect(decryptSecret(sealed)).toBe("https://hooks.slack.com/services/T000/B000/XXXX");
    expect(encryptSecret("same")).not.toBe(encryptSecret("same"));
    expect(decryptJson(encryptJson({ a: 1 }))).toEqual({ a: 1 });
  });

  it("detects tampering", () => {
    useKeys(k1);
    const parts = encryptSecret("secret").split(":");
    parts[4] = Buffer.from("other!").toString("base64url");
    expect(() => decryptSecret(parts.join(":"))).toThrow();
    expect(() => decryptSecret("plain")).toThrow(/Not an encrypted secret/);
  });

  it("rotates keys: old ciphertexts decrypt with the old key listed, and re-encrypt to the new one", () => {
    useKeys(k1);
    const sealed = encryptSecret("token");
    useKeys(k2);
    expect(() => decryptSecret(sealed)).toThrow(/not configured/);
    useKeys(k2, k1);
    expect(decryptSecret(sealed)).toBe("token");
    expect(needsReEncryption(sealed)).toBe(true);
    const fresh = reEncrypt(sealed);
    expect(needsReEncryption(fresh)).toBe(false);
    useKeys(k2);
    expect(decryptSecret(fresh)).toBe("token");
  });

  it("masks", () => {
    expect(maskSecret("abcdefgh")).toBe("••••efgh");
    expect(maskSecret("ab")).toBe("••••");
  });
});
