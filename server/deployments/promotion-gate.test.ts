// The generalised promotion gate: N of M targets of the previous environment (with verification passed), the soak
// after the N-th, evidence events matched to the version on real CDEvents payloads, and the request form's verdict.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { getDb } from "../db";
import { as, makeWorld } from "../../test/support/deployment-world";
import { uid } from "../../test/support/factories";
import { checkPromotionGate, evidenceMatches } from "./promotion-gate";
import { insertTarget } from "./rollouts/fleet-store";

const db = () => getDb();
const fixture = (name: string) =>
  JSON.parse(readFileSync(`test/support/cdevents-conformance/v0.4.1/${name}.json`, "utf8")) as {
    subject: { id: string; content: Record<string, unknown> };
  };
const T0 = new Date("2026-11-30T10:00:00Z");
const min = (m: number) => new Date(T0.getTime() + m * 60_000);

async function gateWorld(gate: { minTargets?: number | null; soakMinutes?: number; requiredEvidence?: string[] }) {
  const w = await makeWorld();
  const rank = -10e6 - Math.floor(Math.random() * 1e6);
  const prev = await db().environment.create({ data: { name: `pre-${uid()}`, rank } });
  const next = await db().environment.create({ data: { name: `live-${uid()}`, rank: rank + 1 } });
  for (const env of [prev, next]) await db().serviceEnvironment.create({ data: { serviceId: w.service.id, environmentId: env.id, currentVersion: "1.0.0" } });
  const targets: { id: string }[] = [];
  for (const region of ["eu", "us", "ap"])
    targets.push(await insertTarget(db().kysely, { environmentId: prev.id, name: `${region}-${uid()}`, labels: { region } }));
  await db().promotionGate.create({ data: { environmentId: next.id, soakMinutes: 30, ...gate } });
  // 2.0.0 went out to eu (T0) and us (T0+5 min) in two verified waves; ap failed.
  const request = await db().deploymentRequest.create({
    data: { serviceId: w.service.id, environmentId: prev.id, version: "2.0.0", requesterId: w.developer.id, status: "failed", finishedAt: min(6) },
  });
  const rollout = await db().rollout.create({ data: { requestId: request.id, environmentId: prev.id, plan: {}, status: "failed", waveCount: 2 } });
  const step = (i: number, wave: number, status: string, at: Date) =>
    db().rolloutStep.create({ data: { rolloutId: rollout.id, targetId: targets[i].id, wave, status, finishedAt: at } });
  await step(0, 0, "succeeded", T0);
  await step(1, 1, "succeeded", min(5));
  await step(2, 1, "failed", min(6));
  await db().rolloutAnalysis.create({ data: { rolloutId: rollout.id, wave: 0, status: "successful" } });
  return { w, prev, next, rollout };
}

const check = (x: Awaited<ReturnType<typeof gateWorld>>, now: Date, version = "2.0.0") =>
  checkPromotionGate(db(), { serviceId: x.w.service.id, environment: x.next, previous: x.prev, version }, now);

describe("promotion gate", () => {
  it("needs N of M targets, then the soak after the N-th", async () => {
    const x = await gateWorld({ minTargets: 2 });
    const soaking = await check(x, min(10));
    expect(soaking).toMatchObject({ ok: false, targets: { passed: 2, required: 2, total: 3 }, soakUntil: min(35) });
    expect(soaking!.reason).toContain("soaks");
    expect(await check(x, min(36))).toMatchObject({ ok: true });
    expect(await check(x, min(36), "9.9.9")).toMatchObject({ ok: false, targets: { passed: 0 } });
  });

  it("all targets by default; a failed verification of a wave does not count its targets", async () => {
    const all = await gateWorld({});
    const r = await check(all, min(60));
    expect(r).toMatchObject({ ok: false, targets: { passed: 2, required: 3, total: 3 } });
    expect(r!.reason).toContain("2 of 3");
    const x = await gateWorld({ minTargets: 2 });
    await db().rolloutAnalysis.create({ data: { rolloutId: x.rollout.id, wave: 1, status: "failed" } });
    expect(await check(x, min(60))).toMatchObject({ ok: false, targets: { passed: 1 } });
  });

  it("evidence events are matched to the version (real CDEvents payloads)", async () => {
    const signed = fixture("artifact_signed");
    expect(evidenceMatches("artifact.signed", signed, "234fd47e07d1004f0aed9c")).toBe(true);
    expect(evidenceMatches("artifact.signed", signed, "2.0.0")).toBe(false);
    const tests = fixture("testsuiterun_finished");
    expect(evidenceMatches("testsuiterun.finished", { ...tests, customData: { version: "2.0.0" } }, "2.0.0")).toBe(false); // outcome fail
    const passed = { ...tests, subject: { ...tests.subject, content: { ...tests.subject.content, outcome: "pass" } }, customData: { version: "2.0.0" } };
    expect(evidenceMatches("testsuiterun.finished", passed, "2.0.0")).toBe(true);

    const x = await gateWorld({ minTargets: 2, requiredEvidence: ["artifact.signed", "testsuiterun.finished"] });
    const missing = await check(x, min(60));
    expect(missing).toMatchObject({
      ok: false,
      evidence: [
        { kind: "artifact.signed", ok: false },
        { kind: "testsuiterun.finished", ok: false },
      ],
    });
    expect(missing!.reason).toContain("evidence missing: artifact.signed, testsuiterun.finished");
    const purl = "pkg:oci/checkout@2.0.0";
    await db().inboundEvent.create({
      data: {
        source: "cdevents",
        externalId: uid(),
        type: "dev.cdevents.artifact.signed.0.2.0",
        payload: JSON.parse(JSON.stringify({ ...signed, subject: { ...signed.subject, id: purl } })) as object,
      },
    });
    await db().inboundEvent.create({
      data: { source: "cdevents", externalId: uid(), type: "dev.cdevents.testsuiterun.finished.0.2.0", payload: JSON.parse(JSON.stringify(passed)) as object },
    });
    expect(await check(x, min(60))).toMatchObject({ ok: true, evidence: [{ ok: true }, { ok: true }] });
  });

  it("admins set and remove a gate (audited); others may only read it; unknown evidence is a 400 naming the field", async () => {
    const w = await makeWorld();
    const env = await db().environment.create({ data: { name: `gated-${uid()}`, rank: -20e6 - Math.floor(Math.random() * 1e6) } });
    const gate = { minTargets: 2, soakMinutes: 30, requiredEvidence: ["artifact.signed"] };
    expect(await (await as(null)).drift.gate({ environmentId: env.id }).catch((e: { code: string }) => e.code)).toBe("UNAUTHORIZED");
    for (const u of [w.developer, w.approver1]) {
      expect(await (await as(u)).drift.saveGate({ environmentId: env.id, gate }).catch((e: { code: string }) => e.code)).toBe("FORBIDDEN");
    }
    const admin = await as(w.admin);
    await expect(admin.drift.saveGate({ environmentId: env.id, gate: { ...gate, requiredEvidence: ["vibes"] } })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      cause: { field: "requiredEvidence" },
    });
    await admin.drift.saveGate({ environmentId: env.id, gate });
    expect(await (await as(w.developer)).drift.gate({ environmentId: env.id })).toMatchObject(gate);
    await admin.drift.saveGate({ environmentId: env.id, gate: null });
    expect(await admin.drift.gate({ environmentId: env.id })).toBeNull();
    const audit = await db().auditEvent.findMany({ where: { subjectId: env.id }, orderBy: { seq: "asc" } });
    expect(audit.map((a) => a.action)).toEqual(["promotion_gate.saved", "promotion_gate.removed"]);
  });

  it("the request form and creation obey the gate", async () => {
    const x = await gateWorld({ minTargets: 2, soakMinutes: 0 });
    const dev = await as(x.w.developer);
    const ok = await dev.deployments.preview({ serviceId: x.w.service.id, environmentId: x.next.id, version: "2.0.0" });
    expect(ok.promotion).toMatchObject({ ok: true, gate: { targets: { passed: 2, required: 2 } } });
    const input = { serviceId: x.w.service.id, environmentId: x.next.id, version: "2.0.1", strategy: "rolling" as const, summary: "Not yet" };
    await expect(dev.deployments.create(input)).rejects.toMatchObject({ code: "PRECONDITION_FAILED", cause: { field: "version" } });
  });
});
