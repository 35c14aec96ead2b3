import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { getDb } from "../db";
import type { PierEvent } from "../bus/events";
import { as, makeWorld, requestInput } from "../../test/support/deployment-world";
import { assessRisk } from "./risk-score";
import { parseVersion, versionJump } from "./version";

async function code(p: Promise<unknown>) {
  try {
    await p;
    return "OK";
  } catch (err) {
    return err instanceof TRPCError ? err.code : `unexpected ${String(err)}`;
  }
}

describe("deployment requests", () => {
  it("refuses anonymous callers and non-owners, and explains bad input next to the field", async () => {
    const w = await makeWorld();
    expect(await code((await as(null)).deployments.create(requestInput(w, "dev", "1.1.0")))).toBe("UNAUTHORIZED");
    expect(await code((await as(null)).deployments.list({}))).toBe("UNAUTHORIZED");
    expect(await code((await as(null)).approvals.inbox())).toBe("UNAUTHORIZED");
    expect(await code((await as(w.outsider)).deployments.create(requestInput(w, "dev", "1.1.0")))).toBe("FORBIDDEN");
    expect(await code((await as(w.developer)).deployments.exportEvidence({ requestId: "x", format: "json" }))).toBe("FORBIDDEN");
    expect(await code((await as(w.developer)).audit.events({}))).toBe("FORBIDDEN");
    expect(await code((await as(w.approver1)).approvals.savePolicy({ name: "x", environmentId: w.envs.dev.id, requiredApprovals: 1 } as never))).toBe(
      "FORBIDDEN",
    );
    expect(await code((await as(w.approver1)).approvals.addFreezeWindow({ environmentId: w.envs.dev.id, kind: "range" } as never))).toBe("FORBIDDEN");
    const dev = await as(w.developer);
    await expect(dev.deployments.create(requestInput(w, "dev", "not a version!"))).rejects.toMatchObject({ code: "BAD_REQUEST", cause: { field: "version" } });
    await expect(dev.deployments.create(requestInput(w, "dev", "1.1.0", { ticketKey: "abc" }))).rejects.toMatchObject({ cause: { field: "ticketKey" } });
    await expect(dev.deployments.create(requestInput(w, "dev", "1.1.0", { strategy: "canary", canarySteps: [50, 10] }))).rejects.toMatchObject({
      cause: { field: "canarySteps" },
    });
    await expect(dev.deployments.create(requestInput(w, "dev", "1.1.0", { scheduledUntil: new Date(Date.now() - 1000) }))).rejects.toMatchObject({
      cause: { field: "scheduledUntil" },
    });
    await expect(dev.deployments.create(requestInput(w, "dev", "1.1.0", { summary: "" }))).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("enforces the promotion rule and explains it; succeeds once the version ran in the previous stage", async () => {
    const w = await makeWorld({ policies: { dev: { requiredApprovals: 0 }, staging: { requiredApprovals: 1 }, prod: { requiredApprovals: 2 } } });
    const dev = await as(w.developer);
    const preview = await dev.deployments.preview({ serviceId: w.service.id, environmentId: w.envs.prod.id, version: "2.0.0" });
    expect(preview.promotion).toMatchObject({ ok: false, reason: expect.stringMatching(/2\.0\.0 has not succeeded in staging yet/) });
    expect(preview.policy.requiredApprovals).toBe(2);
    await expect(dev.deployments.create(requestInput(w, "prod", "2.0.0"))).rejects.toMatchObject({ code: "PRECONDITION_FAILED", cause: { field: "version" } });
    // dev is the first stage: no rule. 0 approvals → queued at once.
    const first = await dev.deployments.create(requestInput(w, "dev", "2.0.0"));
    expect((await getDb().deploymentRequest.findUniqueOrThrow({ where: { id: first.id } })).status).toBe("queued");
    // Staging needs 2.0.0 in dev: simulate its success.
    await getDb().deploymentRequest.update({ where: { id: first.id }, data: { status: "succeeded" } });
    const staging = await dev.deployments.create(requestInput(w, "staging", "2.0.0", { ticketKey: "PAY-42" }));
    const r = await getDb().deploymentRequest.findUniqueOrThrow({ where: { id: staging.id } });
    expect(r).toMatchObject({ status: "pending_approval", approvalsRequired: 1, previousVersion: "1.0.0", ticketKey: "PAY-42" });
    expect((r.policySnapshot as { requiredApprovals: number }).requiredApprovals).toBe(1);
  });

  it("announces the request with the data notifications and DORA rely on", async () => {
    const w = await makeWorld({ policies: { dev: { requiredApprovals: 1 } } });
    const { id } = await (await as(w.developer)).deployments.create(requestInput(w, "dev", "1.1.0"));
    const row = await getDb().outboxEvent.findFirstOrThrow({
      where: { type: "deployment.requested", payload: { path: ["subject", "deploymentRequestId"], equals: id } },
    });
    const event = row.payload as unknown as PierEvent;
    expect(event.subject).toMatchObject({
      service: { id: w.service.id, slug: w.service.slug, teamId: w.team.id, tier: 1 },
      environment: { id: w.envs.dev.id, name: "dev" },
      deploymentRequestId: id,
    });
    expect(event.data).toMatchObject({
      requestId: id,
      version: "1.1.0",
      previousVersion: "1.0.0",
      requesterId: w.developer.id,
      strategy: "rolling",
      breakGlass: false,
      url: expect.stringMatching(new RegExp(`/deployments/${id}$`)),
    });
    const eligible = event.data.eligibleApproverIds as string[];
    expect(eligible).toEqual(expect.arrayContaining([w.approver1.id, w.approver2.id, w.admin.id]));
    expect(eligible).not.toContain(w.developer.id);
    expect(event.labels).toMatchObject({ type: "deployment.requested", service: w.service.slug, environment: "dev" });
    const audit = await getDb().auditEvent.findMany({ where: { subjectId: id }, orderBy: { seq: "asc" } });
    expect(audit.map((a) => a.action)).toEqual(["deployment.created", "deployment.pending_approval"]);
  });

  it("cancel: requester or team while not started; others refused; a second cancel conflicts", async () => {
    const w = await makeWorld({ policies: { dev: { requiredApprovals: 1 } } });
    const { id } = await (await as(w.developer)).deployments.create(requestInput(w, "dev", "1.1.0"));
    await expect((await as(w.outsider)).deployments.cancel({ id })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await (await as(w.developer)).deployments.cancel({ id, reason: "wrong version" })).toMatchObject({ status: "cancelled" });
    await expect((await as(w.admin)).deployments.cancel({ id })).rejects.toMatchObject({ code: "CONFLICT" });
    expect(await getDb().outboxEvent.count({ where: { type: "deployment.cancelled" } })).toBe(1);
  });

  it("list filters and the request page", async () => {
    const w = await makeWorld({ policies: { dev: { requiredApprovals: 1 } } });
    const dev = await as(w.developer);
    const a = await dev.deployments.create(requestInput(w, "dev", "1.1.0"));
    await dev.deployments.create(requestInput(w, "dev", "1.2.0"));
    await dev.deployments.cancel({ id: a.id });
    const all = await dev.deployments.list({ serviceId: w.service.id });
    expect(all.items.map((i) => i.version)).toEqual(["1.2.0", "1.1.0"]);
    expect((await dev.deployments.list({ serviceId: w.service.id, status: "cancelled" })).items.map((i) => i.id)).toEqual([a.id]);
    expect((await dev.deployments.list({ requesterId: w.approver1.id })).items).toEqual([]);
    const page1 = await dev.deployments.list({ serviceId: w.service.id, limit: 1 });
    const page2 = await dev.deployments.list({ serviceId: w.service.id, limit: 1, cursor: page1.nextCursor! });
    expect(page2.items.map((i) => i.version)).toEqual(["1.1.0"]);
    const page = await (await as(w.approver1)).deployments.get({ id: a.id });
    expect(page.timeline.map((t) => t.label)).toEqual(["Created", "Requested", "Cancelled"]);
    expect(page.can).toMatchObject({ decide: false, cancel: false, rollback: false });
    const options = await dev.deployments.formOptions();
    expect(options.find((s) => s.id === w.service.id)?.environments.map((e) => e.name)).toEqual(["dev", "staging", "prod"]);
    expect(await (await as(w.outsider)).deployments.formOptions()).toEqual([]);
  });
});

describe("versions and risk", () => {
  it("parses semver, shas, image tags and refs; refuses junk", () => {
    expect(parseVersion("v1.2.3")).toMatchObject({ kind: "semver", major: 1, minor: 2, patch: 3 });
    expect(parseVersion("1.2.3-rc.1+build.5")).toMatchObject({ kind: "semver", prerelease: "rc.1" });
    expect(parseVersion("3484a3fb816e0859fd6e1cea078d76385ff50625")?.kind).toBe("sha");
    expect(parseVersion("build-512")?.kind).toBe("tag");
    expect(parseVersion("release/2026-11")?.kind).toBe("ref");
    for (const bad of ["", "has space", "release/a..b", "-rf", "x".repeat(300), "feature//x"]) expect(parseVersion(bad)).toBeNull();
    expect(versionJump("1.2.3", "2.0.0")).toBe("major");
    expect(versionJump("1.2.3", "1.3.0")).toBe("minor");
    expect(versionJump("1.2.3", "1.2.4")).toBe("patch");
    expect(versionJump("1.2.3", "1.2.3")).toBe("same");
    expect(versionJump("1.2.3", "1.1.0")).toBe("downgrade");
    expect(versionJump(null, "1.0.0")).toBe("first");
    expect(versionJump("build-1", "build-2")).toBe("unknown");
  });

  it("scores risk from environment, tier, jump, failure rate and timing, with reasons", () => {
    const base = { environment: { name: "prod", isProduction: true, rank: 30 }, tier: 1, fromVersion: "1.9.0", toVersion: "2.0.0", freezeWindows: [] };
    const risky = assessRisk({ ...base, cfr: { finished: 4, failed: 2, rate: 0.5 }, at: new Date("2026-11-28T23:00:00Z") });
    expect(risky.level).toBe("high");
    expect(risky.score).toBe(100);
    expect(risky.reasons.map((r) => r.factor)).toEqual(["environment", "tier", "version", "change failure rate", "timing"]);
    expect(risky.reasons.find((r) => r.factor === "change failure rate")?.detail).toBe("2 of 4 deployments failed or were rolled back in the last 30 days");
    const calm = assessRisk({
      ...base,
      environment: { name: "dev", isProduction: false, rank: 10 },
      tier: 3,
      fromVersion: "1.0.0",
      toVersion: "1.0.1",
      cfr: { finished: 0, failed: 0, rate: 0 },
      at: new Date("2026-11-25T10:00:00Z"),
    });
    expect(calm).toEqual({ score: 2, level: "low", reasons: [{ factor: "version", points: 2, detail: "patch release 1.0.0 → 1.0.1" }] });
  });
});
