// Drift: desired (last succeeded request) vs live (reports), out-of-order reports, when drift started, drift events
// through the outbox, Pier's own runs and ingested events as live sources, the comparison view and its access.
import { describe, expect, it } from "vitest";
import { getDb } from "../db";
import { processOutboxJob, subscriber } from "../bus/fanout";
import { as, makeWorld, requestInput } from "../../test/support/deployment-world";
import { uid } from "../../test/support/factories";
import { runDeployment } from "./execution";
import { reportLiveVersion } from "./drift";
import { DRIFT_SOURCE_EVENTS, DRIFT_SUBSCRIBER, recordLiveFromPierRuns, syncIngestedLiveVersions } from "./drift-sources";
import { insertTarget, upsertPlan } from "./rollouts/fleet-store";
import { runUntilSettled } from "./rollouts/settle";
import { transaction } from "../db";

const db = () => getDb();
const code = async (p: Promise<unknown>) =>
  p.then(
    () => "OK",
    (e: { code?: string }) => e.code,
  );
const at = (min: number) => new Date(Date.UTC(2026, 11, 1, 12, min));
const driftSubscriber = [subscriber(DRIFT_SUBSCRIBER, DRIFT_SOURCE_EVENTS, recordLiveFromPierRuns)];

/** A succeeded request of `version` (desired), as Pier records it. */
async function succeeded(w: Awaited<ReturnType<typeof makeWorld>>, version: string, environmentId = w.envs.dev.id) {
  await db().deploymentRequest.create({
    data: {
      serviceId: w.service.id,
      environmentId,
      version,
      requesterId: w.developer.id,
      status: "succeeded",
      finishedAt: at(0),
    },
  });
}

const driftEvents = async (serviceId: string) =>
  (await db().outboxEvent.findMany({ where: { type: { startsWith: "drift." } }, orderBy: { createdAt: "asc" } }))
    .filter((e) => (e.payload as { subject: { service?: { id: string } } }).subject.service?.id === serviceId)
    .map((e) => ({ type: e.type, data: (e.payload as { data: Record<string, unknown> }).data }));

describe("drift detection", () => {
  it("keeps only the newest observation when reports arrive out of order, and dates the drift from when it began", async () => {
    const w = await makeWorld();
    await succeeded(w, "2.0.0");
    const key = { serviceId: w.service.id, environmentId: w.envs.dev.id, target: "", source: "executor" as const };
    expect(await reportLiveVersion(db(), { ...key, version: "2.0.0", observedAt: at(2) }, at(2))).toMatchObject({ kept: true, status: "in_sync" });
    // A late report from before: ignored.
    expect(await reportLiveVersion(db(), { ...key, version: "1.0.0", observedAt: at(1) }, at(3))).toMatchObject({ kept: false, status: "in_sync" });
    expect(await driftEvents(w.service.id)).toEqual([]);
    // Someone changed it out of band.
    const drifted = await reportLiveVersion(db(), { ...key, version: "2.0.1-hotfix", observedAt: at(5) }, at(5));
    expect(drifted).toMatchObject({ kept: true, status: "drifted", driftSince: at(5) });
    // More drift reports (another wrong version, a late one in between) keep the start.
    await reportLiveVersion(db(), { ...key, version: "2.0.2-hotfix", observedAt: at(8) }, at(8));
    expect(await reportLiveVersion(db(), { ...key, version: "2.0.0", observedAt: at(6) }, at(9))).toMatchObject({
      kept: false,
      status: "drifted",
      driftSince: at(5),
    });
    const row = await db().driftStatus.findUniqueOrThrow({
      where: { serviceId_environmentId_target: { serviceId: w.service.id, environmentId: w.envs.dev.id, target: "" } },
    });
    expect(row).toMatchObject({ desiredVersion: "2.0.0", liveVersion: "2.0.2-hotfix", status: "drifted", driftSince: at(5) });
    // Back in step: resolved, with how long it lasted.
    expect(await reportLiveVersion(db(), { ...key, version: "2.0.0", observedAt: at(15) }, at(15))).toMatchObject({ status: "in_sync", driftSince: null });
    const events = await driftEvents(w.service.id);
    expect(events.map((e) => e.type)).toEqual(["drift.detected", "drift.resolved"]);
    expect(events[0].data).toMatchObject({ desiredVersion: "2.0.0", liveVersion: "2.0.1-hotfix", driftSince: at(5).toISOString() });
    expect(events[1].data).toMatchObject({ driftSeconds: 600 });
    expect(await db().auditEvent.count({ where: { subjectType: "drift", action: "drift.detected" } })).toBeGreaterThan(0);
  });

  it("drift started when the desired version changed, if the live report is older", async () => {
    const w = await makeWorld();
    await reportLiveVersion(db(), {
      serviceId: w.service.id,
      environmentId: w.envs.staging.id,
      target: "",
      version: "1.0.0",
      observedAt: at(0),
      source: "executor",
    });
    await db().deploymentRequest.create({
      data: {
        serviceId: w.service.id,
        environmentId: w.envs.staging.id,
        version: "1.1.0",
        requesterId: w.developer.id,
        status: "succeeded",
        finishedAt: at(4),
      },
    });
    const r = await reportLiveVersion(db(), {
      serviceId: w.service.id,
      environmentId: w.envs.staging.id,
      target: "",
      version: "1.0.0",
      observedAt: at(1),
      source: "executor",
    });
    expect(r).toMatchObject({ kept: true, status: "drifted", driftSince: at(4) });
  });

  it("Pier's own finished run is a live report (through the outbox subscriber); a fleet request counts per target", async () => {
    const w = await makeWorld({ policies: { dev: { requiredApprovals: 0 } } });
    const dev = await as(w.developer);
    const { id } = await dev.deployments.create(requestInput(w, "dev", "1.4.0"));
    await runDeployment(db(), id, { sleep: async () => undefined });
    const events = await db().outboxEvent.findMany({ where: { type: { in: [...DRIFT_SOURCE_EVENTS] }, processedAt: null } });
    for (const e of events) {
      await processOutboxJob(db(), { outboxId: e.id, type: e.type, payload: e.payload as Record<string, unknown> }, driftSubscriber);
      await processOutboxJob(db(), { outboxId: e.id, type: e.type, payload: e.payload as Record<string, unknown> }, driftSubscriber);
    }
    const live = await db().targetLiveVersion.findUniqueOrThrow({
      where: { serviceId_environmentId_target: { serviceId: w.service.id, environmentId: w.envs.dev.id, target: "" } },
    });
    expect(live).toMatchObject({ version: "1.4.0", source: "pier" });
    const cmp = await dev.drift.compare();
    const mine = cmp.services.find((s) => s.id === w.service.id)!;
    expect(mine.cells[w.envs.dev.id].targets).toEqual([expect.objectContaining({ target: "", desired: "1.4.0", live: "1.4.0", status: "in_sync" })]);
    expect(cmp.environments.map((e) => e.name)).toEqual(expect.arrayContaining(["dev", "staging", "prod"]));

    // A fleet environment: each target judged on its own.
    const env = await db().environment.create({ data: { name: `fleet-${uid()}`, rank: -1 - Math.floor(Math.random() * 1e6) } });
    await db().serviceEnvironment.create({ data: { serviceId: w.service.id, environmentId: env.id, currentVersion: "1.0.0" } });
    const a = await insertTarget(db().kysely, { environmentId: env.id, name: `eu-${uid()}`, labels: {} });
    const b = await insertTarget(db().kysely, { environmentId: env.id, name: `us-${uid()}`, labels: {} });
    await succeeded(w, "1.4.0", env.id);
    const key = { serviceId: w.service.id, environmentId: env.id, source: "executor" as const };
    await reportLiveVersion(db(), { ...key, target: a.name, version: "1.4.0", observedAt: at(3) });
    await reportLiveVersion(db(), { ...key, target: b.name, version: "1.3.9", observedAt: at(3) });
    const fleet = (await dev.drift.compare()).services.find((s) => s.id === w.service.id)!.cells[env.id].targets;
    expect(fleet.map((t) => [t.target, t.status])).toEqual([
      [a.name, "in_sync"],
      [b.name, "drifted"],
    ]);
  });

  it("a fleet rollout reports the live version of each target it deployed", async () => {
    const w = await makeWorld();
    const env = await db().environment.create({ data: { name: `fleet-${uid()}`, rank: -3e6 - Math.floor(Math.random() * 1e6) } });
    await db().serviceEnvironment.create({
      data: { serviceId: w.service.id, environmentId: env.id, currentVersion: "1.0.0", executorConfig: { durationMs: 0, failureRate: 0 } },
    });
    await db().approvalPolicy.create({ data: { name: `fleet ${uid()}`, environmentId: env.id, serviceId: w.service.id, requiredApprovals: 0 } });
    const a = await insertTarget(db().kysely, { environmentId: env.id, name: `eu-${uid()}`, labels: { region: "eu" } });
    const b = await insertTarget(db().kysely, { environmentId: env.id, name: `us-${uid()}`, labels: { region: "us" } });
    await transaction(db(), (tx) =>
      upsertPlan(tx, env.id, { waves: [{ name: "all" }], maxParallel: 2, soakSeconds: 0, onUnhealthy: "hold", onFailure: "stop", analysis: null }),
    );
    const { id } = await (
      await as(w.developer)
    ).deployments.create({ serviceId: w.service.id, environmentId: env.id, version: "1.1.0", strategy: "rolling", summary: "Ship it" });
    const noSleep = { sleep: async () => undefined };
    await runDeployment(db(), id, noSleep);
    expect(await runUntilSettled(db(), id, noSleep)).toBe("succeeded");
    const events = await db().outboxEvent.findMany({ where: { type: "deployment.succeeded", payload: { path: ["data", "requestId"], equals: id } } });
    for (const e of events) await processOutboxJob(db(), { outboxId: e.id, type: e.type, payload: e.payload as Record<string, unknown> }, driftSubscriber);
    const live = await db().targetLiveVersion.findMany({ where: { serviceId: w.service.id, environmentId: env.id }, orderBy: { target: "asc" } });
    expect(live.map((l) => [l.target, l.version, l.source])).toEqual([
      [a.name, "1.1.0", "pier"],
      [b.name, "1.1.0", "pier"],
    ]);
    const rows = await db().driftStatus.findMany({ where: { serviceId: w.service.id, environmentId: env.id } });
    expect(rows.map((r) => r.status)).toEqual(["in_sync", "in_sync"]);
  });

  it("ingested deployment events of other tools are live reports of an environment without targets", async () => {
    const w = await makeWorld();
    await succeeded(w, "5.0.0", w.envs.prod.id);
    const now = new Date();
    await db().deployment.create({
      data: {
        serviceId: w.service.id,
        serviceName: w.service.slug,
        environmentId: w.envs.prod.id,
        environmentName: "prod",
        version: "5.0.0-manual",
        status: "succeeded",
        deployedAt: new Date(now.getTime() - 60_000),
        source: "argocd",
        externalId: `argo-${uid()}`,
      },
    });
    const r = await syncIngestedLiveVersions(db(), now);
    expect(r.kept).toBeGreaterThanOrEqual(1);
    // A second sweep changes nothing.
    expect((await syncIngestedLiveVersions(db(), now)).kept).toBe(0);
    const row = await db().driftStatus.findUniqueOrThrow({
      where: { serviceId_environmentId_target: { serviceId: w.service.id, environmentId: w.envs.prod.id, target: "" } },
    });
    expect(row).toMatchObject({ status: "drifted", desiredVersion: "5.0.0", liveVersion: "5.0.0-manual" });
    const detected = (await driftEvents(w.service.id)).find((e) => e.type === "drift.detected");
    expect(detected).toBeDefined();
  });

  it("anyone signed in may compare; only admins report live versions, and bad reports are a 400 naming the field", async () => {
    const w = await makeWorld();
    expect(await code((await as(null)).drift.compare())).toBe("UNAUTHORIZED");
    const report = { serviceId: w.service.id, environmentId: w.envs.dev.id, version: "1.0.0", observedAt: at(1) };
    expect(await code((await as(w.developer)).drift.report(report))).toBe("FORBIDDEN");
    expect(await code((await as(w.approver1)).drift.report(report))).toBe("FORBIDDEN");
    const admin = await as(w.admin);
    expect(await admin.drift.report(report)).toMatchObject({ kept: true });
    const bad = async (p: Promise<unknown>) => p.catch((e: { code: string; cause?: { field?: string } }) => [e.code, e.cause?.field]);
    expect(await bad(admin.drift.report({ ...report, version: "no good!" }))).toEqual(["BAD_REQUEST", "version"]);
    expect(await bad(admin.drift.report({ ...report, target: "nowhere" }))).toEqual(["BAD_REQUEST", "target"]);
    const other = await db().environment.create({ data: { name: `empty-${uid()}`, rank: -2e6 - Math.floor(Math.random() * 1e6) } });
    expect(await bad(admin.drift.report({ ...report, environmentId: other.id }))).toEqual(["BAD_REQUEST", "environmentId"]);
  });
});
