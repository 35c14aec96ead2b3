// The ingestion endpoints through their route modules (real Postgres + Redis): authentication, signatures over the
// real vendor payloads, size limits, idempotency, rejections recorded, and the worker turning events into rows.
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { SHARED_FIXTURES } from "../../test/support/shared-fixtures";
import { POST as cdeventsPOST } from "@/app/api/events/cdevents/route";
import { POST as githubPOST } from "@/app/api/webhooks/github/route";
import { POST as pagerdutyPOST } from "@/app/api/webhooks/pagerduty/route";
import { systemActor } from "../audit/audit-log";
import { getDb } from "../db";
import { ensureEnvironments, makeService } from "../../test/support/dora-fixtures";
import { QUEUES, getReadyQueue } from "../platform/queues";
import { cdevent } from "../../test/support/cdevents-fixtures";
import { verifyGithubSignature } from "./github-webhooks";
import { MAX_BODY_BYTES } from "./ingest-http";
import { clearIngestTokenCache, createIngestToken, revokeIngestToken } from "./ingest-tokens";
import { processInboundEvent } from "./ingest-worker";
import { verifyPagerDutySignature } from "./pagerduty-webhooks";
import { createWebhookSecret } from "./webhook-secrets";

const FIXTURES = SHARED_FIXTURES;
const GH_SECRET = "gh-webhook-secret-for-tests";
const PD_SECRET = "lDQHScfUeXUKaQRNF+8XIiDKZ7XX3itBAYzwU0TARw8lJqRnkKl2iB1anSb0Z+IK";
const PD_BODY = readFileSync(`${FIXTURES}/pagerduty-webhooks/incident.priority_updated.signed.json`);
const PD_EXPECTED = "v1=0c0b9495b893a39e70d1fea2fe11fbe0a825f88b9f67846f6cc07dd2bc5476cd";
let token: string;

beforeAll(async () => {
  await ensureEnvironments();
  await makeService(undefined, "orders");
  token = (await createIngestToken(getDb(), systemActor("test"), "CI")).token;
  await createWebhookSecret(getDb(), systemActor("test"), { kind: "github_webhook", name: "GitHub org", secret: GH_SECRET });
  await createWebhookSecret(getDb(), systemActor("test"), { kind: "pagerduty_webhook", name: "PagerDuty", secret: PD_SECRET });
});

const post = (url: string, body: string | Buffer, headers: Record<string, string>) =>
  new Request(`http://pier.test${url}`, {
    method: "POST",
    body: typeof body === "string" ? body : new Uint8Array(body),
    headers: { "content-type": "application/json", ...headers },
  });
const sendCdevents = (body: unknown, auth = `Bearer ${token}`) => cdeventsPOST(post("/api/events/cdevents", JSON.stringify(body), { authorization: auth }));
const ghSign = (raw: Buffer | string, secret = GH_SECRET) => "sha256=" + createHmac("sha256", secret).update(raw).digest("hex");
const pdSign = (raw: Buffer | string, secret = PD_SECRET) => "v1=" + createHmac("sha256", secret).update(raw).digest("hex");

describe("POST /api/events/cdevents", () => {
  it("accepts an event, stores it durably, enqueues it, and is idempotent by context.id", async () => {
    // Connected first: the intake's enqueue waits at most 500 ms for Redis, then leaves the event to the sweeper.
    const queue = await getReadyQueue(QUEUES.ingest);
    const e = cdevent("service.deployed", "0.5", { id: "deploy-1" });
    const res = await sendCdevents(e);
    expect(res.status).toBe(202);
    const body = await res.json();
    expect(body).toMatchObject({ duplicate: false });
    const row = await getDb().inboundEvent.findUniqueOrThrow({ where: { id: body.id } });
    expect(row).toMatchObject({ source: "cdevents", externalId: "deploy-1", status: "pending", specVersion: "0.5.1" });
    // Enqueued for the worker (in an intake batch job) right after the commit, without making the answer wait for
    // Redis (./ingest.ts).
    await vi.waitFor(async () => expect(await queue.getJob(`batch-${body.id}`)).toMatchObject({ data: { inboundEventIds: [body.id] } }), {
      timeout: 10_000,
      interval: 50,
    });

    const again = await sendCdevents(e);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ id: body.id, duplicate: true });
    expect(await getDb().inboundEvent.count({ where: { externalId: "deploy-1" } })).toBe(1);
  });

  it("accepts an array (v0.4 and v0.5 mixed), reporting duplicates per event", async () => {
    const res = await sendCdevents([
      cdevent("change.merged", "0.4", { id: "batch-a" }),
      cdevent("incident.detected", "0.5", { id: "batch-b" }),
      cdevent("service.deployed", "0.5", { id: "deploy-1" }),
    ]);
    expect(res.status).toBe(202);
    const body = await res.json();
    expect(body).toMatchObject({ accepted: 2, duplicates: 1, duplicate: false });
    expect(body.events.map((e: { eventId: string; duplicate: boolean }) => [e.eventId, e.duplicate])).toEqual([
      ["batch-a", false],
      ["batch-b", false],
      ["deploy-1", true],
    ]);
  });

  it("refuses a missing, wrong or revoked token with 401 and records the rejection", async () => {
    expect((await sendCdevents(cdevent("service.deployed"), "")).status).toBe(401);
    const wrong = await sendCdevents(cdevent("service.deployed"), "Bearer pier_ing_nope");
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ field: "Authorization" });
    const revokable = await createIngestToken(getDb(), systemActor("test"), "Temp");
    expect((await sendCdevents(cdevent("service.deployed"), `Bearer ${revokable.token}`)).status).toBe(202);
    await revokeIngestToken(getDb(), systemActor("test"), revokable.id);
    clearIngestTokenCache();
    expect((await sendCdevents(cdevent("service.deployed"), `Bearer ${revokable.token}`)).status).toBe(401);
    // Repeats of one refusal are one row with a count (server/ingest/rejections.ts).
    const refused = await getDb().rejectedEvent.aggregate({ where: { source: "cdevents", field: "Authorization" }, _sum: { count: true } });
    expect(refused._sum.count).toBeGreaterThanOrEqual(3);
  });

  it("refuses invalid events with 400 naming the field, storing nothing of the batch", async () => {
    const bad = cdevent("service.deployed", "0.5", { id: "bad-1" });
    delete (bad.subject.content as Record<string, unknown>).artifactId;
    const res = await sendCdevents([cdevent("change.merged", "0.5", { id: "good-in-bad-batch" }), bad]);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ field: "[1].subject.content.artifactId" });
    expect(await getDb().inboundEvent.count({ where: { externalId: "good-in-bad-batch" } })).toBe(0);
    const rejected = await getDb().rejectedEvent.findFirstOrThrow({ where: { field: "[1].subject.content.artifactId" } });
    expect(rejected.reason).toContain("artifactId");
    expect(rejected.bodyExcerpt).toContain("good-in-bad-batch");

    const notJson = await cdeventsPOST(post("/api/events/cdevents", "{nope", { authorization: `Bearer ${token}` }));
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ field: "(body)" });
  });

  it("refuses bodies over 1 MB with 413 (declared or streamed)", async () => {
    const big = "x".repeat(MAX_BODY_BYTES + 1);
    const res = await sendCdevents({ padding: big });
    expect(res.status).toBe(413);
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < 3; i++) c.enqueue(new TextEncoder().encode("y".repeat(MAX_BODY_BYTES / 2)));
        c.close();
      },
    });
    const chunked = new Request("http://pier.test/api/events/cdevents", {
      method: "POST",
      body: stream,
      headers: { authorization: `Bearer ${token}` },
      duplex: "half",
    } as RequestInit);
    expect((await cdeventsPOST(chunked)).status).toBe(413);
  });

  it("is processed by the worker into a canonical deployment", async () => {
    const res = await sendCdevents(
      cdevent("service.deployed", "0.5", { id: "deploy-orders-2", subjectId: "service/orders", timestamp: "2026-02-02T10:00:00Z" }),
    );
    const { id } = await res.json();
    expect(await processInboundEvent(getDb(), id)).toBe("processed");
    const d = await getDb().deployment.findFirstOrThrow({ where: { source: "cdevents", externalId: "deploy-orders-2" } });
    expect(d).toMatchObject({ serviceName: "orders", environmentName: "prod", version: "sha256:abc123", status: "succeeded" });
    expect(d.serviceId).not.toBeNull();
    // Processing twice (a duplicate job) changes nothing.
    expect(await processInboundEvent(getDb(), id)).toBe("skipped");
  });
});

describe("GitHub webhooks", () => {
  const raw = readFileSync(`${FIXTURES}/github-webhooks/deployment_status.payload.json`);
  const send = (body: Buffer | string, headers: Record<string, string>) => githubPOST(post("/api/webhooks/github", body, headers));

  it("verifies X-Hub-Signature-256 over the raw bytes (good, bad, missing)", async () => {
    expect(verifyGithubSignature(raw, ghSign(raw), [GH_SECRET])).toBe(true);
    expect(verifyGithubSignature(raw, ghSign(raw, "other"), [GH_SECRET])).toBe(false);
    // Re-serialised JSON is different bytes: the signature must not match.
    expect(verifyGithubSignature(Buffer.from(JSON.stringify(JSON.parse(raw.toString()))), ghSign(raw), [GH_SECRET])).toBe(false);
    expect(verifyGithubSignature(raw, null, [GH_SECRET])).toBe(false);
    expect(verifyGithubSignature(raw, "sha256=abcd", [GH_SECRET])).toBe(false);

    const good = await send(raw, { "x-hub-signature-256": ghSign(raw), "x-github-event": "deployment_status", "x-github-delivery": "delivery-1" });
    expect(good.status).toBe(202);
    const bad = await send(raw, { "x-hub-signature-256": ghSign(raw, "wrong"), "x-github-event": "deployment_status", "x-github-delivery": "delivery-2" });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ field: "X-Hub-Signature-256" });
    const missing = await send(raw, { "x-github-event": "deployment_status", "x-github-delivery": "delivery-3" });
    expect(missing.status).toBe(401);
    expect(await getDb().inboundEvent.count({ where: { source: "github" } })).toBe(1);
    expect(await getDb().rejectedEvent.count({ where: { source: "github", reason: { startsWith: "bad_signature" } } })).toBe(1);
  });

  it("translates deployment_status into a deployment, de-duplicated by X-GitHub-Delivery", async () => {
    const again = await send(raw, { "x-hub-signature-256": ghSign(raw), "x-github-event": "deployment_status", "x-github-delivery": "delivery-1" });
    expect(await again.json()).toMatchObject({ duplicate: true });
    const ev = await getDb().inboundEvent.findFirstOrThrow({ where: { source: "github", externalId: "delivery-1" } });
    expect(await processInboundEvent(getDb(), ev.id)).toBe("processed");
    const d = await getDb().deployment.findFirstOrThrow({ where: { source: "github", externalId: "145988746" } });
    // The fixture's repository (Hello-World) is not in the catalog: kept by name for the data-quality page.
    expect(d).toMatchObject({
      serviceName: "Hello-World",
      serviceId: null,
      environmentName: "prod",
      status: "succeeded",
      version: "f95f852bd8fca8fcc58a9a2d6c842781e32a215e",
    });
    expect(d.deployedAt.toISOString()).toBe("2019-05-15T15:20:55.000Z");
  });

  it("turns a merged pull_request into a change and ignores the fixture's unmerged one and tag push", async () => {
    const closed = readFileSync(`${FIXTURES}/github-webhooks/pull_request.closed.payload.json`);
    const r1 = await send(closed, { "x-hub-signature-256": ghSign(closed), "x-github-event": "pull_request", "x-github-delivery": "pr-closed" });
    const push = readFileSync(`${FIXTURES}/github-webhooks/push.payload.json`);
    const r2 = await send(push, { "x-hub-signature-256": ghSign(push), "x-github-event": "push", "x-github-delivery": "push-tag" });
    for (const r of [r1, r2]) expect(await processInboundEvent(getDb(), (await r.json()).id)).toBe("ignored");

    const merged = JSON.parse(closed.toString());
    merged.pull_request.merged = true;
    merged.pull_request.merged_at = "2019-05-15T15:20:40Z";
    const body = JSON.stringify(merged);
    const r3 = await send(body, { "x-hub-signature-256": ghSign(body), "x-github-event": "pull_request", "x-github-delivery": "pr-merged" });
    expect(await processInboundEvent(getDb(), (await r3.json()).id)).toBe("processed");
    const c = await getDb().change.findFirstOrThrow({ where: { source: "github", externalId: merged.pull_request.merge_commit_sha } });
    expect(c).toMatchObject({ title: "Update the README with new information.", serviceName: "Hello-World" });
    // Merged before the 15:20:55 deployment of the same repository: shipped by it.
    expect(c.deploymentId).not.toBeNull();
  });

  it("answers ping and refuses requests without event or delivery headers", async () => {
    const ping = readFileSync(`${FIXTURES}/github-webhooks/ping.payload.json`);
    expect((await send(ping, { "x-hub-signature-256": ghSign(ping), "x-github-event": "ping", "x-github-delivery": "p1" })).status).toBe(200);
    const noDelivery = await send(ping, { "x-hub-signature-256": ghSign(ping), "x-github-event": "push" });
    expect(noDelivery.status).toBe(400);
    expect(await noDelivery.json()).toMatchObject({ field: "X-GitHub-Delivery" });
  });

  it("stores workflow_run for deployment tracking without affecting metrics", async () => {
    const wr = readFileSync(`${FIXTURES}/github-webhooks/workflow_run.completed.payload.json`);
    const res = await send(wr, { "x-hub-signature-256": ghSign(wr), "x-github-event": "workflow_run", "x-github-delivery": "wr-1" });
    expect(res.status).toBe(202);
    expect(await processInboundEvent(getDb(), (await res.json()).id)).toBe("ignored");
  });
});

describe("PagerDuty webhooks", () => {
  const send = (body: Buffer | string, signature?: string) =>
    pagerdutyPOST(post("/api/webhooks/pagerduty", body, signature ? { "x-pagerduty-signature": signature } : {}));

  it("matches go-pagerduty's known-answer vector and accepts any of several signatures", () => {
    expect(pdSign(PD_BODY)).toBe(PD_EXPECTED);
    expect(verifyPagerDutySignature(PD_BODY, PD_EXPECTED, [PD_SECRET])).toBe(true);
    expect(verifyPagerDutySignature(PD_BODY, `v1=${"0".repeat(64)}, ${PD_EXPECTED}`, [PD_SECRET])).toBe(true);
    expect(verifyPagerDutySignature(PD_BODY, `v1=${"0".repeat(64)}`, [PD_SECRET])).toBe(false);
    expect(verifyPagerDutySignature(Buffer.concat([PD_BODY, Buffer.from("\n")]), PD_EXPECTED, [PD_SECRET])).toBe(false);
    expect(verifyPagerDutySignature(PD_BODY, null, [PD_SECRET])).toBe(false);
  });

  it("stores the signed fixture, answers duplicates with 2xx, and 401 only for a bad signature", async () => {
    const first = await send(PD_BODY, PD_EXPECTED);
    expect(first.status).toBe(202);
    const dup = await send(PD_BODY, PD_EXPECTED);
    expect(dup.status).toBe(200);
    expect(await dup.json()).toMatchObject({ duplicate: true });
    expect((await send(PD_BODY, pdSign(PD_BODY, "rotated-away"))).status).toBe(401);
    expect((await send(PD_BODY)).status).toBe(401);
    // priority_updated changes no state but records the incident with its severity (webhooks-http.test.ts).
    expect(await processInboundEvent(getDb(), (await first.json()).id)).toBe("processed");
  });

  it("turns incident.triggered and incident.resolved into one incident with its restore time", async () => {
    await makeService(undefined, "api-service");
    const base = JSON.parse(PD_BODY.toString());
    const variant = (id: string, type: string, at: string) => {
      const v = structuredClone(base);
      v.event.id = id;
      v.event.event_type = type;
      v.event.occurred_at = at;
      // Another incident than the fixture's (recorded above, detected in 2021 by its priority change).
      v.event.data.id = "PGR0VU3";
      v.event.data.created_at = "2026-03-01T10:00:00Z";
      return JSON.stringify(v);
    };
    // Resolution first (out of order), then the trigger.
    const resolved = variant("ev-resolved", "incident.resolved", "2026-03-01T10:45:00Z");
    const triggered = variant("ev-triggered", "incident.triggered", "2026-03-01T10:00:00Z");
    for (const body of [resolved, triggered]) {
      const res = await send(body, pdSign(body));
      expect(await processInboundEvent(getDb(), (await res.json()).id)).toBe("processed");
    }
    const incident = await getDb().incident.findFirstOrThrow({ where: { source: "pagerduty", externalId: "PGR0VU3" } });
    expect(incident.detectedAt.toISOString()).toBe("2026-03-01T10:00:00.000Z");
    expect(incident.resolvedAt?.toISOString()).toBe("2026-03-01T10:45:00.000Z");
    expect(incident.title).toBe("A little bump in the road");
    expect(incident.serviceId).not.toBeNull();
  });

  it("refuses a body without event.id, naming it", async () => {
    const body = JSON.stringify({ event: { event_type: "incident.triggered" } });
    const res = await send(body, pdSign(body));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ field: "event.id" });
  });
});
