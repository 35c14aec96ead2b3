import { createHmac } from "node:crypto";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FakeVendor } from "../../../test/support/fake-http";
import type { ChannelRuntime, OutgoingMessage } from "./channel-types";
import { webhookRequest } from "./chat-payloads";
import { jsonWithEvent } from "./event-json";
import { parseRetryAfter } from "./http-send";
import { previewForChannel, sendToChannel } from "./send";
import { sampleEvent } from "../templates";

let fake: FakeVendor;
beforeAll(async () => {
  fake = await FakeVendor.start();
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const event = { ...sampleEvent("deployment.failed"), id: "evt-1" };
const msg = (over: Partial<OutgoingMessage> = {}): OutgoingMessage => ({
  deliveryId: "dlv-1",
  idempotencyKey: "evt-1:route-1:chan-1",
  title: "Deployment FAILED: Payments API v2.4.1 in prod",
  text: "The deployment failed.",
  url: "http://localhost:3000/deployments/sample-request",
  event,
  recipients: {
    oncall: { name: "Payments on-call", url: "https://pd.example.com/s/1" },
    users: [{ id: "u1", name: "Avery", email: "avery@example.com", roles: ["eligible_approvers"] }],
  },
  digest: null,
  threadKey: "route-1|chan-1|payments",
  ...over,
});
const ch = (type: ChannelRuntime["type"], secret: Record<string, unknown>, settings: Record<string, unknown> = {}): ChannelRuntime => ({
  id: "chan-1",
  type,
  secret,
  settings,
});
const deps = () => ({ allowList: [fake.hostPort] });

describe("Slack incoming webhook", () => {
  it("posts text + blocks and treats 200 ok as delivered", async () => {
    fake.answer({ status: 200, body: "ok" });
    const out = await sendToChannel(ch("slack", { url: fake.url("/services/T1/B1/secret") }), msg(), [], deps());
    expect(out).toEqual({ kind: "delivered", statusCode: 200 });
    const req = fake.requests[0];
    expect(req.method).toBe("POST");
    expect(req.url).toBe("/services/T1/B1/secret");
    expect(req.headers["content-type"]).toBe("application/json");
    const body = fake.json();
    expect(body.text).toBe(
      "Deployment FAILED: Payments API v2.4.1 in prod\nThe deployment failed.\n\nOn-call: Payments on-call (https://pd.example.com/s/1) · Approvers: Avery",
    );
    expect(body.blocks).toEqual([
      { type: "header", text: { type: "plain_text", text: "Deployment FAILED: Payments API v2.4.1 in prod", emoji: false } },
      {
        type: "section",
        text: { type: "mrkdwn", text: "The deployment failed.\n\nOn-call: Payments on-call (https://pd.example.com/s/1) · Approvers: Avery" },
      },
      {
        type: "actions",
        elements: [{ type: "button", text: { type: "plain_text", text: "Open in Pier" }, url: "http://localhost:3000/deployments/sample-request" }],
      },
    ]);
  });

  it("4xx plain-text reasons are permanent; 429 honours Retry-After", async () => {
    fake.answer({ status: 400, body: "invalid_payload" }, { status: 429, headers: { "retry-after": "7" }, body: "rate limited" });
    const url = fake.url("/s");
    expect(await sendToChannel(ch("slack", { url }), msg(), [], deps())).toEqual({ kind: "permanent", statusCode: 400, error: "HTTP 400: invalid_payload" });
    expect(await sendToChannel(ch("slack", { url }), msg(), [], deps())).toMatchObject({ kind: "retry", statusCode: 429, retryAfterMs: 7000 });
  });
});

describe("Microsoft Teams", () => {
  it("Workflows: Adaptive Card message, no Authorization header, 202 delivered", async () => {
    fake.answer({ status: 202 });
    const out = await sendToChannel(ch("teams", { url: fake.url("/workflows/abc") }, { format: "workflows" }), msg(), [], deps());
    expect(out).toEqual({ kind: "delivered", statusCode: 202 });
    expect(fake.requests[0].headers.authorization).toBeUndefined();
    const body = fake.json();
    expect(body.type).toBe("message");
    const [att] = body.attachments as { contentType: string; content: { type: string; version: string; body: { text: string }[]; actions: unknown[] } }[];
    expect(att.contentType).toBe("application/vnd.microsoft.card.adaptive");
    expect(att.content.type).toBe("AdaptiveCard");
    expect(att.content.body[0].text).toBe("Deployment FAILED: Payments API v2.4.1 in prod");
    expect(att.content.actions).toEqual([{ type: "Action.OpenUrl", title: "Open in Pier", url: "http://localhost:3000/deployments/sample-request" }]);
  });

  it("legacy MessageCard: 200 '1' is success, a 200 mentioning 429 is throttling", async () => {
    fake.answer(
      { status: 200, body: "1" },
      { status: 200, body: "Microsoft Teams endpoint returned HTTP error 429 with ContextId ..." },
      { status: 200, body: "Summary or Text is required." },
    );
    const c = ch("teams", { url: fake.url("/webhookb2/x") }, { format: "messagecard" });
    expect(await sendToChannel(c, msg(), [], deps())).toEqual({ kind: "delivered", statusCode: 200 });
    expect(fake.json(0)).toMatchObject({
      "@type": "MessageCard",
      "@context": "https://schema.org/extensions",
      title: "Deployment FAILED: Payments API v2.4.1 in prod",
      themeColor: "D13438",
    });
    expect(await sendToChannel(c, msg(), [], deps())).toMatchObject({ kind: "retry", statusCode: 200 });
    expect(await sendToChannel(c, msg(), [], deps())).toMatchObject({ kind: "permanent" });
  });
});

describe("Discord", () => {
  it("posts with ?wait=true, embeds and no mention parsing", async () => {
    fake.answer({ status: 200, body: JSON.stringify({ id: "123" }) });
    await sendToChannel(ch("discord", { url: fake.url("/api/webhooks/1/tok") }), msg(), [], deps());
    expect(fake.requests[0].url).toBe("/api/webhooks/1/tok?wait=true");
    expect(fake.json()).toEqual({
      content: "Deployment FAILED: Payments API v2.4.1 in prod",
      embeds: [
        {
          title: "Deployment FAILED: Payments API v2.4.1 in prod",
          description: "The deployment failed.\n\nOn-call: Payments on-call (https://pd.example.com/s/1) · Approvers: Avery",
          url: "http://localhost:3000/deployments/sample-request",
          color: 0xe8590c,
          timestamp: event.occurredAt,
        },
      ],
      allowed_mentions: { parse: [] },
    });
  });

  it("429 uses the fractional JSON retry_after; 404 means gone for good", async () => {
    fake.answer(
      {
        status: 429,
        headers: { "retry-after": "2", "content-type": "application/json" },
        body: JSON.stringify({ message: "You are being rate limited.", retry_after: 1.337, global: false }),
      },
      { status: 404, body: JSON.stringify({ message: "Unknown Webhook", code: 10015 }) },
    );
    const c = ch("discord", { url: fake.url("/api/webhooks/1/tok") });
    expect(await sendToChannel(c, msg(), [], deps())).toMatchObject({ kind: "retry", statusCode: 429, retryAfterMs: 1337 });
    expect(await sendToChannel(c, msg(), [], deps())).toMatchObject({ kind: "gone", statusCode: 404 });
  });
});

describe("Google Chat", () => {
  it("posts text with a thread key and the reply option in the URL", async () => {
    fake.answer({ status: 200, body: JSON.stringify({ name: "spaces/A/messages/B" }) });
    await sendToChannel(ch("google_chat", { url: fake.url("/v1/spaces/A/messages?key=k&token=t") }), msg(), [], deps());
    const u = new URL(fake.requests[0].url, "http://x");
    expect(u.searchParams.get("messageReplyOption")).toBe("REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD");
    expect(u.searchParams.get("token")).toBe("t");
    expect(fake.json()).toEqual({
      text: "*Deployment FAILED: Payments API v2.4.1 in prod*\nThe deployment failed.\n\nOn-call: Payments on-call (https://pd.example.com/s/1) · Approvers: Avery\n<http://localhost:3000/deployments/sample-request|Open in Pier>",
      thread: { threadKey: "route-1|chan-1|payments" },
    });
  });
});

describe("generic webhook", () => {
  it("sends JSON signed with HMAC-SHA256 over the exact body, plus custom headers that cannot override ours", async () => {
    fake.answer({ status: 204 });
    const secret = { url: fake.url("/hook"), signingSecret: "s3cret-signing-key-123", headers: { "X-Team": "payments", "X-Pier-Signature": "forged" } };
    expect(await sendToChannel(ch("webhook", secret), msg(), [], deps())).toEqual({ kind: "delivered", statusCode: 204 });
    const req = fake.requests[0];
    const expected = createHmac("sha256", "s3cret-signing-key-123").update(req.body).digest("hex");
    expect(req.headers["x-pier-signature"]).toBe(`sha256=${expected}`);
    expect(req.headers["x-team"]).toBe("payments");
    expect(req.headers["x-pier-event"]).toBe("deployment.failed");
    expect(req.headers["x-pier-delivery"]).toBe("dlv-1");
    expect(req.headers["idempotency-key"]).toBe("evt-1:route-1:chan-1");
    const body = fake.json();
    expect(body).toMatchObject({ id: "dlv-1", idempotencyKey: "evt-1:route-1:chan-1", message: { title: msg().title, text: "The deployment failed." } });
    expect((body.event as { id: string }).id).toBe("evt-1");
  });

  it("writes the body (and a delivery's payload) as JSON.stringify would, the event's text shared by its deliveries", async () => {
    const m = msg();
    const secret = { url: "http://127.0.0.1:1/hook", signingSecret: "s3cret-signing-key-123", headers: {} };
    const first = webhookRequest({ ...m, digest: [{ eventId: "e", type: "t", title: "x" }] }, secret);
    const second = webhookRequest({ ...m, deliveryId: "dlv-2", idempotencyKey: "evt-1:route-2:chan-1" }, secret);
    const plain = (d: OutgoingMessage) =>
      JSON.stringify({
        id: d.deliveryId,
        idempotencyKey: d.idempotencyKey,
        event: d.event,
        message: { title: d.title, text: d.text, url: d.url },
        recipients: d.recipients,
        digest: d.digest,
      });
    expect(first.body).toBe(plain({ ...m, digest: [{ eventId: "e", type: "t", title: "x" }] }));
    expect(second.body).toBe(plain({ ...m, deliveryId: "dlv-2", idempotencyKey: "evt-1:route-2:chan-1" }));
    expect(JSON.parse(jsonWithEvent({ event: m.event, routeName: "r", kind: "notify", extra: undefined }))).toEqual({
      event: m.event,
      routeName: "r",
      kind: "notify",
    });
    expect(jsonWithEvent({ event: m.event })).toBe(JSON.stringify({ event: m.event }));
  });

  it("network errors and timeouts are retried", async () => {
    const closed = await FakeVendor.start();
    const url = closed.url("/x");
    await closed.close();
    const out = await sendToChannel(ch("webhook", { url, signingSecret: "s3cret-signing-key-123", headers: {} }), msg(), [], {
      allowList: [new URL(url).host],
    });
    expect(out.kind).toBe("retry");
    expect(out.error).toMatch(/network/);
  });
});

describe("PagerDuty Events API v2", () => {
  const key = "R0UT1NGKEY0123456789abcdefABCDEF";
  it("triggers with a dedup key per service/environment and resolves with the same key", async () => {
    fake.answer(
      { status: 202, body: JSON.stringify({ status: "success", message: "Event processed", dedup_key: "pier:deploy:payments-api:prod" }) },
      { status: 202, body: "{}" },
    );
    const c = ch("pagerduty", { routingKey: key }, { baseUrl: fake.url("") });
    expect(await sendToChannel(c, msg(), [], deps())).toEqual({ kind: "delivered", statusCode: 202 });
    expect(fake.requests[0].url).toBe("/v2/enqueue");
    expect(fake.json(0)).toMatchObject({
      routing_key: key,
      event_action: "trigger",
      dedup_key: "pier:deploy:payments-api:prod",
      payload: { summary: msg().title, source: "payments-api", severity: "error", component: "payments-api", group: "payments", class: "deployment.failed" },
      links: [{ href: "http://localhost:3000/deployments/sample-request", text: "Open in Pier" }],
    });
    const resolved = { ...sampleEvent("deployment.succeeded"), id: "evt-2" };
    await sendToChannel(c, msg({ event: resolved }), [], deps());
    expect(fake.json(1)).toEqual({ routing_key: key, event_action: "resolve", dedup_key: "pier:deploy:payments-api:prod" });
  });

  it("400 is not retried; 429 without Retry-After waits a minute", async () => {
    fake.answer({ status: 400, body: JSON.stringify({ status: "invalid event", message: "Event object is invalid" }) }, { status: 429, body: "" });
    const c = ch("pagerduty", { routingKey: key }, { baseUrl: fake.url("") });
    expect(await sendToChannel(c, msg(), [], deps())).toMatchObject({ kind: "permanent", statusCode: 400 });
    expect(await sendToChannel(c, msg(), [], deps())).toMatchObject({ kind: "retry", statusCode: 429, retryAfterMs: 60_000 });
  });

  it("incidents dedup on the incident id", async () => {
    fake.answer({ status: 202, body: "{}" });
    await sendToChannel(
      ch("pagerduty", { routingKey: key }, { baseUrl: fake.url("") }),
      msg({ event: { ...sampleEvent("incident.detected"), id: "e3" } }),
      [],
      deps(),
    );
    expect(fake.json()).toMatchObject({ event_action: "trigger", dedup_key: "pier:incident:sample-incident" });
  });
});

describe("email (SMTP sink)", () => {
  it("sends to configured and resolved addresses through SMTP with auth", async () => {
    const received: { from: string; to: string[]; data: string; user?: string }[] = [];
    const server = new SMTPServer({
      authOptional: false,
      disabledCommands: ["STARTTLS"],
      onAuth(auth, _s, cb) {
        cb(auth.username === "pier" && auth.password === "mail-pass" ? null : new Error("bad credentials"), { user: auth.username });
      },
      onData(stream, session, cb) {
        let data = "";
        stream.on("data", (c: Buffer) => (data += c.toString()));
        stream.on("end", () => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            to: session.envelope.rcptTo.map((r) => r.address),
            data,
            user: session.user as string,
          });
          cb();
        });
      },
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const port = (server.server.address() as { port: number }).port;
    try {
      const settings = { host: "127.0.0.1", port, secure: false, username: "pier", from: "pier@example.com", to: ["team@example.com"] };
      const out = await sendToChannel(ch("email", { password: "mail-pass" }, settings), msg(), ["avery@example.com"], { allowList: [`127.0.0.1:${port}`] });
      expect(out).toMatchObject({ kind: "delivered", statusCode: 250 });
      expect(received).toHaveLength(1);
      expect(received[0].from).toBe("pier@example.com");
      expect(received[0].to).toEqual(["team@example.com", "avery@example.com"]);
      expect(received[0].user).toBe("pier");
      expect(received[0].data).toContain("Subject: Deployment FAILED: Payments API v2.4.1 in prod");
      expect(received[0].data).toContain("X-Pier-Delivery: dlv-1");
      const decoded = received[0].data.replace(/=\r\n/g, "").replace(/=C2=B7/g, "·");
      expect(decoded).toContain("On-call: Payments on-call (https://pd.example.com/s/1) · Approvers: Avery");
      expect(decoded).toContain("Open in Pier: http://localhost:3000/deployments/sample-request");

      // The SMTP host goes through the SSRF guard like any URL.
      const refused = await sendToChannel(ch("email", { password: "mail-pass" }, settings), msg(), [], { allowList: [] });
      expect(refused.kind).toBe("permanent");
      expect(refused.error).toMatch(/loopback/);
      // Wrong password: SMTP 535 is permanent.
      const wrong = await sendToChannel(ch("email", { password: "nope" }, settings), msg(), [], { allowList: [`127.0.0.1:${port}`] });
      expect(wrong).toMatchObject({ kind: "permanent", statusCode: 535 });
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe("SSRF guard", () => {
  it.each([
    ["loopback", "http://127.0.0.1:9/hook"],
    ["https loopback", "https://127.0.0.1/hook"],
    ["cloud metadata", "https://169.254.169.254/latest/meta-data/"],
    ["private range", "https://10.1.2.3/hook"],
    ["IPv6 loopback", "https://[::1]/hook"],
    ["plain http to a public host", "http://hooks.example.org/hook"],
  ])("refuses %s without sending", async (_, url) => {
    const out = await sendToChannel(ch("slack", { url }), msg(), [], { allowList: [], resolve: async () => ["93.184.216.34"] });
    expect(out.kind).toBe("permanent");
    expect(out.error).toMatch(/Outbound URL refused/);
    expect(fake.requests).toHaveLength(0);
  });

  it("refuses a public name that resolves to a private address (DNS rebinding)", async () => {
    const out = await sendToChannel(ch("slack", { url: "https://hooks.evil.example/x" }), msg(), [], { allowList: [], resolve: async () => ["192.168.1.10"] });
    expect(out).toMatchObject({ kind: "permanent" });
    expect(out.error).toMatch(/private address/);
  });

  it("does not follow redirects (they could lead to a refused address)", async () => {
    fake.answer({ status: 302, headers: { location: "http://169.254.169.254/" } });
    const out = await sendToChannel(ch("slack", { url: fake.url("/r") }), msg(), [], deps());
    expect(out).toMatchObject({ kind: "permanent", statusCode: 302 });
    expect(fake.requests).toHaveLength(1);
  });
});

describe("previews", () => {
  it("mask secrets in URLs, routing keys and custom header values", () => {
    const p = previewForChannel(
      ch("webhook", { url: "https://hooks.example.com/in/SECRETTOKEN1234", signingSecret: "x".repeat(20), headers: { Authorization: "Bearer topsecret" } }),
      msg(),
      [],
    ) as { url: string; headers: Record<string, string> };
    expect(p.url).toBe("https://hooks.example.com/••••1234");
    expect(p.headers.authorization).toBe("••••");
    expect(JSON.stringify(p)).not.toContain("topsecret");
    const pd = previewForChannel(
      ch("pagerduty", { routingKey: "R0UT1NGKEY0123456789abcdefABCDEF" }, { baseUrl: "https://events.pagerduty.com" }),
      msg(),
      [],
    ) as { body: { routing_key: string } };
    expect(pd.body.routing_key).toBe("••••CDEF");
  });

  it("parses Retry-After as seconds or HTTP date", () => {
    expect(parseRetryAfter("3")).toBe(3000);
    expect(parseRetryAfter("0.5")).toBe(500);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter("soon")).toBeNull();
    expect(parseRetryAfter(null)).toBeNull();
  });
});
