// Feature-flag webhooks (Unleash, LaunchDarkly, Flagsmith) through their route modules (real Postgres + Redis) with
// the vendors' real payloads (test/fixtures/feature-flags, SOURCES.md): each sender check (good, bad, missing,
// rotated), duplicate deliveries, a payload missing what Pier needs refused naming the field, each kind of delivery →
// the expected flag-change rows (or ignored), an unknown project → the data-quality page, and flag changes offered
// as suspects for an incident on the same service (and on its timeline).
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { POST as flagsmithPOST } from "@/app/api/webhooks/flagsmith/route";
import { POST as launchdarklyPOST } from "@/app/api/webhooks/launchdarkly/route";
import { POST as unleashPOST } from "@/app/api/webhooks/unleash/route";
import { systemActor } from "../audit/audit-log";
import { getDb } from "../db";
import { dataQualityReport } from "../dora/data-quality";
import { serviceTimeline } from "../dora/incidents";
import { callerFor, callerWithRole } from "../../test/support/factories";
import { ensureEnvironments, makeService } from "../../test/support/dora-fixtures";
import { processInboundEvent } from "./ingest-worker";
import { createWebhookSecret, deleteWebhookSecret } from "./webhook-secrets";

const FIXTURES = path.join(__dirname, "../../test/fixtures/feature-flags");
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name));
const SECRET = { unleash: "unleash-addon-secret-0123456789", launchdarkly: "ld-webhook-secret-0123456789", flagsmith: "flagsmith-secret-0123456789" };
const hmac = (body: Buffer | string, secret: string) => createHmac("sha256", secret).update(body).digest("hex");

type Post = (req: Request) => Promise<Response>;
const post = (handler: Post, tool: string, body: Buffer | string, headers: Record<string, string> = {}) =>
  handler(
    new Request(`http://pier.test/api/webhooks/${tool}`, {
      method: "POST",
      body: typeof body === "string" ? body : new Uint8Array(body),
      headers: { "content-type": "application/json", ...headers },
    }),
  );
const unleash = (body: Buffer | string, auth: string | null = `Bearer ${SECRET.unleash}`) =>
  post(unleashPOST, "unleash", body, auth ? { authorization: auth } : {});
const launchdarkly = (body: Buffer | string, secret: string | null = SECRET.launchdarkly) =>
  post(launchdarklyPOST, "launchdarkly", body, secret ? { "x-ld-signature": hmac(body, secret) } : {});
const flagsmith = (body: Buffer | string, secret: string | null = SECRET.flagsmith) =>
  post(flagsmithPOST, "flagsmith", body, secret ? { "x-flagsmith-signature": hmac(body, secret) } : {});

/** Delivers, processes in the worker, and returns the worker's verdict. */
async function deliverAndProcess(res: Promise<Response>) {
  const answer = await res;
  expect(answer.status).toBe(202);
  return processInboundEvent(getDb(), ((await answer.json()) as { id: string }).id);
}

let checkout: { id: string };
let website: { id: string };
let flags: { id: string };

beforeAll(async () => {
  await ensureEnvironments();
  const db = getDb();
  for (const kind of ["unleash", "launchdarkly", "flagsmith"] as const)
    await createWebhookSecret(db, systemActor("test"), { kind: `${kind}_webhook`, name: `${kind} (test)`, secret: SECRET[kind] });
  checkout = await makeService(undefined, "ld-checkout");
  await db.service.update({ where: { id: checkout.id }, data: { annotations: { "launchdarkly/project-key": "default" } } });
  website = await makeService(undefined, "flagsmith-website");
  await db.service.update({ where: { id: website.id }, data: { annotations: { "flagsmith/project": "Flagsmith Website" } } });
  flags = await makeService(undefined, "unleash-test-project");
  await db.service.update({ where: { id: flags.id }, data: { annotations: { "unleash/project": "test-project" } } });
});

describe("sender checks", () => {
  it("Unleash: Authorization (Bearer or bare) against the unleash secrets; missing or wrong → 401 naming the header", async () => {
    const body = fixture("unleash/feature-project-change.events-doc.json");
    expect((await unleash(body, null)).status).toBe(401);
    const bad = await unleash(body, "Bearer not-the-secret-at-all");
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ field: "Authorization" });
    expect((await unleash(body, SECRET.unleash)).status).toBe(202);
  });

  it("LaunchDarkly: X-LD-Signature (hex HMAC-SHA256 of the body); missing, wrong or over another body → 401", async () => {
    const body = fixture("launchdarkly/environment-rename.api-docs.json");
    const missing = await launchdarkly(body, null);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ field: "X-LD-Signature" });
    expect((await launchdarkly(body, "some-other-secret-0123456")).status).toBe(401);
    const tampered = await post(launchdarklyPOST, "launchdarkly", Buffer.concat([body, Buffer.from(" ")]), {
      "x-ld-signature": hmac(body, SECRET.launchdarkly),
    });
    expect(tampered.status).toBe(401);
    expect((await launchdarkly(body)).status).toBe(202);
  });

  it("Flagsmith: X-Flagsmith-Signature; a rotated-in secret works alongside the old one, and stops once deleted", async () => {
    const body = fixture("flagsmith/audit-log-created.sample-webhook-data.json");
    const missing = await flagsmith(body, null);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ field: "X-Flagsmith-Signature" });
    expect((await flagsmith(body, "wrong-secret-0123456789")).status).toBe(401);
    const next = await createWebhookSecret(getDb(), systemActor("test"), {
      kind: "flagsmith_webhook",
      name: "Flagsmith (new)",
      secret: "flagsmith-rotated-0123456789",
    });
    expect((await flagsmith(body, "flagsmith-rotated-0123456789")).status).toBe(202);
    expect((await flagsmith(body)).status).toBe(200); // the old secret still works (a duplicate of the same body)
    await deleteWebhookSecret(getDb(), systemActor("test"), next.id);
    expect((await flagsmith(body, "flagsmith-rotated-0123456789")).status).toBe(401);
  });
});

describe("deliveries → flag changes", () => {
  it("LaunchDarkly flag update → a flag change on the project's service; a retry is a duplicate", async () => {
    const body = fixture("launchdarkly/flag-update.sentry-test-hooks.json");
    const first = launchdarkly(body);
    expect(await deliverAndProcess(first)).toBe("processed");
    const again = await launchdarkly(body);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ duplicate: true });
    const row = await getDb().environmentChange.findFirstOrThrow({ where: { source: "launchdarkly" } });
    expect(row).toMatchObject({
      kind: "feature_flag",
      externalId: "1234",
      revision: "test-flag",
      status: "on",
      environmentName: "test",
      serviceId: checkout.id,
      summary: "Michelle updated the flag test flag in Test",
      url: "https://app.launchdarkly.com/default/test/features/test-flag",
      occurredAt: new Date(1729123867537),
    });
  });

  it("LaunchDarkly: an entry that is not about a flag (the docs' environment rename) is stored and ignored", async () => {
    const row = await getDb().inboundEvent.findFirstOrThrow({ where: { source: "launchdarkly", type: "environment.updateName" } });
    expect(await processInboundEvent(getDb(), row.id)).toBe("ignored");
  });

  it("Flagsmith FLAG_UPDATED (enabled false → true) → flag turned on; the audit-log webhook is ignored", async () => {
    expect(await deliverAndProcess(flagsmith(fixture("flagsmith/flag-updated.docs.json")))).toBe("processed");
    const row = await getDb().environmentChange.findFirstOrThrow({ where: { source: "flagsmith" } });
    expect(row).toMatchObject({
      kind: "feature_flag",
      revision: "butter_bar",
      status: "on",
      environmentName: "dev", // "Development" is the catalog's dev
      serviceId: website.id,
      summary: "Ben Rometsch: butter_bar turned on in Development",
      occurredAt: new Date("2021-06-18T07:50:26.595Z"),
    });
    const audit = await getDb().inboundEvent.findFirstOrThrow({ where: { source: "flagsmith", type: "AUDIT_LOG_CREATED" } });
    expect(await processInboundEvent(getDb(), audit.id)).toBe("ignored");
  });

  it("Unleash feature-project-change / feature-created → flag changes; strategy-created is not a flag change", async () => {
    // Delivered by the sender checks above.
    const moved = await getDb().inboundEvent.findFirstOrThrow({ where: { source: "unleash", type: "feature-project-change" } });
    expect(await processInboundEvent(getDb(), moved.id)).toBe("processed");
    const row = await getDb().environmentChange.findFirstOrThrow({ where: { source: "unleash", externalId: "event:27332" } });
    expect(row).toMatchObject({
      kind: "feature_flag",
      revision: "test-flag",
      status: "updated",
      serviceId: flags.id,
      summary: "user@getunleash.io: Flag moved to a new project (test-flag)",
    });
    // The docs' feature-created example reuses event id 27332: Unleash ids are unique, so it is a duplicate delivery.
    const dup = await unleash(fixture("unleash/feature-created.events-doc.json"));
    expect(dup.status).toBe(200);
    expect(await dup.json()).toMatchObject({ duplicate: true });
    expect(await deliverAndProcess(unleash(fixture("unleash/strategy-created.events-doc.json")))).toBe("ignored");
    expect(await deliverAndProcess(unleash(fixture("unleash/feature-created.webhook-addon-snapshot.json")))).toBe("processed");
    const addon = await getDb().environmentChange.findFirstOrThrow({ where: { source: "unleash", externalId: "event:1" } });
    expect(addon).toMatchObject({
      revision: "some-toggle",
      status: "created",
      serviceName: "default",
      serviceId: null,
      occurredAt: new Date("2024-07-24T00:00:00Z"),
    });
  });

  it("an unknown project is kept as sent and listed on the data-quality page", async () => {
    expect(await deliverAndProcess(unleash(fixture("unleash/feature-strategy-add.events-doc.json")))).toBe("processed");
    const row = await getDb().environmentChange.findFirstOrThrow({ where: { source: "unleash", revision: "new-feature" } });
    expect(row).toMatchObject({
      status: "updated",
      serviceId: null,
      serviceName: "my-other-project",
      summary: "user@getunleash.io: Flag strategy added (new-feature)",
    });
    const report = await dataQualityReport(getDb(), new Date("2020-01-01T00:00:00Z"));
    expect(report.unknownServices).toEqual(expect.arrayContaining([expect.objectContaining({ kind: "flag change", name: "my-other-project" })]));
  });

  it("a delivery missing what Pier needs → 400 naming the field, nothing stored", async () => {
    const before = await getDb().inboundEvent.count();
    const ld = JSON.parse(fixture("launchdarkly/flag-update.sentry-test-hooks.json").toString("utf8"));
    ld.accesses = [];
    const ldBody = JSON.stringify(ld);
    const ldRes = await launchdarkly(ldBody);
    expect(ldRes.status).toBe(400);
    expect(await ldRes.json()).toMatchObject({ field: "accesses" });
    const fs = JSON.parse(fixture("flagsmith/flag-updated.docs.json").toString("utf8"));
    delete fs.data.timestamp;
    const fsRes = await flagsmith(JSON.stringify(fs));
    expect(fsRes.status).toBe(400);
    expect(await fsRes.json()).toMatchObject({ field: "data.timestamp" });
    const un = JSON.parse(fixture("unleash/feature-created.events-doc.json").toString("utf8"));
    delete un.featureName;
    const unRes = await unleash(JSON.stringify(un));
    expect(unRes.status).toBe(400);
    expect(await unRes.json()).toMatchObject({ field: "featureName" });
    expect(await getDb().inboundEvent.count()).toBe(before);
  });
});

describe("flag changes as incident suspects", () => {
  it("dora.incidentFlagSuspects: signed-in users only; flags changed on the service in the hours before the incident", async () => {
    const db = getDb();
    // LaunchDarkly's change above was at 2024-10-17T00:11:07Z on ld-checkout.
    const soon = await db.incident.create({
      data: {
        serviceId: checkout.id,
        serviceName: "ld-checkout",
        title: "Checkout errors",
        detectedAt: new Date("2024-10-17T02:00:00Z"),
        source: "test",
        externalId: "inc-soon",
      },
    });
    const late = await db.incident.create({
      data: {
        serviceId: checkout.id,
        serviceName: "ld-checkout",
        title: "Much later",
        detectedAt: new Date("2024-10-18T12:00:00Z"),
        source: "test",
        externalId: "inc-late",
      },
    });
    await expect((await callerFor(null)).dora.incidentFlagSuspects({ incidentIds: [soon.id] })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    const { caller: viewer } = await callerWithRole("developer");
    const got = await viewer.dora.incidentFlagSuspects({ incidentIds: [soon.id, late.id] });
    expect(got[soon.id]).toEqual([expect.objectContaining({ flagKey: "test-flag", action: "on", source: "launchdarkly" })]);
    expect(got[late.id]).toBeUndefined();
    // A wider window (hours) reaches the later incident too.
    expect((await viewer.dora.incidentFlagSuspects({ incidentIds: [late.id], hours: 48 }))[late.id]).toHaveLength(1);
    await expect(viewer.dora.incidentFlagSuspects({ incidentIds: [late.id], hours: 0 })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("the service timeline shows flag changes next to deployments and incidents", async () => {
    const t = await serviceTimeline(getDb(), checkout.id, new Date("2024-10-01T00:00:00Z"), new Date("2024-11-01T00:00:00Z"));
    expect(t.flagChanges).toEqual([expect.objectContaining({ flagKey: "test-flag", action: "on", environmentName: "test" })]);
    expect(t.incidents.map((i) => i.title)).toEqual(["Checkout errors", "Much later"]);
  });
});
