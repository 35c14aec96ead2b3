import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "../../db";
import { encryptJson } from "../../platform/secrets";
import { as, makeWorld } from "../../../test/support/deployment-world";
import { uid } from "../../../test/support/factories";
import { FakeVendor } from "../../../test/support/fake-http";
import { runDeployment } from "../execution";
import { SIGNATURE_HEADER, signBody, TIMESTAMP_HEADER } from "../executors/webhook-signature";
import { insertTarget } from "./fleet-store";

const db = () => getDb();
const code = async (p: Promise<unknown>) =>
  p.then(
    () => "OK",
    (e: { code?: string }) => e.code,
  );
let vendor: FakeVendor;
beforeAll(async () => {
  vendor = await FakeVendor.start();
  await db().outboundAllowEntry.upsert({
    where: { pattern: vendor.hostPort },
    update: {},
    create: { pattern: vendor.hostPort, reason: "fake failover receiver" },
  });
});
afterAll(async () => vendor.close());

/** A production environment (the default policy: one approver, not the asker) with an active/passive pair and a third target. */
async function prodPair(executor: "simulator" | "webhook" = "simulator", executorConfig: Record<string, unknown> = {}) {
  const w = await makeWorld();
  const env = await db().environment.create({ data: { name: `prod-${uid()}`, rank: -1 - Math.floor(Math.random() * 1e6), isProduction: true } });
  await db().serviceEnvironment.create({
    data: { serviceId: w.service.id, environmentId: env.id, currentVersion: "1.0.0", executorConfig: { durationMs: 0, failureRate: 0 } },
  });
  await db().approvalPolicy.create({ data: { name: `svc ${uid()}`, environmentId: env.id, serviceId: w.service.id, requiredApprovals: 0 } });
  const passive = await insertTarget(db().kysely, { environmentId: env.id, name: `prod-us-1-${uid()}`, labels: { region: "us" } });
  const active = await insertTarget(db().kysely, {
    environmentId: env.id,
    name: `prod-eu-1-${uid()}`,
    labels: { region: "eu" },
    executor,
    executorConfig,
    failoverTargetId: passive.id,
  });
  return { w, env, active, passive };
}

describe("draining a target through approval", () => {
  it("an admin asks, the asker may not approve, developers may not decide; an approver approves: drained, failed over, audited", async () => {
    const { w, env, active, passive } = await prodPair();
    const admin = await as(w.admin);
    expect(await code((await as(w.developer)).rollouts.drain({ targetId: active.id, drained: true }))).toBe("FORBIDDEN");
    expect(await code((await as(null)).rollouts.decideDrain({ drainRequestId: "x", decision: "approve" }))).toBe("UNAUTHORIZED");
    const asked = await admin.rollouts.drain({ targetId: active.id, drained: true, reason: "eu-1 network partition" });
    expect(asked).toMatchObject({ status: "pending", drained: false, failover: null });
    expect((await db().deploymentTarget.findUniqueOrThrow({ where: { id: active.id } })).drained).toBe(false);
    // One open request per target.
    expect(await code(admin.rollouts.drain({ targetId: active.id, drained: true }))).toBe("CONFLICT");
    // Not the asker, not a developer.
    expect(await code(admin.rollouts.decideDrain({ drainRequestId: asked.id, decision: "approve" }))).toBe("FORBIDDEN");
    expect(await code((await as(w.developer)).rollouts.decideDrain({ drainRequestId: asked.id, decision: "approve" }))).toBe("FORBIDDEN");
    const view = await (await as(w.approver1)).rollouts.environment({ name: env.name });
    expect(view.drainRequests).toMatchObject([{ id: asked.id, status: "pending", can: { decide: true } }]);
    expect((await admin.rollouts.environment({ name: env.name })).drainRequests[0].can.decide).toBe(false);
    expect(view.targets.find((t) => t.id === active.id)?.failoverTo).toBe(passive.name);

    const decided = await (await as(w.approver1)).rollouts.decideDrain({ drainRequestId: asked.id, decision: "approve" });
    expect(decided).toMatchObject({ status: "applied", failover: { ok: true, message: expect.stringContaining(passive.name) } });
    expect(await db().deploymentTarget.findUniqueOrThrow({ where: { id: active.id } })).toMatchObject({
      drained: true,
      drainedReason: "eu-1 network partition",
    });
    expect(await code((await as(w.approver2)).rollouts.decideDrain({ drainRequestId: asked.id, decision: "reject" }))).toBe("CONFLICT");
    const audit = await db().auditEvent.findMany({ where: { subjectId: active.id }, orderBy: { seq: "asc" } });
    expect(audit.map((a) => [a.action, a.actorLabel])).toEqual([
      ["target.drain_requested", w.admin.name],
      ["target.drained", w.approver1.name],
      ["target.failover_succeeded", w.approver1.name],
    ]);
    expect(
      await db().outboxEvent.findFirst({ where: { type: "rollout.target_drained", payload: { path: ["data", "target"], equals: active.name } } }),
    ).not.toBeNull();
    const after = await admin.rollouts.environment({ name: env.name });
    expect(after.drainRequests[0]).toMatchObject({ status: "applied", decidedBy: w.approver1.name, failoverMessage: expect.stringContaining(passive.name) });

    // A rollout started now skips the drained target.
    const { id } = await (
      await as(w.developer)
    ).deployments.create({ serviceId: w.service.id, environmentId: env.id, version: "1.1.0", strategy: "rolling", summary: "Ship it" });
    await runDeployment(db(), id, { sleep: async () => undefined });
    const steps = await db().rolloutStep.findMany({ where: { rollout: { requestId: id } }, include: { target: true } });
    expect(steps.find((s) => s.targetId === active.id)).toMatchObject({ status: "skipped", message: "target drained" });
    expect(steps.find((s) => s.targetId === passive.id)?.status).not.toBe("skipped");
  });

  it("a rejected request changes nothing; an unknown target is a 404, draining a drained target a 400 naming drained", async () => {
    const { w, active } = await prodPair();
    const admin = await as(w.admin);
    expect(await code(admin.rollouts.drain({ targetId: "nope", drained: true }))).toBe("NOT_FOUND");
    expect(await code(admin.rollouts.drain({ targetId: active.id, drained: false }))).toBe("BAD_REQUEST");
    await expect(admin.rollouts.drain({ targetId: active.id, drained: false })).rejects.toThrow(/drained/);
    const asked = await admin.rollouts.drain({ targetId: active.id, drained: true });
    expect(await (await as(w.approver2)).rollouts.decideDrain({ drainRequestId: asked.id, decision: "reject" })).toEqual({
      status: "rejected",
      failover: null,
    });
    expect((await db().deploymentTarget.findUniqueOrThrow({ where: { id: active.id } })).drained).toBe(false);
    expect(await db().auditEvent.findFirst({ where: { subjectId: active.id, action: "target.drain_rejected" } })).not.toBeNull();
  });

  it("the webhook executor's failover is a signed POST; a refusal is recorded as a failed failover, the drain stays", async () => {
    const secret = "failover-signing-secret";
    const integration = `hook-${uid()}`;
    await db().integration.create({
      data: { name: integration, kind: "webhook", settings: { url: vendor.url("/failover") }, secretEncrypted: encryptJson({ signingSecret: secret }) },
    });
    const { w, active, passive } = await prodPair("webhook", { integration });
    vendor.reset();
    vendor.answer({ status: 202, body: "{}" });
    const asked = await (await as(w.admin)).rollouts.drain({ targetId: active.id, drained: true, reason: "maintenance" });
    const ok = await (await as(w.approver1)).rollouts.decideDrain({ drainRequestId: asked.id, decision: "approve" });
    expect(ok.failover).toMatchObject({ ok: true });
    const sent = vendor.requests[0];
    expect(JSON.parse(sent.body)).toMatchObject({ event: "target.failover", from: { name: active.name }, to: { name: passive.name }, reason: "maintenance" });
    expect(sent.headers[SIGNATURE_HEADER.toLowerCase()]).toBe(signBody(secret, String(sent.headers[TIMESTAMP_HEADER.toLowerCase()]), sent.body));

    // Put back (no failover for an undrain), drain again: the receiver refuses.
    const back = await (await as(w.admin)).rollouts.drain({ targetId: active.id, drained: false });
    expect((await (await as(w.approver1)).rollouts.decideDrain({ drainRequestId: back.id, decision: "approve" })).failover).toBeNull();
    vendor.answer({ status: 503, body: "standby not ready" });
    const again = await (await as(w.admin)).rollouts.drain({ targetId: active.id, drained: true });
    const refused = await (await as(w.approver1)).rollouts.decideDrain({ drainRequestId: again.id, decision: "approve" });
    expect(refused.failover).toMatchObject({ ok: false, message: expect.stringContaining("503") });
    expect((await db().deploymentTarget.findUniqueOrThrow({ where: { id: active.id } })).drained).toBe(true);
    expect(await db().auditEvent.findFirst({ where: { subjectId: active.id, action: "target.failover_failed" } })).not.toBeNull();
  });
});
