// Jira issue webhooks through the route module (real Postgres + Redis) with the real payloads in fixtures/jira (a
// Jira Cloud issue_created and the same issue resolved): X-Hub-Signature good/wrong/missing/rotated and ?token=,
// de-duplication by X-Atlassian-Webhook-Identifier, a 400 naming the field, the ticket status a deployment request
// shows, incidents for the configured issue types (priority → severity, resolved, reopened), the project mapped by
// jira/project-key, an unknown project kept for data quality, and events.ticketStatus for signed-in users only.
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SHARED_FIXTURES } from "../../test/support/shared-fixtures";
import { POST as jiraPOST } from "@/app/api/webhooks/jira/route";
import { systemActor } from "../audit/audit-log";
import { getDb } from "../db";
import { resetEnvForTests } from "../env";
import { ensureEnvironments, makeService } from "../../test/support/dora-fixtures";
import { callerFor, callerWithRole } from "../../test/support/factories";
import { processInboundEvent } from "./ingest-worker";
import { jiraTime } from "./jira-webhooks";
import { createWebhookSecret, deleteWebhookSecret } from "./webhook-secrets";

const FIXTURES = path.join(SHARED_FIXTURES, "jira");
const CREATED = readFileSync(path.join(FIXTURES, "webhook.jira-issue_created.cloud.json"), "utf8");
const RESOLVED = readFileSync(path.join(FIXTURES, "webhook.jira-issue_updated.resolved.cloud.json"), "utf8");
const SECRET = "jira-admin-webhook-secret-1";
const NEXT_SECRET = "jira-admin-webhook-secret-2";
const sign = (body: string, secret = SECRET) => `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

const send = (body: string, headers: Record<string, string>, query = "") =>
  jiraPOST(new Request(`http://pier.test/api/webhooks/jira${query}`, { method: "POST", body, headers: { "content-type": "application/json", ...headers } }));
const signed = (body: string, id: string, secret = SECRET) => send(body, { "x-hub-signature": sign(body, secret), "x-atlassian-webhook-identifier": id });

/** The fixture with its issue key/project/type changed (the same real shape). */
function variant(raw: string, change: { key?: string; project?: string; type?: string; timestamp?: number }) {
  const p = JSON.parse(raw);
  if (change.key) p.issue.key = change.key;
  if (change.project) p.issue.fields.project.key = change.project;
  if (change.type) p.issue.fields.issuetype.name = change.type;
  if (change.timestamp) p.timestamp = change.timestamp;
  return JSON.stringify(p);
}

async function deliver(body: string, id: string) {
  const res = await signed(body, id);
  expect(res.status).toBe(202);
  return processInboundEvent(getDb(), (await res.json()).id);
}

const previousTypes = process.env.PIER_JIRA_INCIDENT_ISSUE_TYPES;
beforeAll(async () => {
  // The fixtures' issue is a Story: this organisation files incidents as Incident or Story.
  process.env.PIER_JIRA_INCIDENT_ISSUE_TYPES = "Incident, story";
  resetEnvForTests();
  await ensureEnvironments();
  await createWebhookSecret(getDb(), systemActor("test"), { kind: "jira_webhook", name: "Jira Cloud", secret: SECRET });
  const svc = await makeService(undefined, "test-project-svc");
  await getDb().service.update({ where: { id: svc.id }, data: { annotations: { "jira/project-key": "TES" } } });
});
afterAll(() => {
  if (previousTypes === undefined) delete process.env.PIER_JIRA_INCIDENT_ISSUE_TYPES;
  else process.env.PIER_JIRA_INCIDENT_ISSUE_TYPES = previousTypes;
  resetEnvForTests();
});

describe("Jira webhooks: the sender", () => {
  it("refuses a wrong or missing signature with 401 naming the header, and stores nothing", async () => {
    const wrong = await signed(CREATED, "auth-1", "not-the-jira-secret");
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ field: "X-Hub-Signature" });
    const missing = await send(CREATED, { "x-atlassian-webhook-identifier": "auth-2" });
    expect(missing.status).toBe(401);
    expect(await getDb().inboundEvent.count({ where: { source: "jira", externalId: { in: ["webhook:auth-1", "webhook:auth-2"] } } })).toBe(0);
  });

  it("accepts both secrets during a rotation, then only the new one; Data Center's ?token= too", async () => {
    const next = await createWebhookSecret(getDb(), systemActor("test"), { kind: "jira_webhook", name: "Jira Cloud (new)", secret: NEXT_SECRET });
    expect((await signed(CREATED, "rot-1", NEXT_SECRET)).status).toBe(202);
    expect((await signed(CREATED, "rot-2")).status).toBe(202);
    await deleteWebhookSecret(getDb(), systemActor("test"), next.id);
    expect((await signed(CREATED, "rot-3", NEXT_SECRET)).status).toBe(401);
    expect((await send(CREATED, { "x-atlassian-webhook-identifier": "dc-1" }, `?token=${SECRET}`)).status).toBe(202);
    expect((await send(CREATED, { "x-atlassian-webhook-identifier": "dc-2" }, "?token=wrong-token-value")).status).toBe(401);
  });

  it("de-duplicates on X-Atlassian-Webhook-Identifier and refuses an issue event missing what Pier needs", async () => {
    expect((await signed(CREATED, "dup-1")).status).toBe(202);
    const again = await signed(CREATED, "dup-1");
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ duplicate: true });
    const noKey = JSON.parse(CREATED);
    delete noKey.issue.key;
    const res = await signed(JSON.stringify(noKey), "bad-1");
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ field: "issue.key" });
  });
});

describe("Jira events → tickets and incidents", () => {
  it("created → the ticket's status and an incident (High → high) on the service annotated jira/project-key; resolved → resolved", async () => {
    expect(await deliver(CREATED, "life-1")).toBe("processed");
    expect(await getDb().jiraTicket.findUniqueOrThrow({ where: { key: "TES-41" } })).toMatchObject({
      status: "To Do",
      statusCategory: "new",
      summary: "Unit test summary",
      url: "https://some-instance-test.atlassian.net/browse/TES-41",
    });
    const incident = await getDb().incident.findFirstOrThrow({ where: { source: "jira", externalId: "TES-41" } });
    expect(incident).toMatchObject({ severity: "high", resolvedAt: null, serviceName: "test-project-svc", detectedAt: new Date("2019-02-16T03:01:52.971Z") });
    expect(incident.serviceId).not.toBeNull();
    expect(await deliver(RESOLVED, "life-2")).toBe("processed");
    expect(await getDb().jiraTicket.findUniqueOrThrow({ where: { key: "TES-41" } })).toMatchObject({ status: "Done", statusCategory: "done" });
    expect(await getDb().incident.findUniqueOrThrow({ where: { id: incident.id } })).toMatchObject({ resolvedAt: new Date("2019-02-16T03:15:40.470Z") });
    // The creation event again, processed late (another delivery id): the ticket stays Done.
    expect(await deliver(CREATED, "life-3")).toBe("processed");
    expect(await getDb().jiraTicket.findUniqueOrThrow({ where: { key: "TES-41" } })).toMatchObject({ status: "Done" });
  });

  it("an issue type that is not an incident only updates the ticket; an unknown project's incident has no service", async () => {
    expect(await deliver(variant(CREATED, { key: "TES-99", type: "Task" }), "task-1")).toBe("processed");
    expect(await getDb().jiraTicket.findUniqueOrThrow({ where: { key: "TES-99" } })).toMatchObject({ status: "To Do" });
    expect(await getDb().incident.count({ where: { source: "jira", externalId: "TES-99" } })).toBe(0);
    const unknown = JSON.parse(variant(CREATED, { key: "OPS-7", project: "OPS" }));
    unknown.issue.fields.components = [];
    expect(await deliver(JSON.stringify(unknown), "ops-1")).toBe("processed");
    expect(await getDb().incident.findFirstOrThrow({ where: { source: "jira", externalId: "OPS-7" } })).toMatchObject({ serviceId: null, serviceName: "OPS" });
  });

  it("reads Jira's time format (offset without a colon)", () => {
    expect(jiraTime("2019-02-15T19:01:52.971-0800")?.toISOString()).toBe("2019-02-16T03:01:52.971Z");
    expect(jiraTime("soon")).toBeNull();
  });
});

describe("events.ticketStatus", () => {
  it("shows any signed-in user the ticket's status, and nobody else", async () => {
    await expect((await callerFor(null)).events.ticketStatus({ key: "TES-41" })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    const { caller } = await callerWithRole("developer");
    expect(await caller.events.ticketStatus({ key: "TES-41" })).toMatchObject({ status: "Done" });
    expect(await caller.events.ticketStatus({ key: "NONE-1" })).toBeNull();
    await expect(caller.events.ticketStatus({ key: "not a key" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });
});
