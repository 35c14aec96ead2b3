// Ingestion under hostile input (issue 12): values Postgres cannot store, deep JSON, oversized ids, permanent
// errors answered 4xx (never 500 "retry later"), and refused requests recorded aggregated, rate-limited and swept.
import { createHmac } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { POST as cdeventsPOST } from "@/app/api/events/cdevents/route";
import { POST as githubPOST } from "@/app/api/webhooks/github/route";
import { POST as pagerdutyPOST } from "@/app/api/webhooks/pagerduty/route";
import { systemActor } from "../audit/audit-log";
import { getDb, type Db } from "../db";
import { cdevent } from "../../test/support/cdevents-fixtures";
import { handleCdeventsPost } from "./ingest-http";
import { createIngestToken } from "./ingest-tokens";
import { clientAddress, recordRejection, sweepRejectedEvents } from "./rejections";
import { createWebhookSecret } from "./webhook-secrets";

const GH_SECRET = "gh-hardening-secret-for-tests";
const PD_SECRET = "pd-hardening-secret-for-tests";
let token: string;

beforeAll(async () => {
  token = (await createIngestToken(getDb(), systemActor("test"), "CI")).token;
  await createWebhookSecret(getDb(), systemActor("test"), { kind: "github_webhook", name: "GitHub", secret: GH_SECRET });
  await createWebhookSecret(getDb(), systemActor("test"), { kind: "pagerduty_webhook", name: "PagerDuty", secret: PD_SECRET });
});

const post = (url: string, body: string, headers: Record<string, string>) =>
  new Request(`http://pier.test${url}`, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
const sendCdevents = (body: unknown, headers: Record<string, string> = {}) =>
  cdeventsPOST(post("/api/events/cdevents", typeof body === "string" ? body : JSON.stringify(body), { authorization: `Bearer ${token}`, ...headers }));
const hmac = (secret: string, body: string) => createHmac("sha256", secret).update(body).digest("hex");
const sendGithub = (body: string, delivery: string, event = "push") =>
  githubPOST(
    post("/api/webhooks/github", body, { "x-hub-signature-256": `sha256=${hmac(GH_SECRET, body)}`, "x-github-event": event, "x-github-delivery": delivery }),
  );
const sendPagerDuty = (body: string) => pagerdutyPOST(post("/api/webhooks/pagerduty", body, { "x-pagerduty-signature": `v1=${hmac(PD_SECRET, body)}` }));
const inbound = () => getDb().inboundEvent.count();

describe("values Postgres cannot store", () => {
  it("refuses NUL bytes and lone surrogates anywhere in a CDEvent with 400 naming the field, storing nothing", async () => {
    const before = await inbound();
    const withNul = cdevent("change.merged", "0.5", { id: "nul-1", content: { repository: { id: "acme/orders\u0000" } } });
    const res = await sendCdevents(withNul);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ field: "subject.content.repository.id", error: expect.stringMatching(/NUL/) });
    // The escape as it travels in JSON text, and a lone surrogate, in a batch.
    const surrogate = `[${JSON.stringify(cdevent("change.merged", "0.5", { id: "ok-1" }))},{"context":{"id":"x\\ud800"}}]`;
    const res2 = await sendCdevents(surrogate);
    expect(res2.status).toBe(400);
    expect(await res2.json()).toMatchObject({ field: "[1].context.id", error: expect.stringMatching(/surrogate/) });
    expect(await inbound()).toBe(before);
  });

  it("refuses JSON nested 5,000 deep on signed webhooks with 400", async () => {
    const deep = `{"event":{"id":"deep-1","data":${"[".repeat(5000)}${"]".repeat(5000)}}}`;
    const gh = await sendGithub(`{"a":${"[".repeat(5000)}${"]".repeat(5000)}}`, "deep-gh");
    expect(gh.status).toBe(400);
    expect(await gh.json()).toMatchObject({ error: expect.stringMatching(/nested deeper than 64/) });
    const pd = await sendPagerDuty(deep);
    expect(pd.status).toBe(400);
    expect(await getDb().inboundEvent.count({ where: { externalId: { in: ["deep-gh", "deep-1"] } } })).toBe(0);
  });

  it("refuses ids too long for the unique index (a 2.7 KB context.id, delivery header or event.id) with 400", async () => {
    const long = "i".repeat(2700);
    const res = await sendCdevents(cdevent("service.deployed", "0.5", { id: long }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ field: "context.id", error: expect.stringMatching(/at most 255/) });
    const subject = await sendCdevents(cdevent("change.merged", "0.5", { id: "long-subject", subjectId: long }));
    expect(subject.status).toBe(400);
    expect(await subject.json()).toMatchObject({ field: "subject.id" });
    const gh = await sendGithub('{"zen":"x"}', long);
    expect(gh.status).toBe(400);
    expect(await gh.json()).toMatchObject({ field: "X-GitHub-Delivery" });
    const pd = await sendPagerDuty(JSON.stringify({ event: { id: long, event_type: "incident.triggered" } }));
    expect(pd.status).toBe(400);
    expect(await pd.json()).toMatchObject({ field: "event.id" });
    expect(await getDb().inboundEvent.count({ where: { externalId: long } })).toBe(0);
  });

  it("answers a value the database refuses with 422 (permanent), not 500 'retry later'", async () => {
    // A database that refuses the insert as Postgres refuses unstorable data (SQLSTATE 22021).
    const real = getDb();
    const bound = (target: object, prop: string | symbol) => {
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    };
    const refusing = new Proxy(real.kysely, {
      get(target, prop) {
        if (prop === "insertInto") {
          return () => {
            throw Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: "22021", severity: "ERROR" });
          };
        }
        return bound(target, prop);
      },
    });
    const db = new Proxy(real, { get: (target, prop) => (prop === "kysely" ? refusing : bound(target, prop)) }) as Db;
    const req = post("/api/events/cdevents", JSON.stringify(cdevent("change.merged", "0.5", { id: "refused-by-db" })), { authorization: `Bearer ${token}` });
    const res = await handleCdeventsPost(req, db);
    expect(res.status).toBe(422);
    const body = await res.json();
    expect(body.error).toMatch(/will not help \(reference [0-9a-f]+\)/);
    expect(body.error).not.toMatch(/UTF8|0x00|invalid byte/);
  });
});

describe("refused requests are recorded without letting anyone fill the table", () => {
  const rows = (address: string) => getDb().rejectedEvent.findMany({ where: { sourceAddress: address }, orderBy: { receivedAt: "asc" } });

  it("aggregates repeats from one address into one row with a count and last-seen time", async () => {
    for (let i = 0; i < 5; i++) await sendCdevents(cdevent("service.deployed"), { authorization: "Bearer pier_ing_wrong", "x-forwarded-for": "203.0.113.7" });
    const r = await rows("203.0.113.7");
    expect(r).toHaveLength(1);
    expect(r[0]).toMatchObject({ source: "cdevents", field: "Authorization", count: 5, bodyExcerpt: "" });
    expect(r[0].lastSeenAt.getTime()).toBeGreaterThanOrEqual(r[0].receivedAt.getTime());
  });

  it("rate-limits new rows per address; further refusals are only counted", async () => {
    const address = "198.51.100.9";
    // 30 different refusals (a different invalid context.type each time) from one address.
    for (let i = 0; i < 30; i++) {
      const body = { context: { id: `e${i}`, source: "s", type: `not-a-type-${i}`, timestamp: "2026-01-01T00:00:00Z", specversion: "0.5.1" } };
      await sendCdevents(body, { "x-forwarded-for": `10.0.0.1, ${address}` });
    }
    const r = await rows(address);
    expect(r.length).toBe(21);
    const limited = r.find((x) => x.reason.startsWith("rate_limited"));
    expect(limited?.count).toBe(10);
    expect(r.reduce((n, x) => n + x.count, 0)).toBe(30);
  });

  it("takes the address from the nearest proxy and never stores NUL in reason, field or excerpt", async () => {
    const h = (headers: Record<string, string>) => new Request("http://pier.test/", { headers });
    expect(clientAddress(h({ "x-forwarded-for": "1.2.3.4, 5.6.7.8" }))).toBe("5.6.7.8");
    expect(clientAddress(h({ "x-real-ip": "2001:db8::1" }))).toBe("2001:db8::1");
    expect(clientAddress(h({ "x-forwarded-for": "<script>" }))).toBe("");
    await recordRejection(getDb(), { source: "test", reason: "bad\u0000reason \uD800", field: "f\u0000", body: "x\u0000y", address: "192.0.2.1" });
    const [row] = await rows("192.0.2.1");
    expect(row.reason).not.toContain("\u0000");
    expect(row.bodyExcerpt).toBe("x\uFFFDy");
  });

  it("sweeps rows not seen for the retention period", async () => {
    const db = getDb();
    await recordRejection(db, { source: "test", reason: "old: x", field: null, address: "192.0.2.50" });
    await recordRejection(db, { source: "test", reason: "recent: x", field: null, address: "192.0.2.50" });
    await db.rejectedEvent.updateMany({
      where: { sourceAddress: "192.0.2.50", reason: "old: x" },
      data: { lastSeenAt: new Date(Date.now() - 31 * 86_400_000) },
    });
    expect(await sweepRejectedEvents(db, 30, 1)).toBeGreaterThanOrEqual(1);
    expect((await rows("192.0.2.50")).map((r) => r.reason)).toEqual(["recent: x"]);
  });
});
