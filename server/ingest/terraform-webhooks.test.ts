// HCP Terraform notifications through the route module (real Postgres + Redis) with the real payloads in
// fixtures/terraform: the signature (known-answer vector, good, bad, missing, rotated), the verification message,
// duplicate deliveries, a bad payload refused naming the field, and run notifications → infrastructure changes on the
// environment's timeline (the workspace mapped by the terraform/workspace annotation and its name's last segment).
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { SHARED_FIXTURES } from "../../test/support/shared-fixtures";
import { POST as terraformPOST } from "@/app/api/webhooks/terraform/route";
import { systemActor } from "../audit/audit-log";
import { getDb } from "../db";
import { ensureEnvironments, makeService } from "../../test/support/dora-fixtures";
import { processInboundEvent } from "./ingest-worker";
import { verifyTerraformSignature } from "./terraform-webhooks";
import { createWebhookSecret, deleteWebhookSecret } from "./webhook-secrets";

const FIXTURES = path.join(SHARED_FIXTURES, "terraform");
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name));
const TOKEN = "tfc-notification-token-for-tests";
const sign = (body: Buffer | string, token = TOKEN) => createHmac("sha512", token).update(body).digest("hex");

const send = (body: Buffer | string, signature?: string) =>
  terraformPOST(
    new Request("http://pier.test/api/webhooks/terraform", {
      method: "POST",
      body: typeof body === "string" ? body : new Uint8Array(body),
      headers: { "content-type": "application/json", ...(signature ? { "x-tfe-notification-signature": signature } : {}) },
    }),
  );

beforeAll(async () => {
  const envs = await ensureEnvironments();
  expect(envs.dev).toBeTruthy();
  await createWebhookSecret(getDb(), systemActor("test"), { kind: "terraform_webhook", name: "HCP Terraform", secret: TOKEN });
  const svc = await makeService(undefined, "tfbuddy");
  await getDb().service.update({ where: { id: svc.id }, data: { annotations: { "terraform/workspace": "zapier/service-tfbuddy-dev" } } });
});

describe("X-TFE-Notification-Signature", () => {
  it("matches the vendor's known-answer vector (HMAC-SHA512, lowercase hex)", () => {
    const ka = JSON.parse(fixture("signature-known-answer.ontrack.json").toString("utf8")) as { token: string; body: string; signature: string };
    expect(verifyTerraformSignature(Buffer.from(ka.body), ka.signature, [ka.token])).toBe(true);
    expect(verifyTerraformSignature(Buffer.from(ka.body), ka.signature, ["wrong-token"])).toBe(false);
    expect(verifyTerraformSignature(Buffer.from(ka.body + " "), ka.signature, [ka.token])).toBe(false);
  });

  it("refuses a bad or missing signature with 401 naming the header; a rotated-in token works alongside the old", async () => {
    const body = fixture("run-created.tfbuddy.json");
    const bad = await send(body, sign(body, "another-token-entirely"));
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ field: "X-TFE-Notification-Signature" });
    const missing = await send(body);
    expect(missing.status).toBe(401);
    const next = await createWebhookSecret(getDb(), systemActor("test"), {
      kind: "terraform_webhook",
      name: "HCP Terraform (new)",
      secret: "tfc-rotated-token-0123456",
    });
    expect((await send(body, sign(body, "tfc-rotated-token-0123456"))).status).toBe(202);
    await deleteWebhookSecret(getDb(), systemActor("test"), next.id);
    expect((await send(body, sign(body, "tfc-rotated-token-0123456"))).status).toBe(401);
  });
});

describe("Terraform deliveries", () => {
  it("answers the verification message 200 without storing it (HCP Terraform needs a 2xx to enable the configuration)", async () => {
    // The docs' sample has a trailing comma (kept verbatim in the fixture); real deliveries are JSON: drop it.
    const verbatim = fixture("verification.send-a-test.INVALID-JSON.txt");
    const refused = await send(verbatim, sign(verbatim));
    expect(refused.status).toBe(400);
    const body = verbatim.toString("utf8").replace(/,(\s*})/, "$1");
    const res = await send(body, sign(body));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ verified: true });
    expect(await getDb().inboundEvent.count({ where: { source: "terraform", type: "verification" } })).toBe(0);
  });

  it("stores a run notification once: a retry of the same notification is a duplicate", async () => {
    const body = fixture("run-notification.run-errored.json");
    const first = await send(body, sign(body));
    expect(first.status).toBe(202);
    const again = await send(body, sign(body));
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ duplicate: true });
    const { id } = await first.json();
    expect(await processInboundEvent(getDb(), id)).toBe("processed");
    const change = await getDb().environmentChange.findFirstOrThrow({ where: { source: "terraform", externalId: { startsWith: "run-FwnENkvDnrpyFC7M:" } } });
    // "my-workspace" names no environment or service: kept as sent for the data-quality page.
    expect(change).toMatchObject({
      kind: "infrastructure",
      status: "canceled",
      environmentName: "my-workspace",
      environmentId: null,
      serviceId: null,
      summary: "Run Canceled: Add five new queue workers",
      occurredAt: new Date("2019-01-25T18:37:04Z"),
    });
  });

  it("a run notification → an infrastructure change on the workspace's environment and annotated service", async () => {
    const body = fixture("run-created.tfbuddy.json");
    const res = await send(body, sign(body));
    const { id } = await res.json();
    expect(await processInboundEvent(getDb(), id)).toBe("processed");
    const change = await getDb().environmentChange.findFirstOrThrow({
      where: { source: "terraform", externalId: { startsWith: "run-Vy7sSoyhizTafW8f:run:created" } },
    });
    expect(change).toMatchObject({
      kind: "infrastructure",
      status: "pending",
      environmentName: "dev",
      serviceName: "tfbuddy",
      url: "https://app.terraform.io/app/zapier/service-tfbuddy-dev/runs/run-Vy7sSoyhizTafW8f",
      occurredAt: new Date("2022-01-23T21:22:00Z"),
    });
    expect(change.environmentId).not.toBeNull();
    expect(change.serviceId).not.toBeNull();
  });

  it("a completed (applied) run is also a deployment of the workspace's component when its service says so", async () => {
    const completed = JSON.parse(fixture("run-created.tfbuddy.json").toString("utf8"));
    Object.assign(completed.notifications[0], {
      message: "Applied",
      trigger: "run:completed",
      run_status: "applied",
      run_updated_at: "2022-01-23T21:30:00.000Z",
    });
    const body = JSON.stringify(completed);
    const first = await send(body, sign(body));
    expect(await processInboundEvent(getDb(), (await first.json()).id)).toBe("processed");
    // Not flagged yet: an infrastructure change only.
    expect(await getDb().deployment.count({ where: { source: "terraform" } })).toBe(0);
    await getDb().service.update({
      where: { slug: "tfbuddy" },
      data: { annotations: { "terraform/workspace": "zapier/service-tfbuddy-dev", "pier.dev/terraform-runs-are-deployments": "true" } },
    });
    completed.notifications[0].run_updated_at = "2022-01-23T21:31:00.000Z"; // the same run, notified again
    const again = JSON.stringify(completed);
    const second = await send(again, sign(again));
    expect(await processInboundEvent(getDb(), (await second.json()).id)).toBe("processed");
    const d = await getDb().deployment.findFirstOrThrow({ where: { source: "terraform" } });
    expect(d).toMatchObject({
      externalId: "run-Vy7sSoyhizTafW8f",
      serviceName: "tfbuddy",
      environmentName: "dev",
      status: "succeeded",
      deployedAt: new Date("2022-01-23T21:31:00Z"),
    });
    expect(d.serviceId).not.toBeNull();
  });

  it('stores an assessment (payload_version "2") without translating it', async () => {
    const body = fixture("assessment-drifted.v2.json");
    const res = await send(body, sign(body));
    expect(res.status).toBe(202);
    const { id } = await res.json();
    expect(await processInboundEvent(getDb(), id)).toBe("ignored");
  });

  it("refuses a run notification missing what Pier needs with 400 naming the field", async () => {
    const payload = JSON.parse(fixture("run-created.tfbuddy.json").toString("utf8"));
    delete payload.notifications[0].run_updated_at;
    const body = JSON.stringify(payload);
    const res = await send(body, sign(body));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ field: "notifications[0].run_updated_at" });
  });
});
