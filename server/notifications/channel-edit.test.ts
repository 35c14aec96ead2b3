// Editing a channel in place: secrets kept or replaced without ever reaching the browser, the SSRF guard as on
// create, one transaction, an audit record without secret values, and deliveries that follow the edit at once.
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { getDb, transaction } from "../db";
import { decryptJson } from "../platform/secrets";
import { createChannel, updateChannel } from "./channel-admin";
import { processDelivery, type DeliveryDeps } from "./delivery";
import { routeEvent } from "./routing";
import { FakeVendor } from "../../test/support/fake-http";
import { admin, allow, eventFor, makeRoute, makeService } from "../../test/support/notification-fixtures";

let fake: FakeVendor;
beforeAll(async () => {
  fake = await FakeVendor.start();
  await allow(fake.hostPort);
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

// Default cache window on purpose: the edit itself must make this process drop its cached channel.
const deps: DeliveryDeps = { enqueue: vi.fn(async () => true), random: () => 0, visibilityWaitMs: 0 };

const SIGNING_OLD = "old-signing-SECRET-0001";
const SIGNING_NEW = "new-signing-SECRET-0002";
const HEADER_VALUE = "Bearer HEADER-token-0003";

let n = 0;
async function webhookChannel() {
  return createChannel(getDb(), admin, {
    name: `hook-${++n}-${Date.now()}`,
    type: "webhook",
    secret: { url: fake.url("/old-TOKENold"), signingSecret: SIGNING_OLD, headers: { Authorization: HEADER_VALUE } },
    settings: { ratePerMinute: 60 },
  });
}

/** Routes one event to the channel and runs its delivery: what the vendor received. */
async function deliverOnce(channelId: string) {
  const svc = await makeService();
  await makeRoute({ name: `r-${channelId}-${++n}`, matchers: [{ label: "service", op: "=", value: svc.service.slug }], channelIds: [channelId] });
  const [created] = await transaction(getDb(), (tx) => routeEvent(tx, eventFor(svc, "deployment.failed"), new Date()));
  const result = await processDelivery(getDb(), created.id, deps);
  return { result, request: fake.requests.at(-1) };
}

const stored = async (id: string) => {
  const row = await getDb().notificationChannel.findUniqueOrThrow({ where: { id } });
  return { row, secret: decryptJson<Record<string, unknown>>(row.secretEncrypted) };
};
const audits = (id: string) => getDb().auditEvent.findMany({ where: { subjectId: id, action: "notification.channel_updated" } });

describe("editing a channel", () => {
  it("changes name, settings and secret; the next delivery uses the new URL and signing secret", async () => {
    const ch = await webhookChannel();
    const first = await deliverOnce(ch.id);
    expect(first.result).toBe("delivered");
    expect(first.request?.url).toBe("/old-TOKENold");

    const view = await updateChannel(getDb(), admin, ch.id, {
      name: `${ch.name} renamed`,
      secret: { url: fake.url("/new-TOKENnew"), signingSecret: SIGNING_NEW, headers: { Authorization: "" } },
      settings: { ratePerMinute: 5 },
    });
    expect(view).toMatchObject({
      name: `${ch.name} renamed`,
      enabled: true,
      settings: { ratePerMinute: 5 },
      secretMasked: { url: expect.stringMatching(/••••Nnew$/), headers: ["Authorization"] },
    });
    expect((await stored(ch.id)).secret).toEqual({ url: fake.url("/new-TOKENnew"), signingSecret: SIGNING_NEW, headers: { Authorization: HEADER_VALUE } });

    // No waiting for the cache window: this process forgot its cached copy of the channel.
    const second = await deliverOnce(ch.id);
    expect(second.result).toBe("delivered");
    expect(second.request?.url).toBe("/new-TOKENnew");
    expect(second.request?.headers["x-pier-signature"]).toBe(`sha256=${createHmac("sha256", SIGNING_NEW).update(second.request!.body).digest("hex")}`);
    expect(second.request?.headers.authorization).toBe(HEADER_VALUE);
  });

  it("keeps stored secrets for empty or still-masked fields, and refuses a masked value that is not the stored one", async () => {
    const ch = await webhookChannel();
    const before = await stored(ch.id);
    await updateChannel(getDb(), admin, ch.id, { secret: { url: "", signingSecret: "" } });
    await updateChannel(getDb(), admin, ch.id, {
      secret: { url: ch.secretMasked.url, signingSecret: ch.secretMasked.signingSecret, headers: { Authorization: "" } },
    });
    expect((await stored(ch.id)).secret).toEqual(before.secret);

    await expect(updateChannel(getDb(), admin, ch.id, { secret: { signingSecret: "••••abcd" } })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      field: "secret.signingSecret",
    });
    // A header line removed drops the header; a new header needs a value.
    await expect(updateChannel(getDb(), admin, ch.id, { secret: { headers: { "X-New": "" } } })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      field: "secret.headers",
    });
    await updateChannel(getDb(), admin, ch.id, { secret: { headers: { "X-New": "v" } } });
    expect((await stored(ch.id)).secret).toEqual({ ...before.secret, headers: { "X-New": "v" } });
    // Omitted settings are kept, not reset.
    expect((await stored(ch.id)).row.settings).toEqual({ ratePerMinute: 60 });
  });

  it("refuses an SSRF-blocked URL next to the field and changes nothing", async () => {
    const ch = await webhookChannel();
    const before = await stored(ch.id);
    for (const url of ["https://169.254.169.254/latest/meta-data", "http://10.0.0.5/hook", "https://127.0.0.1:1/x"]) {
      await expect(updateChannel(getDb(), admin, ch.id, { name: "should not stick", secret: { url } })).rejects.toMatchObject({
        code: "BAD_REQUEST",
        field: "secret.url",
      });
    }
    const pd = await createChannel(getDb(), admin, {
      name: `pd-${Date.now()}`,
      type: "pagerduty",
      secret: { routingKey: "R".repeat(32) },
      settings: { baseUrl: fake.url("") },
    });
    await expect(updateChannel(getDb(), admin, pd.id, { settings: { baseUrl: "https://192.168.1.1/" } })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      field: "settings.baseUrl",
    });
    await expect(updateChannel(getDb(), admin, ch.id, { settings: { ratePerMinute: 0 } })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      field: "settings.ratePerMinute",
    });

    const after = await stored(ch.id);
    expect(after.row).toEqual(before.row);
    expect(await audits(ch.id)).toHaveLength(0);
  });

  it("re-checks stored URLs while the channel stays enabled, but disabling always works", async () => {
    await allow("127.0.0.1:9913");
    const ch = await createChannel(getDb(), admin, { name: `leaving-${Date.now()}`, type: "slack", secret: { url: "http://127.0.0.1:9913/services/T/B/x" } });
    await getDb().outboundAllowEntry.delete({ where: { pattern: "127.0.0.1:9913" } });
    await expect(updateChannel(getDb(), admin, ch.id, { name: `${ch.name}-2` })).rejects.toMatchObject({ code: "BAD_REQUEST", field: "secret.url" });
    await expect(updateChannel(getDb(), admin, ch.id, { enabled: false })).resolves.toMatchObject({ enabled: false });
    // A URL the edit sets is always checked.
    await expect(updateChannel(getDb(), admin, ch.id, { secret: { url: "http://127.0.0.1:9913/other" } })).rejects.toMatchObject({ field: "secret.url" });
  });

  it("refuses a type change and a name another channel has", async () => {
    const ch = await webhookChannel();
    const other = await webhookChannel();
    const before = await stored(ch.id);
    await expect(updateChannel(getDb(), admin, ch.id, { type: "slack", name: "x" })).rejects.toMatchObject({ code: "BAD_REQUEST", field: "type" });
    await expect(updateChannel(getDb(), admin, ch.id, { name: other.name })).rejects.toMatchObject({ code: "CONFLICT", field: "name" });
    expect((await stored(ch.id)).row).toEqual(before.row);
    // Saying the type it already has is fine (a form may send it back).
    await expect(updateChannel(getDb(), admin, ch.id, { type: "webhook", name: ch.name })).resolves.toMatchObject({ type: "webhook" });
  });

  it("audits before/after with masked values and the names of the secret fields that changed", async () => {
    const ch = await webhookChannel();
    await updateChannel(getDb(), admin, ch.id, { name: `${ch.name}-2`, secret: { signingSecret: SIGNING_NEW } });
    const [audit] = await audits(ch.id);
    expect(audit.before).toMatchObject({ name: ch.name });
    expect(audit.after).toMatchObject({
      name: `${ch.name}-2`,
      secretsChanged: ["signingSecret"],
      secretMasked: { signingSecret: `••••${SIGNING_NEW.slice(-4)}` },
    });
    const text = JSON.stringify(audit, (_, v) => (typeof v === "bigint" ? String(v) : v));
    for (const secret of [SIGNING_OLD, SIGNING_NEW, HEADER_VALUE, "TOKENold"]) expect(text).not.toContain(secret);
  });

  it("re-enabling a channel the vendor disabled (Discord 404) clears the reason; other edits keep it disabled", async () => {
    const ch = await createChannel(getDb(), admin, { name: `discord-${Date.now()}`, type: "discord", secret: { url: fake.url("/api/webhooks/1/tok") } });
    fake.answer({ status: 404, body: JSON.stringify({ message: "Unknown Webhook", code: 10015 }) });
    expect((await deliverOnce(ch.id)).result).toBe("dead");
    expect((await stored(ch.id)).row).toMatchObject({ enabled: false, disabledReason: expect.stringContaining("no longer exists") });

    await updateChannel(getDb(), admin, ch.id, { secret: { url: fake.url("/api/webhooks/2/tok2") } });
    expect((await stored(ch.id)).row).toMatchObject({ enabled: false, disabledReason: expect.stringContaining("no longer exists") });

    expect(await updateChannel(getDb(), admin, ch.id, { enabled: true })).toMatchObject({ enabled: true, disabledReason: null });
    const again = await deliverOnce(ch.id);
    expect(again.result).toBe("delivered");
    expect(again.request?.url).toMatch(/^\/api\/webhooks\/2\/tok2/);
  });

  it("email: edits recipients and host, keeps or removes the password", async () => {
    const ch = await createChannel(getDb(), admin, {
      name: `mail-${Date.now()}`,
      type: "email",
      secret: { password: "smtp-pass-1" },
      settings: { host: "127.0.0.1", port: fake.port, username: "u", from: "pier@example.com", to: ["a@example.com"] },
    });
    const settings = { host: "127.0.0.1", port: fake.port, username: "u2", from: "pier@example.com", to: ["a@example.com", "b@example.com"] };
    await updateChannel(getDb(), admin, ch.id, { secret: { password: "" }, settings });
    expect(await stored(ch.id)).toMatchObject({ secret: { password: "smtp-pass-1" }, row: { settings: { ...settings, secure: false } } });
    await expect(updateChannel(getDb(), admin, ch.id, { settings: { ...settings, to: ["not-an-email"] } })).rejects.toMatchObject({ field: "settings.to.0" });
    await updateChannel(getDb(), admin, ch.id, { clearSecrets: ["password"] });
    expect((await stored(ch.id)).secret).toEqual({ password: "" });
    await expect(updateChannel(getDb(), admin, ch.id, { clearSecrets: ["url"] })).rejects.toMatchObject({ code: "BAD_REQUEST", field: "secret.url" });
  });

  it("a secret that cannot be decrypted is kept as it is, unless the admin enters it again in full", async () => {
    const row = await getDb().notificationChannel.create({ data: { name: `orphan-${Date.now()}`, type: "slack", secretEncrypted: "v1:nokey:aaa:bbb:ccc" } });
    await updateChannel(getDb(), admin, row.id, { name: `${row.name}-renamed`, enabled: false });
    expect(await getDb().notificationChannel.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({
      enabled: false,
      secretEncrypted: row.secretEncrypted,
    });
    await updateChannel(getDb(), admin, row.id, { secret: { url: fake.url("/fresh") } });
    expect((await stored(row.id)).secret).toEqual({ url: fake.url("/fresh") });
  });

  it("unknown channel is NOT_FOUND", async () => {
    await expect(updateChannel(getDb(), admin, "nope", { enabled: true })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
