// Issue 14 on the vendor webhooks, with the real payloads in /work/shared/fixtures: GitHub's form-encoded deliveries
// (signed over the raw form body) and its 25 MB payloads; PagerDuty incident.acknowledged, incident.reopened and
// priority changes (the signed incident.priority_updated fixture, and re-typed copies of it for the other events,
// as the existing trigger/resolve tests do: PagerDuty sends the same incident object with every incident event).
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { SHARED_FIXTURES } from "../../test/support/shared-fixtures";
import { POST as githubPOST } from "@/app/api/webhooks/github/route";
import { POST as pagerdutyPOST } from "@/app/api/webhooks/pagerduty/route";
import { config as proxyConfig } from "@/proxy";
import { systemActor } from "../audit/audit-log";
import { getDb } from "../db";
import { ensureEnvironments } from "../../test/support/dora-fixtures";
import { MAX_GITHUB_BODY_BYTES } from "./ingest-http";
import { processInboundEvent } from "./ingest-worker";
import { createWebhookSecret } from "./webhook-secrets";

const FIXTURES = SHARED_FIXTURES;
const GH_SECRET = "gh-webhook-secret-for-issue-14";
const PD_SECRET = "pd-webhook-secret-for-issue-14";
const DEPLOYMENT_STATUS = readFileSync(`${FIXTURES}/github-webhooks/deployment_status.payload.json`, "utf8");
const PD_BODY = readFileSync(`${FIXTURES}/pagerduty-webhooks/incident.priority_updated.signed.json`, "utf8");

beforeAll(async () => {
  await ensureEnvironments();
  await createWebhookSecret(getDb(), systemActor("test"), { kind: "github_webhook", name: "GitHub", secret: GH_SECRET });
  await createWebhookSecret(getDb(), systemActor("test"), { kind: "pagerduty_webhook", name: "PagerDuty", secret: PD_SECRET });
});

const hmac = (secret: string, body: string | Uint8Array) => createHmac("sha256", secret).update(body).digest("hex");
const github = (body: string | ReadableStream, headers: Record<string, string>) =>
  githubPOST(new Request("http://pier.test/api/webhooks/github", { method: "POST", body, headers, duplex: "half" } as RequestInit));
const signedGithub = (body: string, delivery: string, contentType: string, signedOver = body) =>
  github(body, {
    "content-type": contentType,
    "x-hub-signature-256": `sha256=${hmac(GH_SECRET, signedOver)}`,
    "x-github-event": "deployment_status",
    "x-github-delivery": delivery,
  });
/** What GitHub sends with content type application/x-www-form-urlencoded: the JSON in a `payload` form field. */
const form = (json: string) => new URLSearchParams({ payload: json }).toString();

describe("GitHub deliveries as application/x-www-form-urlencoded", () => {
  it("accepts payload=…, verifying the signature over the raw form body, and records the deployment", async () => {
    const body = form(DEPLOYMENT_STATUS);
    const res = await signedGithub(body, "form-1", "application/x-www-form-urlencoded");
    expect(res.status).toBe(202);
    const row = await getDb().inboundEvent.findFirstOrThrow({ where: { source: "github", externalId: "form-1" } });
    expect(row.occurredAt?.toISOString()).toBe("2019-05-15T15:20:55.000Z");
    expect(await processInboundEvent(getDb(), row.id)).toBe("processed");
    const d = await getDb().deployment.findFirstOrThrow({ where: { source: "github", externalId: "145988746" } });
    expect(d).toMatchObject({ serviceName: "Hello-World", version: "f95f852bd8fca8fcc58a9a2d6c842781e32a215e", status: "succeeded" });
  });

  it("refuses a form signed over the JSON instead of the raw body (401) and a form without payload (400)", async () => {
    const body = form(DEPLOYMENT_STATUS);
    const wrong = await signedGithub(body, "form-2", "application/x-www-form-urlencoded", DEPLOYMENT_STATUS);
    expect(wrong.status).toBe(401);
    const noPayload = await signedGithub("other=1", "form-3", "application/x-www-form-urlencoded");
    expect(noPayload.status).toBe(400);
    expect(await noPayload.json()).toMatchObject({ field: "payload" });
    const notJson = await signedGithub(form("{nope"), "form-4", "application/x-www-form-urlencoded");
    expect(notJson.status).toBe(400);
    expect(await getDb().inboundEvent.count({ where: { externalId: { in: ["form-2", "form-3", "form-4"] } } })).toBe(0);
  });
});

describe("GitHub's 25 MB maximum payload", () => {
  it("accepts a 3 MB delivery (a deployment with a large payload) as JSON and as a form", async () => {
    const big = JSON.parse(DEPLOYMENT_STATUS);
    big.deployment.payload = { manifest: "m".repeat(3 * 1024 * 1024) };
    const json = JSON.stringify(big);
    expect((await signedGithub(json, "big-json", "application/json")).status).toBe(202);
    expect((await signedGithub(form(json), "big-form", "application/x-www-form-urlencoded")).status).toBe(202);
  });

  it("stops reading a body past 25 MB and answers 413", async () => {
    const chunk = new Uint8Array(1024 * 1024).fill(0x20);
    let sent = 0;
    const stream = new ReadableStream({
      pull(c) {
        // 40 MB on offer: the handler must stop pulling soon after 25 MB.
        if (sent >= 40 * chunk.byteLength) return c.close();
        sent += chunk.byteLength;
        c.enqueue(chunk);
      },
    });
    const res = await github(stream, {
      "content-type": "application/json",
      "x-hub-signature-256": "sha256=00",
      "x-github-event": "push",
      "x-github-delivery": "huge",
    });
    expect(res.status).toBe(413);
    expect(sent).toBeLessThanOrEqual(MAX_GITHUB_BODY_BYTES + 3 * chunk.byteLength);
    expect(MAX_GITHUB_BODY_BYTES).toBe(25 * 1024 * 1024);
  });

  it("is not routed through proxy.ts (which would cut a body at 10 MB), nor is any other inbound endpoint", () => {
    const matcher = new RegExp(`^${proxyConfig.matcher[0]}$`);
    for (const path of ["/api/webhooks/github", "/api/webhooks/gitlab", "/api/webhooks/pagerduty", "/api/webhooks/custom/release-bot", "/api/events/cdevents"])
      expect(matcher.test(path), path).toBe(false);
    for (const path of ["/catalog", "/api/trpc/catalog.list", "/api/catalog/import"]) expect(matcher.test(path), path).toBe(true);
  });
});

describe("PagerDuty incident.acknowledged, incident.reopened and priority changes", () => {
  const base = JSON.parse(PD_BODY);
  const pd = (body: string) =>
    pagerdutyPOST(
      new Request("http://pier.test/api/webhooks/pagerduty", {
        method: "POST",
        body,
        headers: { "content-type": "application/json", "x-pagerduty-signature": `v1=${hmac(PD_SECRET, body)}` },
      }),
    );
  /** The fixture as PagerDuty sends it for another event of the same kind of incident. */
  const variant = (eventId: string, type: string, at: string, incident: string, data: Record<string, unknown> = {}) => {
    const v = structuredClone(base);
    Object.assign(v.event, { id: eventId, event_type: type, occurred_at: at });
    Object.assign(v.event.data, { id: incident, created_at: "2026-03-01T10:00:00Z", ...data });
    return JSON.stringify(v);
  };
  const deliver = async (body: string) => {
    const res = await pd(body);
    expect(res.status).toBe(202);
    return processInboundEvent(getDb(), (await res.json()).id);
  };
  const incident = (externalId: string) => getDb().incident.findFirstOrThrow({ where: { source: "pagerduty", externalId } });

  it("records an acknowledged incident as open (even when its trigger was missed)", async () => {
    expect(await deliver(variant("ack-1", "incident.acknowledged", "2026-03-01T10:05:00Z", "PACK001", { status: "acknowledged" }))).toBe("processed");
    const i = await incident("PACK001");
    expect(i.resolvedAt).toBeNull();
    expect(i.detectedAt.toISOString()).toBe("2026-03-01T10:00:00.000Z");
    // An acknowledgement processed after the resolution does not reopen it.
    await deliver(variant("ack-2", "incident.resolved", "2026-03-01T10:30:00Z", "PACK001", { status: "resolved" }));
    await deliver(variant("ack-3", "incident.acknowledged", "2026-03-01T10:06:00Z", "PACK001", { status: "acknowledged" }));
    expect((await incident("PACK001")).resolvedAt?.toISOString()).toBe("2026-03-01T10:30:00.000Z");
  });

  it("opens a reopened incident again and resolves it at its last resolution", async () => {
    await deliver(variant("re-1", "incident.triggered", "2026-03-01T10:00:00Z", "PRE0001"));
    await deliver(variant("re-2", "incident.resolved", "2026-03-01T10:30:00Z", "PRE0001", { status: "resolved" }));
    expect((await incident("PRE0001")).resolvedAt).not.toBeNull();
    expect(await deliver(variant("re-3", "incident.reopened", "2026-03-01T11:00:00Z", "PRE0001", { status: "triggered" }))).toBe("processed");
    const reopened = await incident("PRE0001");
    expect(reopened.resolvedAt).toBeNull();
    expect(reopened.reopenedAt?.toISOString()).toBe("2026-03-01T11:00:00.000Z");
    await deliver(variant("re-4", "incident.resolved", "2026-03-01T11:20:00Z", "PRE0001", { status: "resolved" }));
    expect((await incident("PRE0001")).resolvedAt?.toISOString()).toBe("2026-03-01T11:20:00.000Z");
  });

  it("follows event times when a stale resolution is processed after the reopening", async () => {
    await deliver(variant("ooo-1", "incident.reopened", "2026-03-01T11:00:00Z", "POOO001", { status: "triggered" }));
    await deliver(variant("ooo-2", "incident.resolved", "2026-03-01T10:30:00Z", "POOO001", { status: "resolved" }));
    expect((await incident("POOO001")).resolvedAt).toBeNull();
    await deliver(variant("ooo-3", "incident.resolved", "2026-03-01T11:20:00Z", "POOO001", { status: "resolved" }));
    expect((await incident("POOO001")).resolvedAt?.toISOString()).toBe("2026-03-01T11:20:00.000Z");
  });

  it("takes the severity from a priority change: the signed fixture (P1), then a change to P3", async () => {
    const res = await pd(PD_BODY);
    expect(res.status).toBe(202);
    expect(await processInboundEvent(getDb(), (await res.json()).id)).toBe("processed");
    const p1 = await incident("PGR0VU2");
    expect(p1).toMatchObject({ severity: "critical", title: "A little bump in the road", resolvedAt: null });
    // The fixture carries no created_at: the incident existed by the time its priority changed.
    expect(p1.detectedAt.toISOString()).toBe("2021-04-26T17:36:27.458Z");
    const p3 = structuredClone(base);
    Object.assign(p3.event, { id: "prio-2", occurred_at: "2021-04-26T17:40:00.000Z" });
    p3.event.data.priority.summary = "P3";
    await deliver(JSON.stringify(p3));
    expect(await incident("PGR0VU2")).toMatchObject({ severity: "medium" });
  });
});
