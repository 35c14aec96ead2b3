// The SSRF guard on the notification connect paths: every address form is refused for every channel kind (webhook
// URLs, PagerDuty base URLs, SMTP hosts), and the socket goes to the address the guard checked (one DNS lookup).
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeVendor } from "@/test/support/fake-http";
import type { ChannelRuntime, OutgoingMessage } from "./channel-types";
import { sendHttp } from "./http-send";
import { sendToChannel } from "./send";
import { sampleEvent } from "../templates";

let fake: FakeVendor;
beforeAll(async () => {
  fake = await FakeVendor.start();
});
afterAll(() => fake.close());

const msg: OutgoingMessage = {
  deliveryId: "dlv-1",
  idempotencyKey: "evt-1:route-1:chan-1",
  title: "Deployment FAILED: Payments API v2.4.1 in prod",
  text: "The deployment failed.",
  url: "http://localhost:3000/deployments/sample-request",
  event: { ...sampleEvent("deployment.failed"), id: "evt-1" },
  recipients: { oncall: null, users: [] },
  digest: null,
  threadKey: "route-1|chan-1|payments",
};
const ch = (type: ChannelRuntime["type"], secret: Record<string, unknown>, settings: Record<string, unknown> = {}): ChannelRuntime => ({
  id: "chan-1",
  type,
  secret,
  settings,
});
const noDns = async (host: string): Promise<string[]> => {
  throw new Error(`unexpected DNS lookup of ${host}`);
};

const BYPASSES = [
  "[::ffff:127.0.0.1]",
  "[::127.0.0.1]",
  "[64:ff9b::a9fe:a9fe]",
  "[::ffff:169.254.169.254]",
  "[::ffff:a00:1]",
  "2130706433",
  "0x7f.0.0.1",
  "0177.0.0.1",
  "127.0.0.1.",
];

describe("address forms refused on every outbound path", () => {
  it.each(BYPASSES)("webhook / PagerDuty / SMTP to %s are refused without connecting", async (host) => {
    const webhook = await sendToChannel(ch("webhook", { url: `https://${host}/hook`, signingSecret: "s".repeat(16) }), msg, [], {
      allowList: [],
      resolve: noDns,
    });
    expect(webhook).toMatchObject({ kind: "permanent", error: expect.stringMatching(/refused/i) });
    const pd = await sendToChannel(ch("pagerduty", { routingKey: "r".repeat(32) }, { baseUrl: `https://${host}` }), msg, [], {
      allowList: [],
      resolve: noDns,
    });
    expect(pd).toMatchObject({ kind: "permanent", error: expect.stringMatching(/refused/i) });
    const smtp = await sendToChannel(
      ch("email", { password: "x" }, { host, port: 465, secure: true, from: "pier@example.com", to: ["a@example.com"] }),
      msg,
      [],
      { allowList: [], resolve: noDns },
    );
    expect(smtp).toMatchObject({ kind: "permanent", error: expect.stringMatching(/SMTP host refused: resolves to a .*address/) });
  });

  it("an SMTP host written as a bare IPv6 address is checked as that address", async () => {
    const settings = { host: "::ffff:169.254.169.254", port: 25, secure: false, from: "pier@example.com", to: ["a@example.com"] };
    const out = await sendToChannel(ch("email", {}, settings), msg, [], { allowList: [], resolve: noDns });
    expect(out).toMatchObject({ kind: "permanent", error: expect.stringContaining("metadata") });
  });

  it("refuses a name whose DNS answer is private, at send time", async () => {
    const out = await sendToChannel(ch("webhook", { url: "https://hooks.example.com/x", signingSecret: "s".repeat(16) }), msg, [], {
      allowList: [],
      resolve: async () => ["::ffff:10.1.2.3"],
    });
    expect(out).toMatchObject({ kind: "permanent", error: expect.stringContaining("private") });
    expect(fake.requests).toHaveLength(0);
  });
});

describe("connect to the checked address", () => {
  it("an HTTP channel reaches the address its one DNS answer gave (the name itself does not resolve)", async () => {
    let lookups = 0;
    const resolve = async () => (++lookups === 1 ? ["127.0.0.1"] : ["169.254.169.254"]);
    const res = await sendHttp(
      { url: `http://hooks.pier.test:${fake.port}/in`, method: "POST", headers: { "content-type": "application/json" }, body: '{"ok":true}' },
      { allowList: [`hooks.pier.test:${fake.port}`], resolve },
    );
    expect(res.status).toBe(200);
    expect(lookups).toBe(1);
    expect(fake.requests.at(-1)).toMatchObject({ url: "/in", body: '{"ok":true}' });
    expect(fake.requests.at(-1)?.headers.host).toBe(`hooks.pier.test:${fake.port}`);
  });

  it("SMTP connects to the checked address of an allow-listed mail host", async () => {
    const received: string[] = [];
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS", "AUTH"],
      onData(stream, session, cb) {
        stream.resume();
        stream.on("end", () => {
          received.push(session.envelope.rcptTo.map((r) => r.address).join(","));
          cb();
        });
      },
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const port = (server.server.address() as { port: number }).port;
    try {
      let lookups = 0;
      const settings = { host: "mail.pier.test", port, secure: false, from: "pier@example.com", to: ["team@example.com"] };
      const out = await sendToChannel(ch("email", {}, settings), msg, [], {
        allowList: [`mail.pier.test:${port}`],
        resolve: async () => (++lookups, ["127.0.0.1"]),
      });
      expect(out).toMatchObject({ kind: "delivered" });
      expect(received).toEqual(["team@example.com"]);
      expect(lookups).toBe(1);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
