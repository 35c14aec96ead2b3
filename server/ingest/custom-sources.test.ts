// Custom sources end to end (real Postgres + Redis): a JSONata mapping from a real delivery (GitLab's deployment hook,
// fixtures/gitlab/deployment.json, standing in for any tool's JSON) to a CDEvents service.deployed; the live preview;
// schema-invalid output refused naming the field (in the preview and at intake, where it is recorded for the
// data-quality page); bearer, HMAC (algorithm + encoding + prefix) and basic authentication; de-duplication;
// versioned, audited mappings whose new version applies to new events only; admin-only procedures.
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { SHARED_FIXTURES } from "../../test/support/shared-fixtures";
import { POST as customPOST } from "@/app/api/webhooks/custom/[slug]/route";
import { getDb } from "../db";
import { ensureEnvironments, makeService } from "../../test/support/dora-fixtures";
import { callerFor, callerWithRole } from "../../test/support/factories";
import { processInboundEvent } from "./ingest-worker";

const DEPLOYMENT = readFileSync(path.join(SHARED_FIXTURES, "gitlab", "deployment.json"), "utf8");
const TOKEN = "custom-source-bearer-token-1";

/** JSONata: GitLab's deployment hook → a CDEvents v0.5 service.deployed (environment from `env`). */
const mapping = (env = "environment") => `{
  "context": {
    "specversion": "0.5.1",
    "id": "gitlab-deployment-" & $string(deployment_id) & "-" & status,
    "source": project.web_url,
    "type": "dev.cdevents.service.deployed.0.3.0",
    "timestamp": $replace(status_changed_at, /^(\\S+) (\\S+) ([+-]\\d{2})(\\d{2})$/, "$1T$2$3:$4")
  },
  "subject": {
    "id": "service/" & project.name,
    "source": project.web_url,
    "content": { "environment": { "id": ${env} }, "artifactId": "pkg:generic/" & project.name & "@" & short_sha }
  }
}`;

const post = (slug: string, body: string, headers: Record<string, string>) =>
  customPOST(
    new Request(`http://pier.test/api/webhooks/custom/${slug}`, { method: "POST", body, headers: { "content-type": "application/json", ...headers } }),
    {
      params: Promise.resolve({ slug }),
    },
  );
const bearer = (body: string, token = TOKEN) => post("deploy-bot", body, { authorization: `Bearer ${token}` });
const withId = (id: number) => JSON.stringify({ ...JSON.parse(DEPLOYMENT), deployment_id: id });

let admin: Awaited<ReturnType<typeof callerWithRole>>["caller"];
let sourceId = "";

beforeAll(async () => {
  await ensureEnvironments();
  await makeService(undefined, "test-deployment-webhooks");
  admin = (await callerWithRole("admin")).caller;
  sourceId = (await admin.events.createCustomSource({ slug: "deploy-bot", name: "Deploy bot", authType: "bearer", secret: TOKEN, expression: mapping() })).id;
});

describe("custom source administration", () => {
  it("is for admins only", async () => {
    await expect((await callerFor(null)).events.customSources()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    const { caller } = await callerWithRole("developer");
    await expect(caller.events.customSources()).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(caller.events.previewCustomMapping({ expression: "$", sample: "{}" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(caller.events.publishCustomMapping({ sourceId, expression: "$" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(caller.events.deleteCustomSource({ id: sourceId })).rejects.toMatchObject({ code: "FORBIDDEN" });
  });

  it("previews a mapping on a pasted sample, and names the field when the output is not a valid CDEvent", async () => {
    const ok = await admin.events.previewCustomMapping({ expression: mapping(), sample: DEPLOYMENT });
    expect(ok).toMatchObject({ ok: true, events: [{ subject: { id: "service/test-deployment-webhooks", content: { environment: { id: "staging" } } } }] });
    const invalid = await admin.events.previewCustomMapping({ expression: mapping("nothing_here"), sample: DEPLOYMENT });
    expect(invalid).toMatchObject({ ok: false, field: "subject.content.environment.id" });
    expect(await admin.events.previewCustomMapping({ expression: "nothing_here", sample: DEPLOYMENT })).toMatchObject({ ok: false, field: "expression" });
    expect(await admin.events.previewCustomMapping({ expression: '$error("no release in this event")', sample: DEPLOYMENT })).toMatchObject({
      ok: false,
      field: "expression",
      reason: expect.stringContaining("no release in this event"),
    });
    await expect(admin.events.previewCustomMapping({ expression: "{ 'a': ", sample: DEPLOYMENT })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(admin.events.previewCustomMapping({ expression: "$", sample: "{not json" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("refuses a source it could not serve, naming the field", async () => {
    const base = { name: "Bad", secret: TOKEN, expression: mapping() };
    await expect(admin.events.createCustomSource({ ...base, slug: "Not A Slug", authType: "bearer" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(admin.events.createCustomSource({ ...base, slug: "hmac-no-header", authType: "hmac", settings: {} })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("header"),
    });
    await expect(admin.events.createCustomSource({ ...base, slug: "deploy-bot", authType: "bearer" })).rejects.toMatchObject({ code: "CONFLICT" });
  });
});

describe("POST /api/webhooks/custom/<slug>", () => {
  it("bearer: refuses a wrong or missing token; an unknown slug is a 404", async () => {
    expect((await bearer(withId(100), "wrong-token-for-this-source")).status).toBe(401);
    const missing = await post("deploy-bot", withId(100), {});
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ field: "Authorization" });
    expect((await post("no-such-source", withId(100), { authorization: `Bearer ${TOKEN}` })).status).toBe(404);
  });

  it("maps, stores once by the CDEvent id, and the worker records the deployment", async () => {
    const res = await bearer(withId(101));
    expect(res.status).toBe(202);
    expect(res.headers.get("x-pier-mapping-version")).toBe("1");
    const { id } = await res.json();
    expect((await bearer(withId(101))).status).toBe(200);
    expect(await processInboundEvent(getDb(), id)).toBe("processed");
    const d = await getDb().deployment.findFirstOrThrow({ where: { source: "cdevents", externalId: "gitlab-deployment-101-success" } });
    expect(d).toMatchObject({ serviceName: "test-deployment-webhooks", environmentName: "staging", version: "279484c0" });
    expect(d.serviceId).not.toBeNull();
  });

  it("refuses output that is not a valid CDEvent with 400 naming the field, recorded for the data-quality page", async () => {
    const body = JSON.stringify({ ...JSON.parse(DEPLOYMENT), deployment_id: 102, status_changed_at: "whenever" });
    const res = await bearer(body);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ field: "context.timestamp" });
    const rejected = await getDb().rejectedEvent.findFirstOrThrow({ where: { source: "custom:deploy-bot", reason: { startsWith: "mapping_failed" } } });
    expect(rejected).toMatchObject({ field: "context.timestamp" });
  });

  it("a new mapping version applies to events received from then on; earlier ones keep theirs; both are audited", async () => {
    const before = await bearer(withId(103));
    const beforeId = (await before.json()).id;
    const published = await admin.events.publishCustomMapping({ sourceId, expression: mapping('"production"') });
    expect(published.version).toBe(2);
    const after = await bearer(withId(104));
    expect(after.headers.get("x-pier-mapping-version")).toBe("2");
    // The earlier event, processed only now, is still the version-1 mapping's output.
    expect(await processInboundEvent(getDb(), beforeId)).toBe("processed");
    expect(await processInboundEvent(getDb(), (await after.json()).id)).toBe("processed");
    const env = async (n: number) =>
      (await getDb().deployment.findFirstOrThrow({ where: { source: "cdevents", externalId: `gitlab-deployment-${n}-success` } })).environmentName;
    expect(await env(103)).toBe("staging");
    // "production" is the catalog's prod environment.
    expect(await env(104)).toBe("prod");
    const listed = (await admin.events.customSources()).find((s) => s.id === sourceId)!;
    expect(listed).toMatchObject({ currentVersion: 2, authType: "bearer" });
    expect(listed.versions.map((v) => v.version)).toEqual([2, 1]);
    expect(JSON.stringify(listed)).not.toContain(TOKEN);
    const audit = await getDb().auditEvent.findMany({ where: { subjectId: sourceId }, orderBy: { createdAt: "asc" } });
    expect(audit.map((a) => a.action)).toEqual(["custom_source.created", "custom_source.mapping_published"]);
  });

  it("HMAC (sha512, base64, with a prefix) and basic authentication", async () => {
    const secret = "hmac-key-for-the-custom-source";
    await admin.events.createCustomSource({
      slug: "signed-bot",
      name: "Signed bot",
      authType: "hmac",
      settings: { header: "X-Signature", algorithm: "sha512", encoding: "base64", prefix: "v1=" },
      secret,
      expression: mapping(),
    });
    const body = withId(105);
    const sig = `v1=${createHmac("sha512", secret).update(body).digest("base64")}`;
    expect((await post("signed-bot", body, { "x-signature": sig })).status).toBe(202);
    const bad = await post("signed-bot", withId(106), { "x-signature": sig });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ field: "X-Signature" });
    await admin.events.createCustomSource({
      slug: "basic-bot",
      name: "Basic bot",
      authType: "basic",
      settings: { username: "ci" },
      secret,
      expression: mapping(),
    });
    const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;
    expect((await post("basic-bot", withId(107), { authorization: basic("ci", secret) })).status).toBe(202);
    expect((await post("basic-bot", withId(108), { authorization: basic("ci", "wrong-password-value") })).status).toBe(401);
    expect((await post("basic-bot", withId(108), { authorization: basic("other", secret) })).status).toBe(401);
  });

  it("a deleted source's endpoint answers 404; the deletion is audited", async () => {
    const { id } = await admin.events.createCustomSource({
      slug: "short-lived",
      name: "Short-lived",
      authType: "bearer",
      secret: TOKEN,
      expression: mapping(),
    });
    expect((await post("short-lived", withId(120), { authorization: `Bearer ${TOKEN}` })).status).toBe(202);
    await admin.events.deleteCustomSource({ id });
    expect((await post("short-lived", withId(121), { authorization: `Bearer ${TOKEN}` })).status).toBe(404);
    await expect(admin.events.deleteCustomSource({ id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await getDb().auditEvent.count({ where: { subjectId: id, action: "custom_source.deleted" } })).toBe(1);
  });
});
