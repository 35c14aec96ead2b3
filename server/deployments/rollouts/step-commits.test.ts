import { describe, expect, it } from "vitest";
import { getDb } from "../../db";
import { verifyAuditChain } from "../../audit/audit-log";
import { makeWorld } from "../../../test/support/deployment-world";
import { drain, fleet, noSleep, otherService, pendingJobs, start, steps, threeRegions } from "../../../test/support/fleet-world";
import { runRolloutStep } from "./runner";
import type { Claimed } from "./claimed";
import { claimStep, endBatch } from "./step-commits";

const db = () => getDb();
const canaryThenRest = { waves: [{ name: "canary", match: { region: "eu" } }], maxParallel: 5 };

/** Claims every step job the rollout has waiting (as a worker would), and returns what each claim got. */
async function claimAll(rolloutId: string) {
  const jobs = await pendingJobs(rolloutId);
  await db().outboxEvent.updateMany({ where: { id: { in: jobs.map((j) => j.id) } }, data: { processedAt: new Date() } });
  const claims = await Promise.all(
    jobs.map(async (j) => {
      const p = j.payload as { stepId: string; attempt: number };
      return { stepId: p.stepId, claimed: (await claimStep(db(), p.stepId, p.attempt)) as Claimed };
    }),
  );
  for (const c of claims) expect(c.claimed).not.toBeNull();
  return claims;
}

const ask = (c: { stepId: string; claimed: Claimed }, outcome: "succeeded" | "failed" = "succeeded") => {
  const message = outcome === "succeeded" ? "deployed" : "crashed on start";
  return {
    stepId: c.stepId,
    claimed: c.claimed,
    result: { outcome, message },
    executorMs: 1,
    lines: [{ message: `[${c.claimed.target.name}] ${message}`, level: "info" as const }],
  };
};

const rollout = (id: string) => db().rollout.findUniqueOrThrow({ where: { id } });
const requestStatus = async (id: string) => (await db().deploymentRequest.findUniqueOrThrow({ where: { id } })).status;
const audits = (subjectId: string, action: string) => db().auditEvent.count({ where: { subjectId, action } });

describe("a batch of step ends, set-based", () => {
  it("mixes rollouts at different waves: each advances on its own, a failure rolls back only its rollout", async () => {
    const w = await makeWorld();
    const { env } = await fleet(w, threeRegions, canaryThenRest);
    const a = await start(w, env.id);
    const b = await start(await otherService(w, env.id), env.id);
    const c = await start(await otherService(w, env.id), env.id);
    // b finishes its canary first: its last wave (three targets) is in flight while a and c are still on the canary.
    for (const j of await pendingJobs(b.rolloutId)) {
      const p = j.payload as { stepId: string; attempt: number };
      await db().outboxEvent.update({ where: { id: j.id }, data: { processedAt: new Date() } });
      await runRolloutStep(db(), p.stepId, p.attempt, noSleep);
    }
    expect((await rollout(b.rolloutId)).currentWave).toBe(1);
    const [ca, cb, cc] = [await claimAll(a.rolloutId), await claimAll(b.rolloutId), await claimAll(c.rolloutId)];
    expect([ca.length, cb.length, cc.length]).toEqual([1, 3, 1]);

    // One batch: a's canary succeeds, b's last wave succeeds, c's canary fails.
    const ended = await endBatch(db(), [ask(ca[0]), ...cb.map((x) => ask(x)), ask(cc[0], "failed")]);
    expect(ended).toEqual([true, true, true, true, true]);

    // a: on to its second wave, whose three targets are queued (one job each).
    expect(await rollout(a.rolloutId)).toMatchObject({ status: "running", currentWave: 1, phase: "deploying" });
    expect((await steps(a.rolloutId)).map((s) => [s.name, s.status])).toEqual([
      ["prod-eu-1", "succeeded"],
      ["prod-ap-1", "queued"],
      ["prod-us-1", "queued"],
      ["prod-us-2", "queued"],
    ]);
    expect(await pendingJobs(a.rolloutId)).toHaveLength(3);
    expect(await audits(a.rolloutId, "rollout.wave_started")).toBe(1);
    // b: every wave deployed, its request succeeded.
    expect(await rollout(b.rolloutId)).toMatchObject({ status: "succeeded", phase: "done" });
    expect(await requestStatus(b.requestId)).toBe("succeeded");
    expect((await steps(b.rolloutId)).map((s) => [s.status, s.deployCount])).toEqual(Array(4).fill(["succeeded", 1]));
    // c alone rolls back (rollback_failed): its failed canary is queued for rollback, later targets never start.
    expect(await rollout(c.rolloutId)).toMatchObject({ status: "rolling_back", message: expect.stringMatching(/failed to deploy in wave 1/) });
    expect((await steps(c.rolloutId)).map((s) => s.status)).toEqual(["rollback_queued", "cancelled", "cancelled", "cancelled"]);
    expect(await requestStatus(c.requestId)).toBe("deploying");
    expect(await audits(c.rolloutId, "rollout.rolling_back")).toBe(1);
    expect(await audits(a.rolloutId, "rollout.rolling_back")).toBe(0);
    // Every end is audited once; the log lines went with the ends.
    for (const x of [...ca, ...cb]) expect(await audits(x.stepId, "rollout.step.succeeded")).toBe(1);
    expect(await audits(cc[0].stepId, "rollout.step.failed")).toBe(1);
    expect(await db().deploymentLog.count({ where: { requestId: c.requestId, message: { contains: "crashed on start" } } })).toBeGreaterThan(0);

    // And each goes on from there.
    await drain(a.rolloutId);
    await drain(c.rolloutId);
    expect(await requestStatus(a.requestId)).toBe("succeeded");
    expect((await rollout(c.rolloutId)).status).toBe("rolled_back");
    expect(await requestStatus(c.requestId)).toBe("rolled_back");
    expect((await verifyAuditChain(db())).ok).toBe(true);
  }, 90_000); // Three rollouts driven to their end: slow on a busy machine.

  it("a step another worker already ended is not ended again, and its rollout does not move twice", async () => {
    const w = await makeWorld();
    const { env } = await fleet(w, threeRegions, canaryThenRest);
    const d = await start(w, env.id);
    const e = await start(await otherService(w, env.id), env.id);
    const [cd] = await claimAll(d.rolloutId);
    const [ce] = await claimAll(e.rolloutId);
    expect(await endBatch(db(), [ask(cd)])).toEqual([true]);
    const after = await rollout(d.rolloutId);
    expect(after.currentWave).toBe(1);

    // d's end delivered again (another worker's copy), beside e's end asked twice in the same batch.
    expect(await endBatch(db(), [ask(cd), ask(ce), ask(ce)])).toEqual([false, true, false]);
    expect(await rollout(d.rolloutId)).toMatchObject({ currentWave: 1, revision: after.revision });
    expect(await audits(cd.stepId, "rollout.step.succeeded")).toBe(1);
    expect(await audits(d.rolloutId, "rollout.wave_started")).toBe(1);
    expect(await pendingJobs(d.rolloutId)).toHaveLength(3);
    expect(await audits(ce.stepId, "rollout.step.succeeded")).toBe(1);
    expect(await audits(e.rolloutId, "rollout.wave_started")).toBe(1);
    expect((await steps(e.rolloutId)).map((s) => [s.status, s.deployCount])).toEqual([
      ["succeeded", 1],
      ["queued", 0],
      ["queued", 0],
      ["queued", 0],
    ]);
  });
});

describe("steps claimed and ended in batches", () => {
  it("many rollouts' steps at once: fewer audit appends than steps, each target deployed once, the chain verifies", async () => {
    const w = await makeWorld();
    const { env } = await fleet(w, threeRegions, { waves: [{ name: "canary", match: { region: "eu" } }], maxParallel: 3 });
    const rollouts = [];
    for (const version of ["1.1.0", "1.2.0", "1.3.0"]) {
      rollouts.push(await start(await otherService(w, env.id), env.id, version));
    }
    const seqBefore = (await db().auditEvent.aggregate({ _max: { seq: true } }))._max.seq ?? 0n;
    // Every job of every rollout delivered at once, twice (fast path and outbox): the batches sort them out.
    for (;;) {
      const jobs = (await Promise.all(rollouts.map((r) => pendingJobs(r.rolloutId)))).flat();
      if (!jobs.length) break;
      await db().outboxEvent.updateMany({ where: { id: { in: jobs.map((j) => j.id) } }, data: { processedAt: new Date() } });
      const runs = jobs.flatMap((j) => {
        const p = j.payload as { stepId: string; attempt: number };
        return [runRolloutStep(db(), p.stepId, p.attempt, noSleep), runRolloutStep(db(), p.stepId, p.attempt, noSleep)];
      });
      const outcomes = (await Promise.all(runs)).map((r) => r.outcome);
      expect(outcomes.filter((o) => o === "skipped")).toHaveLength(jobs.length);
    }
    for (const r of rollouts) {
      expect((await db().deploymentRequest.findUniqueOrThrow({ where: { id: r.requestId } })).status).toBe("succeeded");
      expect((await steps(r.rolloutId)).map((s) => [s.status, s.deployCount, s.attempt])).toEqual(Array(4).fill(["succeeded", 1, 1]));
    }
    // One record per step claimed and per step ended, in fewer chain appends (same createdAt = one append).
    const records = await db().auditEvent.findMany({ where: { seq: { gt: seqBefore }, action: { in: ["rollout.step.deploying", "rollout.step.succeeded"] } } });
    expect(records).toHaveLength(2 * 12);
    expect(new Set(records.map((r) => r.createdAt.toISOString())).size).toBeLessThan(records.length);
    expect((await verifyAuditChain(db())).ok).toBe(true);
  });
});
