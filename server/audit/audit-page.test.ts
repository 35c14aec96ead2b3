// What the audit page shows: each record's changed fields (not raw JSON), subjects by name with links, and the
// chain's verification state for approvers.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getDb, transaction } from "../db";
import { resetEnvForTests } from "../env";
import { asSuperuser, wipeAuditLog } from "../../test/support/audit-tampering";
import { callerFor, callerWithRole, makeTeam, makeUser } from "../../test/support/factories";
import { recordAudit } from "./audit-log";
import { auditDiff, diffValue } from "./audit-diff";
import { checkAuditChain } from "./chain-check";

const saved = process.env.PIER_AUDIT_CHECKPOINT_KEY;
beforeAll(() => {
  process.env.PIER_AUDIT_CHECKPOINT_KEY = "test-checkpoint-key-0123456789abcdef0123456789";
  resetEnvForTests();
});
afterAll(() => {
  if (saved === undefined) delete process.env.PIER_AUDIT_CHECKPOINT_KEY;
  else process.env.PIER_AUDIT_CHECKPOINT_KEY = saved;
  resetEnvForTests();
});
beforeEach(() => wipeAuditLog());

const actor = { id: null, label: "test" };

describe("audit diff", () => {
  it("lists changed, added and removed fields, nested by path, and nothing unchanged", () => {
    const { entries, truncated } = auditDiff(
      { name: "Checkout", tier: 2, tags: ["a"], policy: { required: 1, role: "approver" }, gone: "x" },
      { name: "Checkout", tier: 1, tags: ["a", "b"], policy: { required: 2, role: "approver" }, owner: "payments" },
    );
    expect(entries).toEqual([
      { path: "tier", kind: "changed", before: 2, after: 1 },
      { path: "tags", kind: "changed", before: ["a"], after: ["a", "b"] },
      { path: "policy.required", kind: "changed", before: 1, after: 2 },
      { path: "gone", kind: "removed", before: "x" },
      { path: "owner", kind: "added", after: "payments" },
    ]);
    expect(truncated).toBe(false);
    expect(auditDiff(null, { decision: "approve" }).entries).toEqual([{ path: "decision", kind: "added", after: "approve" }]);
    expect(auditDiff(null, null).entries).toEqual([]);
    expect(auditDiff(1, 2).entries).toEqual([{ path: "value", kind: "changed", before: 1, after: 2 }]);
    expect(diffValue("x".repeat(500)).length).toBe(160);
    expect(diffValue({ a: 1 })).toBe('{"a":1}');
    expect(diffValue("")).toBe('""');
  });
});

describe("audit page API", () => {
  it("names subjects with links and gives each record its diff", async () => {
    const team = await makeTeam("Payments");
    const dana = await makeUser("developer", [team.id]);
    const service = await getDb().service.create({ data: { slug: `ledger-${Date.now()}`, name: "Ledger", teamId: team.id } });
    const env = await getDb().environment.upsert({ where: { name: "prod" }, update: {}, create: { name: "prod", rank: 30, isProduction: true } });
    const request = await getDb().deploymentRequest.create({ data: { serviceId: service.id, environmentId: env.id, version: "2.0.0", requesterId: dana.id } });
    const incident = await getDb().incident.create({ data: { serviceId: service.id, title: "Down", detectedAt: new Date(), source: "pier" } });
    await transaction(getDb(), async (tx) => {
      recordAudit(tx, { actor, action: "catalog.service_updated", subjectType: "service", subjectId: service.id, before: { tier: 2 }, after: { tier: 1 } });
      recordAudit(tx, { actor, action: "team.changed", subjectType: "team", subjectId: team.id, after: { name: "Payments" } });
      recordAudit(tx, {
        actor,
        action: "user.role_changed",
        subjectType: "user",
        subjectId: dana.id,
        before: { role: "developer" },
        after: { role: "approver" },
      });
      recordAudit(tx, { actor, action: "thing.changed", subjectType: "thing", subjectId: "t1", after: { n: 1 } });
      recordAudit(tx, {
        actor,
        action: "deployment.requested",
        subjectType: "deployment_request",
        subjectId: request.id,
        after: { status: "pending_approval" },
      });
      recordAudit(tx, { actor, action: "incident.declared", subjectType: "incident", subjectId: incident.id, after: { title: "Down" } });
    });
    const { caller } = await callerWithRole("approver");
    const page = await caller.audit.events({});
    const by = (action: string) => page.items.find((i) => i.action === action)!;
    expect(by("catalog.service_updated")).toMatchObject({
      subject: { label: "Ledger", href: `/services/${service.slug}` },
      diff: { entries: [{ path: "tier", kind: "changed", before: 2, after: 1 }] },
    });
    expect(by("team.changed").subject).toEqual({ label: "Payments", href: `/teams/${team.slug}` });
    expect(by("user.role_changed").subject?.label).toBe(dana.name);
    expect(by("thing.changed").subject).toBeNull();
    expect(by("deployment.requested").subject).toEqual({ label: "Ledger 2.0.0 → prod", href: `/deployments/${request.id}` });
    expect(by("incident.declared").subject).toEqual({ label: "Down", href: `/services/${service.slug}` });
  });

  it("tells approvers whether the chain verified; developers and anonymous callers are refused", async () => {
    const { caller } = await callerWithRole("approver");
    expect(await caller.audit.chainSummary()).toMatchObject({ state: "unverified", verifiedAt: null });
    await transaction(getDb(), async (tx) => {
      for (let i = 0; i < 3; i++) recordAudit(tx, { actor, action: "thing.changed", subjectType: "thing", subjectId: `t${i}`, after: { n: i } });
    });
    await checkAuditChain(getDb(), "full");
    expect(await caller.audit.chainSummary()).toMatchObject({ state: "verified", checked: 3, mode: "full", brokenAtSeq: null });

    const rows = await getDb().kysely.selectFrom("AuditEvent").select("seq").orderBy("seq").execute();
    await asSuperuser((tx) => tx.deleteFrom("AuditEvent").where("seq", "=", rows[1].seq).execute());
    await checkAuditChain(getDb(), "full");
    expect(await caller.audit.chainSummary()).toMatchObject({ state: "broken", brokenAtSeq: rows[2].seq });

    await expect((await callerWithRole("developer")).caller.audit.chainSummary()).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect((await callerFor(null)).audit.chainSummary()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect((await callerWithRole("developer")).caller.audit.events({})).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});
