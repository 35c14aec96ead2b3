// Argo CD Notifications through the route module (real Postgres + Redis). The bodies are what Argo CD would send:
// Pier's documented templates (deploy/integrations/argocd-notifications-cm.yaml) rendered against a real Application
// (fixtures/argocd/application.yaml) the way Go's text/template prints field paths — a missing key prints
// "<no value>". Covers the shared secret (good, bad, missing, rotated), duplicates (Argo CD retries the same body),
// a bad body refused naming the field, and each trigger → its canonical row.
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { SHARED_FIXTURES } from "../../test/support/shared-fixtures";
import { parse } from "yaml";
import { POST as argocdPOST } from "@/app/api/webhooks/argocd/route";
import { systemActor } from "../audit/audit-log";
import { getDb } from "../db";
import { ensureEnvironments, makeService } from "../../test/support/dora-fixtures";
import { deploymentsBehind } from "../dora/drilldown";
import { healthDegradedSignals } from "../dora/delivery-activity";
import { processInboundEvent } from "./ingest-worker";
import { createWebhookSecret, deleteWebhookSecret } from "./webhook-secrets";

const ROOT = path.join(__dirname, "..", "..");
const APPLICATION = parse(readFileSync(path.join(SHARED_FIXTURES, "argocd", "application.yaml"), "utf8")) as Record<string, unknown>;
const CONFIG = parse(readFileSync(path.join(ROOT, "deploy", "integrations", "argocd-notifications-cm.yaml"), "utf8")) as { data: Record<string, string> };
const SECRET = "argocd-shared-secret-for-tests";

/** The body Argo CD renders from template.<name> for `app` (only {{.a.b.c}} field paths, as Pier's templates use). */
function render(template: string, app: Record<string, unknown>, context: Record<string, string> = {}): string {
  const body = (parse(CONFIG.data[`template.${template}`]) as { webhook: { pier: { body: string } } }).webhook.pier.body;
  const root: Record<string, unknown> = { app, context };
  const out = body.replace(/\{\{\s*\.([\w.]+)\s*\}\}/g, (_, p: string) => {
    const value = p.split(".").reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), root);
    return value === undefined || value === null ? "<no value>" : String(value);
  });
  expect(out).not.toContain("{{");
  return out;
}

const withStatus = (patch: (status: Record<string, unknown>) => void) => {
  const app = structuredClone(APPLICATION);
  patch(app.status as Record<string, unknown>);
  return app;
};

const send = (body: string, authorization?: string) =>
  argocdPOST(
    new Request("http://pier.test/api/webhooks/argocd", {
      method: "POST",
      body,
      headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
    }),
  );

async function deliver(body: string) {
  const res = await send(body, `Bearer ${SECRET}`);
  expect(res.status).toBe(202);
  return processInboundEvent(getDb(), (await res.json()).id);
}

beforeAll(async () => {
  await ensureEnvironments();
  await createWebhookSecret(getDb(), systemActor("test"), { kind: "argocd_webhook", name: "Argo CD", secret: SECRET });
  const svc = await makeService(undefined, "velero");
  await getDb().service.update({ where: { id: svc.id }, data: { annotations: { "argocd/app-name": "velero-test" } } });
});

describe("Argo CD webhook authentication", () => {
  const body = render("pier-sync-succeeded", APPLICATION, { environmentName: "staging" });

  it("refuses a wrong or missing bearer secret with 401 naming Authorization", async () => {
    const wrong = await send(body, "Bearer some-other-secret-value");
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ field: "Authorization" });
    expect((await send(body)).status).toBe(401);
    expect((await send(body, SECRET)).status).toBe(401); // not "Bearer <secret>"
  });

  it("accepts a rotated-in secret alongside the old one, and not after it is deleted", async () => {
    const next = await createWebhookSecret(getDb(), systemActor("test"), { kind: "argocd_webhook", name: "Argo CD (new)", secret: "argocd-rotated-secret-01" });
    expect((await send(body, "Bearer argocd-rotated-secret-01")).status).toBe(202);
    await deleteWebhookSecret(getDb(), systemActor("test"), next.id);
    expect((await send(render("pier-deployed", APPLICATION), "Bearer argocd-rotated-secret-01")).status).toBe(401);
  });
});

describe("Argo CD deliveries", () => {
  it("a retried notification (the same rendered body) is a duplicate", async () => {
    const body = render("pier-deployed", APPLICATION, { environmentName: "prod" });
    expect((await send(body, `Bearer ${SECRET}`)).status).toBe(202);
    const again = await send(body, `Bearer ${SECRET}`);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ duplicate: true });
  });

  it("refuses a body without the Application's name, or with an unknown event, with 400 naming the field", async () => {
    const noApp = render("pier-deployed", APPLICATION).replace('"app": "velero-test"', '"app": "<no value>"');
    const res = await send(noApp, `Bearer ${SECRET}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ field: "app" });
    const unknown = await send(render("pier-deployed", APPLICATION).replace('"on-deployed"', '"on-created"'), `Bearer ${SECRET}`);
    expect(await unknown.json()).toMatchObject({ field: "event" });
    // A message with an unescaped quote (Go templates do not escape) is not JSON: 400, not 500.
    expect((await send('{"event": "on-deployed", "app": "a"b"}', `Bearer ${SECRET}`)).status).toBe(400);
  });
});

describe("Argo CD triggers → canonical rows", () => {
  it("on-sync-succeeded and on-deployed of one sync → one deployment of the synced revision on the annotated service", async () => {
    // No context.environmentName: the destination cluster is no Pier environment, nor is the namespace; kept as sent.
    expect(await deliver(render("pier-sync-succeeded", APPLICATION))).toBe("processed");
    expect(await deliver(render("pier-deployed", APPLICATION, { unrelated: "x" }))).toBe("processed");
    const rows = await getDb().deployment.findMany({
      where: { source: "argocd", externalId: { startsWith: "argo-cd/velero-test@" }, environmentName: { not: "prod" } },
    });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      serviceName: "velero",
      environmentName: "gke-alpha-01-europe-west1",
      environmentId: null,
      version: "ea8759964626a583667a2bfd08f334ec2070040a",
      status: "succeeded",
      deployedAt: new Date("2024-03-05T07:33:04Z"),
    });
    expect(rows[0].serviceId).not.toBeNull();
  });

  it("on-sync-failed → a failed deployment in the environment named by the Argo CD context", async () => {
    const failed = withStatus((s) => {
      (s.operationState as Record<string, unknown>).phase = "Failed";
      (s.operationState as Record<string, unknown>).startedAt = "2024-03-06T10:00:00Z";
      (s.operationState as Record<string, unknown>).finishedAt = "2024-03-06T10:01:00Z";
    });
    expect(await deliver(render("pier-sync-failed", failed, { environmentName: "staging" }))).toBe("processed");
    const d = await getDb().deployment.findFirstOrThrow({ where: { source: "argocd", status: "failed" } });
    expect(d).toMatchObject({ environmentName: "staging", serviceName: "velero", deployedAt: new Date("2024-03-06T10:01:00Z") });
    expect(d.environmentId).not.toBeNull();
  });

  it("on-health-degraded → a health_degraded environment change (a failure signal), once per revision", async () => {
    const degraded = withStatus((s) => ((s.health as Record<string, unknown>).status = "Degraded"));
    const body = render("pier-health-degraded", degraded, { environmentName: "prod" });
    expect(body).toContain('"at": "<no value>"'); // this Application predates health.lastTransitionTime
    expect(await deliver(body)).toBe("processed");
    const change = await getDb().environmentChange.findFirstOrThrow({ where: { source: "argocd" } });
    expect(change).toMatchObject({ kind: "health_degraded", status: "Degraded", environmentName: "prod", serviceName: "velero", revision: "rev1" });
    expect(change.environmentId).not.toBeNull();
  });
});

describe("Argo CD health degraded after a sync → change failure", () => {
  // One consistent Application: synced to the fixture's revision, then Degraded, later Healthy again.
  const synced = (patch: (s: Record<string, unknown>) => void) =>
    withStatus((s) => {
      const op = s.operationState as Record<string, unknown>;
      op.startedAt = "2024-03-07T09:00:00Z";
      op.finishedAt = "2024-03-07T09:02:00Z";
      (s.sync as Record<string, unknown>).revision = "ea8759964626a583667a2bfd08f334ec2070040a";
      patch(s);
    });

  it("marks the synced deployment failed for DORA (an incident blames it) and restores it when Argo CD reports it deployed again", async () => {
    const db = getDb();
    expect(
      await deliver(
        render(
          "pier-deployed",
          synced(() => {}),
          { environmentName: "prod" },
        ),
      ),
    ).toBe("processed");
    const deployment = await db.deployment.findFirstOrThrow({
      where: { source: "argocd", environmentName: "prod", deployedAt: new Date("2024-03-07T09:02:00Z") },
    });
    expect(deployment).toMatchObject({ status: "succeeded", hasIncident: false });

    const degraded = synced((s) => Object.assign(s.health as Record<string, unknown>, { status: "Degraded", lastTransitionTime: "2024-03-07T09:10:00Z" }));
    expect(await deliver(render("pier-health-degraded", degraded, { environmentName: "prod" }))).toBe("processed");
    const incident = await db.incident.findFirstOrThrow({ where: { source: "argocd", detectedAt: new Date("2024-03-07T09:10:00Z") } });
    expect(incident).toMatchObject({ deploymentId: deployment.id, linkReason: "version", resolvedAt: null, serviceName: "velero" });
    expect(await db.deployment.findUniqueOrThrow({ where: { id: deployment.id } })).toMatchObject({ hasIncident: true });
    // DORA's change failure rate (server/dora, unchanged) now counts it.
    const failures = await deploymentsBehind(db, { from: new Date("2024-03-07T00:00:00Z"), to: new Date("2024-03-08T00:00:00Z"), onlyFailures: true });
    expect(failures.rows.map((r) => r.id)).toContain(deployment.id);
    // And rollout verification can read the signal for that service and environment.
    const signals = await healthDegradedSignals(db.kysely, {
      serviceId: deployment.serviceId!,
      environmentId: deployment.environmentId!,
      since: deployment.deployedAt,
    });
    // Oldest first: this sync's signal, then the earlier test's (its Application sent no transition time: received now).
    expect(signals[0]).toMatchObject({
      status: "Degraded",
      revision: "ea8759964626a583667a2bfd08f334ec2070040a",
      occurredAt: new Date("2024-03-07T09:10:00Z"),
    });

    // Healthy again: Argo CD's on-deployed for the next sync restores the incident (time to restore = 25 minutes).
    const healthy = withStatus((s) => {
      const op = s.operationState as Record<string, unknown>;
      op.startedAt = "2024-03-07T09:33:00Z";
      op.finishedAt = "2024-03-07T09:35:00Z";
      (op.syncResult as Record<string, unknown>).revision = "0d1b2c3d4e5f60718293a4b5c6d7e8f901234567";
    });
    expect(await deliver(render("pier-deployed", healthy, { environmentName: "prod" }))).toBe("processed");
    expect(await db.incident.findUniqueOrThrow({ where: { id: incident.id } })).toMatchObject({ resolvedAt: new Date("2024-03-07T09:35:00Z") });
  });
});
