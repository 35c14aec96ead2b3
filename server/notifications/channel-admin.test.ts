import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { getDb } from "../db";
import { resetEnvForTests } from "../env";
import { decryptJson } from "../platform/secrets";
import { createChannel, deleteChannel, listChannels, reEncryptChannelSecrets, updateChannel } from "./channel-admin";
import { admin, allow } from "../../test/support/notification-fixtures";

const original = process.env.PIER_ENCRYPTION_KEY;
afterEach(() => {
  if (original === undefined) delete process.env.PIER_ENCRYPTION_KEY;
  else process.env.PIER_ENCRYPTION_KEY = original;
  delete process.env.PIER_ENCRYPTION_KEYS_OLD;
  resetEnvForTests();
});

describe("channel secrets", () => {
  it("survive a key rotation: old key still decrypts, re-encryption moves them to the new key", async () => {
    const oldKey = randomBytes(32).toString("base64");
    process.env.PIER_ENCRYPTION_KEY = oldKey;
    resetEnvForTests();
    await allow("127.0.0.1:9911");
    const ch = await createChannel(getDb(), admin, { name: "rotating", type: "slack", secret: { url: "http://127.0.0.1:9911/T/B/tok3n" } });

    process.env.PIER_ENCRYPTION_KEY = randomBytes(32).toString("base64");
    process.env.PIER_ENCRYPTION_KEYS_OLD = oldKey;
    resetEnvForTests();
    expect((await listChannels(getDb())).find((c) => c.id === ch.id)?.secretMasked.url).toBe("http://127.0.0.1:9911/••••ok3n");
    expect(await reEncryptChannelSecrets(getDb(), admin)).toEqual({ reEncrypted: 1 });
    expect(await reEncryptChannelSecrets(getDb(), admin)).toEqual({ reEncrypted: 0 });

    delete process.env.PIER_ENCRYPTION_KEYS_OLD;
    resetEnvForTests();
    const row = await getDb().notificationChannel.findUniqueOrThrow({ where: { id: ch.id } });
    expect(decryptJson(row.secretEncrypted)).toEqual({ url: "http://127.0.0.1:9911/T/B/tok3n" });
  });

  it("a secret sealed with an unknown key is reported, not thrown, in the list", async () => {
    await getDb().notificationChannel.create({ data: { name: "orphan", type: "slack", secretEncrypted: "v1:nokey:aaa:bbb:ccc" } });
    expect((await listChannels(getDb())).find((c) => c.name === "orphan")?.secretMasked).toEqual({ error: "cannot be decrypted with the configured keys" });
  });

  it("update keeps omitted secret fields, re-enabling clears a vendor's disable reason; unknown ids are NOT_FOUND", async () => {
    await allow("127.0.0.1:9912");
    const ch = await createChannel(getDb(), admin, {
      name: "hook-upd",
      type: "webhook",
      secret: { url: "http://127.0.0.1:9912/h", signingSecret: "first-signing-secret", headers: { "X-A": "1" } },
    });
    await getDb().notificationChannel.update({ where: { id: ch.id }, data: { enabled: false, disabledReason: "gone" } });
    const after = await updateChannel(getDb(), admin, ch.id, { name: "hook-upd", enabled: true, secret: { url: "http://127.0.0.1:9912/h2" } });
    expect(after).toMatchObject({ enabled: true, disabledReason: null });
    const row = await getDb().notificationChannel.findUniqueOrThrow({ where: { id: ch.id } });
    expect(decryptJson(row.secretEncrypted)).toEqual({ url: "http://127.0.0.1:9912/h2", signingSecret: "first-signing-secret", headers: { "X-A": "1" } });
    await expect(updateChannel(getDb(), admin, "nope", { name: "x" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(deleteChannel(getDb(), admin, "nope")).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
