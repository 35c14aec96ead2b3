import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "../db";
import { callerFor, callerWithRole } from "../../test/support/factories";
import { notificationsRouter } from "./router";
import { FakeVendor } from "../../test/support/fake-http";
import { allow, makeChannel, makeService } from "../../test/support/notification-fixtures";

let fake: FakeVendor;
beforeAll(async () => {
  fake = await FakeVendor.start();
  await allow(fake.hostPort);
});
afterAll(() => fake.close());

type Caller = Awaited<ReturnType<typeof callerFor>>;
async function outcome(p: Promise<unknown>) {
  try {
    await p;
    return "OK";
  } catch (err) {
    return err instanceof TRPCError ? err.code : `unexpected: ${String(err)}`;
  }
}

const SECRETS = {
  webhookSigning: "webhook-signing-SECRET-9f8e7d",
  webhookHeader: "Bearer HEADER-SECRET-5a4b3c",
  pdKey: "PDKEYsecret0123456789abcdefghijk",
  smtpPass: "smtp-PASSWORD-secret-77",
  // Entered by later edits.
  webhookSigningNew: "webhook-signing-NEWSECRET-1a2b3c",
  webhookHeaderNew: "Bearer HEADER-NEWSECRET-6d5e4f",
  pdKeyNew: "PDKEYnewsecret456789abcdefghijkl",
  smtpPassNew: "smtp-PASSWORD-newsecret-88",
};

describe("notifications router", () => {
  it("admin-only procedures refuse anonymous (UNAUTHORIZED) and non-admins (FORBIDDEN); preferences need a session", async () => {
    const anon = await callerFor(null);
    const dev = (await callerWithRole("developer")).caller;
    const approver = (await callerWithRole("approver")).caller;
    const channel = await makeChannel("slack", { url: fake.url("/services/T/B/tok") });
    const calls = (c: Caller) => ({
      listChannels: c.notifications.listChannels(),
      updateChannel: c.notifications.updateChannel({ id: channel.id, name: "taken over", enabled: false, secret: { url: fake.url("/attacker") } }),
      createRoute: c.notifications.createRoute({ name: "x", channelIds: ["nope"] }),
      routeTest: c.notifications.routeTest({ spec: { type: "test.event" } }),
      emitTestEvent: c.notifications.emitTestEvent({ type: "test.event" }),
      listDeliveries: c.notifications.listDeliveries({}),
      addAllowEntry: c.notifications.addAllowEntry({ pattern: "127.0.0.1:1", reason: "nope" }),
    });
    for (const [who, c, code] of [
      ["anonymous", anon, "UNAUTHORIZED"],
      ["developer", dev, "FORBIDDEN"],
      ["approver", approver, "FORBIDDEN"],
    ] as const) {
      const got = Object.fromEntries(await Promise.all(Object.entries(calls(c)).map(async ([k, p]) => [k, await outcome(p)])));
      expect(Object.values(got), who).toEqual(Array(7).fill(code));
    }
    expect(await getDb().notificationChannel.findUniqueOrThrow({ where: { id: channel.id } })).toEqual(channel);
    expect(await outcome(anon.notifications.myPreferences())).toBe("UNAUTHORIZED");
    expect(await outcome(dev.notifications.myPreferences())).toBe("OK");
    expect(await outcome(dev.notifications.setMyPreferences({ emailDigest: "daily" }))).toBe("OK");
  });

  it("validates channel input next to the field and refuses unsafe URLs", async () => {
    const { caller } = await callerWithRole("admin");
    await expect(caller.notifications.createChannel({ name: "x", type: "slack", secret: { url: "http://10.0.0.5/hook" } })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/https|allow-list/),
    });
    await expect(caller.notifications.createChannel({ name: "x", type: "slack", secret: { url: "https://169.254.169.254/latest" } })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      cause: expect.objectContaining({ field: "secret.url" }),
    });
    await expect(caller.notifications.createChannel({ name: "pd", type: "pagerduty", secret: { routingKey: "short" } })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      cause: expect.objectContaining({ field: "secret.routingKey" }),
    });
    const slack = await caller.notifications.createChannel({ name: "edit me", type: "slack", secret: { url: fake.url("/services/T/B/x") } });
    await expect(caller.notifications.updateChannel({ id: slack.id, secret: { url: "https://169.254.169.254/latest" } })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      cause: expect.objectContaining({ field: "secret.url" }),
    });
    await expect(caller.notifications.updateChannel({ id: slack.id, type: "discord" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      cause: expect.objectContaining({ field: "type" }),
    });
    await expect(caller.notifications.updateChannel({ id: slack.id, name: " " })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    expect((await caller.notifications.listChannels()).find((c) => c.id === slack.id)).toEqual(slack);
    await expect(caller.notifications.createRoute({ name: "no channels", channelIds: [] })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      cause: expect.objectContaining({ field: "channelIds" }),
    });
    await expect(caller.notifications.saveTemplate({ eventType: "test.event", channelType: "slack", title: "{{nope}}", body: "x" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      cause: expect.objectContaining({ field: "title" }),
    });
  });

  it("never returns a secret from any procedure, and stores them encrypted", async () => {
    const { caller, user } = await callerWithRole("admin");
    const svc = await makeService();
    const n = notificationsRouter._def.procedures;
    const called = new Set<string>();
    const outputs: unknown[] = [];
    const call = async <T>(name: keyof typeof n, p: Promise<T>) => {
      called.add(name);
      const out = await p;
      outputs.push(out);
      return out;
    };
    const N = caller.notifications;
    const slack = await call(
      "createChannel",
      N.createChannel({ name: "release", type: "slack", secret: { url: fake.url("/services/T000/B000/SLACKTOKENabcdef1") } }),
    );
    const hook = await call(
      "createChannel",
      N.createChannel({
        name: "hook",
        type: "webhook",
        secret: { url: fake.url("/hook"), signingSecret: SECRETS.webhookSigning, headers: { Authorization: SECRETS.webhookHeader } },
      }),
    );
    const pd = await call(
      "createChannel",
      N.createChannel({ name: "pd", type: "pagerduty", secret: { routingKey: SECRETS.pdKey }, settings: { baseUrl: fake.url("") } }),
    );
    const mail = await call(
      "createChannel",
      N.createChannel({
        name: "mail",
        type: "email",
        secret: { password: SECRETS.smtpPass },
        settings: { host: "127.0.0.1", port: fake.port, username: "u", from: "pier@example.com", to: ["a@example.com"] },
      }),
    );
    expect(hook.secretMasked).toEqual({
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/••••hook$/),
      signingSecret: "••••7d".replace("7d", SECRETS.webhookSigning.slice(-4)),
      headers: ["Authorization"],
    });
    // Updating with an empty secret keeps the stored one; new secrets are stored, and come back masked only.
    await call("updateChannel", N.updateChannel({ id: hook.id, name: "hook", enabled: true, secret: { signingSecret: "" }, settings: { ratePerMinute: 600 } }));
    const edited = [
      await call(
        "updateChannel",
        N.updateChannel({ id: hook.id, secret: { signingSecret: SECRETS.webhookSigningNew, headers: { Authorization: SECRETS.webhookHeaderNew } } }),
      ),
      await call("updateChannel", N.updateChannel({ id: pd.id, name: "pd", secret: { routingKey: SECRETS.pdKeyNew } })),
      await call(
        "updateChannel",
        N.updateChannel({ id: mail.id, secret: { password: SECRETS.smtpPassNew }, settings: { ...mail.settings, to: ["b@example.com"] } }),
      ),
      await call("updateChannel", N.updateChannel({ id: slack.id, secret: { url: fake.url("/services/T000/B000/SLACKTOKENnew0002") } })),
    ];
    expect(edited.map((c) => c.secretMasked)).toEqual([
      { url: hook.secretMasked.url, signingSecret: `••••${SECRETS.webhookSigningNew.slice(-4)}`, headers: ["Authorization"] },
      { routingKey: `••••${SECRETS.pdKeyNew.slice(-4)}` },
      { password: "••••" },
      { url: expect.stringMatching(/••••0002$/) },
    ]);
    await call("listChannels", N.listChannels());
    expect(await call("reEncryptSecrets", N.reEncryptSecrets())).toEqual({ reEncrypted: 0 });
    const r = await call("createRoute", N.createRoute({ name: "everything", channelIds: [slack.id, hook.id, pd.id, mail.id], continue: true }));
    await call("updateRoute", N.updateRoute({ ...r, id: r.id, name: "everything!" }));
    const r2 = await call("createRoute", N.createRoute({ name: "second", channelIds: [hook.id] }));
    await call("moveRoute", N.moveRoute({ id: r2.id, direction: "up" }));
    expect((await call("listRoutes", N.listRoutes())).map((x) => x.name)).toEqual(["second", "everything!"]);
    await call("moveRoute", N.moveRoute({ id: r2.id, direction: "down" }));
    const test = await call(
      "routeTest",
      N.routeTest({ spec: { type: "deployment.failed", serviceSlug: svc.service.slug, environment: "prod", severity: "high" } }),
    );
    // "everything!" continues, so "second" also matches: the hook channel twice (one row per route).
    expect(test.deliveries.map((d) => d.channelName).sort()).toEqual(["hook", "hook", "mail", "pd", "release"]);
    expect(test.trace.map((t) => t.matched)).toEqual([true, true]);
    await call("routeTest", N.routeTest({ event: { ...test.event, id: "pasted" } }));
    await call(
      "previewTemplate",
      N.previewTemplate({ eventType: "deployment.failed", channelType: "webhook", title: "{{service}} failed", body: "{{reason}}" }),
    );
    await call(
      "saveTemplate",
      N.saveTemplate({ eventType: "deployment.failed", channelType: "slack", title: "{{service}} failed in {{environment}}", body: "{{reason}} <@here>" }),
    );
    const tpl = (await call("listTemplates", N.listTemplates()))[0];
    await call("deleteTemplate", N.deleteTemplate({ id: tpl.id }));
    await call("emitTestEvent", N.emitTestEvent({ type: "test.event", serviceSlug: svc.service.slug }));
    const sil = await call(
      "createSilence",
      N.createSilence({ matchers: [{ label: "env", op: "=", value: "dev" }], startsAt: new Date(), endsAt: new Date(Date.now() + 3600_000), reason: "noisy" }),
    );
    await call("expireSilence", N.expireSilence({ id: sil.id }));
    await call("listSilences", N.listSilences());
    const dl = await getDb().delivery.create({ data: { idempotencyKey: "k1", eventId: "e", eventType: "test.event", channelId: hook.id, status: "dead" } });
    await call("listDeliveries", N.listDeliveries({}));
    await call("deliveryCounts", N.deliveryCounts());
    await call("retryDelivery", N.retryDelivery({ id: dl.id }));
    const entry = await call("addAllowEntry", N.addAllowEntry({ pattern: "127.0.0.2:9000", reason: "internal fake" }));
    await call("listAllowList", N.listAllowList());
    await call("removeAllowEntry", N.removeAllowEntry({ id: entry.id }));
    await call("options", N.options());
    await call("myPreferences", N.myPreferences());
    await call("setMyPreferences", N.setMyPreferences({ emailDigest: "daily", mutedServiceIds: [svc.service.id] }));
    await call("deleteRoute", N.deleteRoute({ id: r2.id }));
    await expect(N.deleteChannel({ id: hook.id })).rejects.toMatchObject({ code: "BAD_REQUEST" }); // still routed
    await call("deleteRoute", N.deleteRoute({ id: r.id }));
    await call("deleteChannel", N.deleteChannel({ id: pd.id }));

    // Every procedure of the router was exercised.
    expect([...called].sort()).toEqual(Object.keys(n).sort());
    const everything =
      JSON.stringify(outputs) +
      JSON.stringify(await getDb().auditEvent.findMany({ where: { actorId: user.id } }), (_, v) => (typeof v === "bigint" ? String(v) : v));
    for (const secret of [...Object.values(SECRETS), "SLACKTOKENabcdef1", "SLACKTOKENnew0002"]) expect(everything).not.toContain(secret);
    const stored = JSON.stringify(await getDb().notificationChannel.findMany());
    for (const secret of Object.values(SECRETS)) expect(stored).not.toContain(secret);
  });

  it("emitTestEvent writes the event to the outbox with real labels, audited", async () => {
    const { caller } = await callerWithRole("admin");
    const svc = await makeService();
    const { eventId, labels } = await caller.notifications.emitTestEvent({
      type: "deployment.failed",
      serviceSlug: svc.service.slug,
      environment: "prod",
      severity: "high",
    });
    expect(labels).toMatchObject({
      type: "deployment.failed",
      service: svc.service.slug,
      team: svc.team.slug,
      environment: "prod",
      tier: "1",
      severity: "high",
    });
    const row = await getDb().outboxEvent.findUniqueOrThrow({ where: { id: eventId } });
    expect(row).toMatchObject({ queue: "pier-events", type: "deployment.failed" });
    expect(await getDb().auditEvent.count({ where: { subjectId: eventId, action: "notification.test_event_emitted" } })).toBe(1);
    await expect(caller.notifications.emitTestEvent({ type: "test.event", serviceSlug: "no-such" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      cause: expect.objectContaining({ field: "serviceSlug" }),
    });
  });

  it("template preview renders safely with channel escaping", async () => {
    const { caller } = await callerWithRole("admin");
    const p = await caller.notifications.previewTemplate({
      eventType: "deployment.failed",
      channelType: "slack",
      title: "{{service}} → {{environment}}",
      body: "{{reason}} by {{requester}} <!channel>",
    });
    expect(p.title).toBe("Payments API → prod");
    expect(p.text).toBe("Error rate above 5% after canary step 2 by Dana Developer <!channel>");
    const def = await caller.notifications.previewTemplate({ eventType: "deployment.requested", channelType: "webhook" });
    expect(def.title).toBe("Approval needed: Payments API v2.4.1 → prod");
    expect(def.payload).toMatchObject({ headers: { "x-pier-event": "deployment.requested" } });
  });
});
