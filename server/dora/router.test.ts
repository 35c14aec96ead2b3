// The dora / incidents / events routers: who may call what, portal incidents with their audit + outbox events,
// Pier's own deployments through the outbox subscriber, dead letters with retry, and the data-quality report.
import { beforeAll, describe, expect, it } from "vitest";
import { getDb, transaction } from "../db";
import { processOutboxJob } from "../bus/fanout";
import { SUBSCRIBERS } from "../subscriptions";
import { emitPierEvent } from "../bus/events";
import { MAX_INGEST_ATTEMPTS, processInboundEvent } from "../ingest/ingest-worker";
import { callerFor, callerWithRole, makeTeam, makeUser } from "../../test/support/factories";
import { recordChange, recordDeployment } from "./canonical";
import { ensureEnvironments, makeService } from "../../test/support/dora-fixtures";

let team: { id: string };
let service: { id: string; slug: string };
const range = { from: new Date("2026-01-01T00:00:00Z"), to: new Date("2026-02-01T00:00:00Z") };

beforeAll(async () => {
  await ensureEnvironments();
  team = await makeTeam("Owners");
  service = await makeService(team.id, "billing");
});

describe("access", () => {
  it("refuses anonymous callers and non-admins where it must", async () => {
    const anon = await callerFor(null);
    await expect(anon.dora.summary(range)).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(anon.incidents.list({})).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(anon.dora.liveVersions({ serviceId: "x" })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    const { caller: dev } = await callerWithRole("developer");
    expect((await dev.dora.summary(range)).current.deployments).toBe(0);
    await expect(dev.events.tokens()).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(dev.events.createToken({ name: "x-ci" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(dev.events.dataQuality()).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(dev.events.retry({ id: "x" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    const { caller: approver } = await callerWithRole("approver");
    await expect(approver.events.deadLetters()).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(approver.events.createWebhookSecret({ kind: "github_webhook", name: "gh", secret: "s".repeat(20) })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
  });

  it("lets admins create a token shown once and stored only as a hash", async () => {
    const { caller } = await callerWithRole("admin");
    const created = await caller.events.createToken({ name: "Jenkins" });
    expect(created.token).toMatch(/^pier_ing_/);
    const row = await getDb().ingestToken.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.tokenHash).not.toContain(created.token);
    const listed = await caller.events.tokens();
    expect(JSON.stringify(listed)).not.toContain(created.token);
    expect(listed[0]).toMatchObject({ name: "Jenkins", prefix: created.token.slice(0, 13) });
    await expect(caller.events.createToken({ name: "x" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await caller.events.revokeToken({ id: created.id });
    expect((await caller.events.tokens())[0].revokedAt).not.toBeNull();
    const secret = await caller.events.createWebhookSecret({ kind: "pagerduty_webhook", name: "PD", secret: "p".repeat(24) });
    expect((await caller.events.webhookSecrets()).find((s) => s.id === secret.id)?.hint).toBe("••••pppp");
    await caller.events.deleteWebhookSecret({ id: secret.id });
    expect(await caller.events.webhookSecrets()).toHaveLength(0);
  });
});

describe("portal incidents", () => {
  it("lets the owning team declare and resolve, with audit and outbox events; others are refused", async () => {
    const member = await makeUser("developer", [team.id]);
    const caller = await callerFor(member.id);
    const incident = await caller.incidents.declare({
      serviceId: service.id,
      title: "Invoices not sent",
      severity: "critical",
      detectedAt: new Date("2026-01-10T10:00:00Z"),
    });
    expect(incident).toMatchObject({ source: "pier", serviceId: service.id, severity: "critical" });
    const { caller: outsider } = await callerWithRole("developer");
    await expect(outsider.incidents.resolve({ incidentId: incident.id })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(outsider.incidents.declare({ serviceId: service.id, title: "Not mine" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(caller.incidents.resolve({ incidentId: incident.id, resolvedAt: new Date("2026-01-10T09:00:00Z") })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    await caller.incidents.resolve({ incidentId: incident.id, resolvedAt: new Date("2026-01-10T10:30:00Z") });
    await expect(caller.incidents.resolve({ incidentId: incident.id })).rejects.toMatchObject({ code: "BAD_REQUEST", cause: { field: "incidentId" } });
    const events = await getDb().outboxEvent.findMany({ where: { type: { in: ["incident.detected", "incident.resolved"] } }, orderBy: { createdAt: "asc" } });
    expect(events.map((e) => e.type)).toEqual(["incident.detected", "incident.resolved"]);
    expect((events[1].payload as { data: { restoreSeconds: number } }).data.restoreSeconds).toBe(1800);
    expect(await getDb().auditEvent.count({ where: { subjectId: incident.id } })).toBe(2);
    const listed = await caller.incidents.list({ serviceId: service.id });
    expect(listed[0].resolvedAt?.toISOString()).toBe("2026-01-10T10:30:00.000Z");
    await expect(caller.incidents.declare({ serviceId: service.id, title: "x" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });
});

describe("Pier's own deployments", () => {
  it("records succeeded / rolled back requests via the outbox subscriber, linking changes", async () => {
    expect(SUBSCRIBERS.some((s) => s.name === "dora.pier-deployments")).toBe(true);
    const db = getDb();
    const user = await makeUser("developer", [team.id]);
    const prod = await db.environment.findFirstOrThrow({ where: { name: "prod" } });
    const req = await db.deploymentRequest.create({
      data: { serviceId: service.id, environmentId: prod.id, version: "2.0.0", previousVersion: "1.9.0", requesterId: user.id, status: "succeeded" },
    });
    await transaction(db, async (tx) =>
      recordChange(tx, {
        source: "test",
        externalId: "bill-1",
        serviceName: "billing",
        authoredAt: new Date("2026-01-15T08:00:00Z"),
        firstCommitAt: new Date("2026-01-15T08:00:00Z"),
        mergedAt: new Date("2026-01-15T09:00:00Z"),
      }),
    );
    const emit = (type: "deployment.succeeded" | "deployment.rolled_back", occurredAt: string) =>
      transaction(db, async (tx) =>
        emitPierEvent(tx, {
          type,
          severity: "medium",
          occurredAt,
          subject: {
            service: { id: service.id, slug: "billing", name: "billing", tier: 2, teamId: team.id, teamSlug: "owners" },
            environment: { id: prod.id, name: "prod", isProduction: true },
            deploymentRequestId: req.id,
          },
          data: {
            requestId: req.id,
            version: "2.0.0",
            previousVersion: "1.9.0",
            requesterId: user.id,
            strategy: "rolling",
            breakGlass: false,
            breakGlassReason: null,
            isRollback: false,
            rollbackOfId: null,
            status: "succeeded",
            url: "",
          },
        }),
      );
    for (const [type, at] of [
      ["deployment.succeeded", "2026-01-15T12:00:00Z"],
      ["deployment.rolled_back", "2026-01-15T13:00:00Z"],
    ] as const) {
      const { id } = await emit(type, at);
      const row = await db.outboxEvent.findUniqueOrThrow({ where: { id } });
      await processOutboxJob(db, { outboxId: id, type: row.type, payload: row.payload as Record<string, unknown> }, SUBSCRIBERS);
      // Re-delivery of the same outbox event is a no-op.
      await processOutboxJob(db, { outboxId: id, type: row.type, payload: row.payload as Record<string, unknown> }, SUBSCRIBERS);
    }
    const d = await db.deployment.findUniqueOrThrow({ where: { deploymentRequestId: req.id }, include: { shipped: true } });
    expect(d).toMatchObject({ source: "pier", status: "rolled_back", version: "2.0.0" });
    expect(d.deployedAt.toISOString()).toBe("2026-01-15T12:00:00.000Z");
    expect(d.shipped.map((s) => s.leadTimeSeconds)).toEqual([4 * 3600]);
    const { caller } = await callerWithRole("developer");
    const s = await caller.dora.summary({ ...range, serviceId: service.id });
    expect(s.current).toMatchObject({ deployments: 1, failures: 1, changeFailureRate: 1 });
    const drill = await caller.dora.deployments({ ...range, serviceId: service.id, onlyFailures: true });
    expect(drill.rows[0].deploymentRequestId).toBe(req.id);
  });
});

describe("dead letters and data quality", () => {
  it("marks an event dead after the last attempt, lists it, and retries it on request", async () => {
    const db = getDb();
    // A GitHub deployment_status whose timestamp is garbage: translation fails every time.
    const ev = await db.inboundEvent.create({
      data: {
        source: "github",
        externalId: "broken-1",
        type: "deployment_status",
        payload: { deployment_status: { state: "success", updated_at: "not a date" }, deployment: { id: 1 }, repository: { name: "billing" } },
      },
    });
    for (let i = 1; i < MAX_INGEST_ATTEMPTS; i++) await expect(processInboundEvent(db, ev.id)).rejects.toThrow(/not a date/);
    expect(await processInboundEvent(db, ev.id)).toBe("dead");
    const { caller } = await callerWithRole("admin");
    const dead = await caller.events.deadLetters();
    expect(dead.map((d) => d.id)).toContain(ev.id);
    await caller.events.retry({ id: ev.id });
    expect(await db.inboundEvent.findUniqueOrThrow({ where: { id: ev.id } })).toMatchObject({ status: "pending", attempts: 0 });
  });

  it("reports rejections, unknown services, unlinked deployments and incidents without a service", async () => {
    const db = getDb();
    await db.rejectedEvent.create({
      data: { source: "cdevents", reason: "invalid_cdevent: subject.content.environment is required", field: "subject.content.environment" },
    });
    await db.deployment.create({
      data: { serviceName: "ghost-svc", environmentName: "prod", status: "succeeded", deployedAt: new Date(), source: "cdevents", externalId: "ghost-1" },
    });
    await db.incident.create({ data: { title: "Mystery outage", detectedAt: new Date(), source: "cdevents", externalId: "mystery" } });
    const { caller } = await callerWithRole("admin");
    const r = await caller.events.dataQuality({ days: 30 });
    expect(r.rejectedByReason).toContainEqual(expect.objectContaining({ source: "cdevents", reason: "invalid_cdevent", count: 1 }));
    expect(r.unknownServices).toContainEqual(expect.objectContaining({ kind: "deployment", name: "ghost-svc", count: 1 }));
    expect(r.deploymentsWithoutChanges.count).toBeGreaterThanOrEqual(1);
    expect(r.deploymentsWithoutChanges.sample.map((s) => s.serviceName)).toContain("ghost-svc");
    expect(r.incidentsWithoutService.map((i) => i.title)).toContain("Mystery outage");
  });

  it("counts changes credited by merge-order fallback, per environment and source", async () => {
    const db = getDb();
    const now = Date.now();
    await transaction(db, async (tx) => {
      await recordChange(tx, { source: "t", externalId: "fb-1", serviceName: "fallback-svc", mergedAt: new Date(now - 2 * 3600_000) });
      await recordDeployment(tx, {
        source: "jenkins-x",
        externalId: "fb-d",
        serviceName: "fallback-svc",
        environmentName: "dev",
        status: "succeeded",
        deployedAt: new Date(now - 3600_000),
      });
    });
    const { caller } = await callerWithRole("admin");
    const r = await caller.events.dataQuality({ days: 7 });
    expect(r.changeLinkage).toContainEqual(
      expect.objectContaining({ environmentName: "dev", linkedBy: "merge_order", sources: expect.stringContaining("jenkins-x") }),
    );
  });
});

describe("definition modes and bands via the API", () => {
  it("answers each mode, and refuses an unknown mode or band set naming the field", async () => {
    const { caller } = await callerWithRole("developer");
    for (const mode of ["pier", "fourkeys", "devlake"] as const) expect((await caller.dora.summary({ ...range, mode })).mode).toBe(mode);
    await expect(caller.dora.summary({ ...range, mode: "linearb" as never })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("mode"),
    });
    await expect(caller.dora.summary({ ...range, bands: "2019" as never })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("bands"),
    });
    expect(Array.isArray(await caller.dora.liveVersions({ serviceId: service.id }))).toBe(true);
    const defs = await caller.dora.definitions();
    expect(defs.defaultBands).toBe("2023");
    expect(defs.bands["2021"].changeFailureRate.elite).toBe(0.15);
  });
});
