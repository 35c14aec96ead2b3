import { describe, expect, it } from "vitest";
import { getDb, sql } from "../db";
import { seedIdentity } from "../../prisma/seed/identity";
import { seedCatalog } from "../../prisma/seed/catalog";
import { seedDeployments } from "../../prisma/seed/deployments";
import { verifyAuditChain } from "../audit/audit-log";
import { buildEvidence } from "./evidence";
import { callerFor } from "../../test/support/factories";
import { asSuperuser } from "../../test/support/audit-tampering";

const worker = "system:deployment-worker";

async function seed() {
  const db = getDb();
  const { teamIds } = await seedIdentity(db);
  await seedCatalog(db, teamIds);
  await seedDeployments(db);
}

describe("deployments demo seed", () => {
  it("seeds policies, history and fast simulator runs, idempotently", async () => {
    const db = getDb();
    await seed();
    await seedDeployments(db);
    const policies = await db.approvalPolicy.findMany({ include: { environment: true }, orderBy: { environment: { rank: "asc" } } });
    expect(policies.map((p) => [p.environment.name, p.requiredApprovals])).toEqual([
      ["dev", 0],
      ["staging", 1],
      ["prod", 2],
    ]);
    expect(await db.deploymentRequest.count({ where: { id: { startsWith: "seed-dr-" } } })).toBe(5);
    const checkout = await db.service.findUniqueOrThrow({ where: { slug: "checkout-api" }, include: { environments: true } });
    expect(checkout.environments.every((e) => (e.executorConfig as { failureRate?: number }).failureRate === 0)).toBe(true);
    const dana = await callerFor("demo-dana");
    const history = await dana.deployments.list({ serviceId: checkout.id });
    expect(history.items.map((i) => i.status)).toEqual(["succeeded", "succeeded"]);
  });

  it("gives every historical request the audit trail of the real flow, at its own times, appended once", async () => {
    const db = getDb();
    await seed();
    const records = await db.auditEvent.count();
    expect(records).toBeGreaterThan(30);
    await seed();
    expect(await db.auditEvent.count()).toBe(records);
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true, checked: records });

    const dana = await callerFor("demo-dana");
    const prod = await dana.deployments.get({ id: "seed-dr-checkout-2" });
    expect(prod.timeline.map((t) => [t.label, t.actor])).toEqual([
      ["Created", "Dana"],
      ["Requested", "Dana"],
      ["Approved (1 of 2)", "Alex"],
      ["Approved (2 of 2)", "Priya"],
      ["Approved", "Priya"],
      ["Queued", "system:scheduler"],
      ["Started", worker],
      ["Succeeded", worker],
    ]);
    const [alex, priya] = prod.approvals.map((a) => a.createdAt);
    expect(prod.timeline.map((t) => t.at)).toEqual([prod.createdAt, prod.createdAt, alex, priya, priya, prod.queuedAt, prod.startedAt, prod.finishedAt]);
    expect(prod.createdAt.getTime()).toBeLessThan(Date.now() - 10 * 86400_000);
    expect(prod.timeline.at(-1)?.detail).toBe("Health checks passed");
    expect(prod.revision).toBe(6);

    const rejected = await dana.deployments.get({ id: "seed-dr-signup-1" });
    expect(rejected.timeline.map((t) => t.label)).toEqual(["Created", "Requested", "Rejected", "Rejected"]);
    expect(rejected.timeline.at(-1)).toMatchObject({ actor: "Alex", detail: "Needs a load test first", at: rejected.finishedAt });
    expect((await dana.deployments.get({ id: "seed-dr-gateway-1" })).timeline.map((t) => t.label).slice(-3)).toEqual(["Started", "Succeeded", "Rolled back"]);
    expect((await dana.deployments.get({ id: "seed-dr-storefront-1" })).timeline.at(-1)).toMatchObject({ label: "Failed", detail: "Health checks failed" });

    const evidence = await buildEvidence(db, { from: new Date(Date.now() - 30 * 86400_000), to: new Date() });
    expect(evidence.auditChain.ok).toBe(true);
    const staging = evidence.records.find((r) => r.requestId === "seed-dr-checkout-1");
    expect(staging?.auditTrail.map((a) => a.action)).toEqual([
      "deployment.created",
      "deployment.pending_approval",
      "approval.recorded",
      "deployment.approved",
      "deployment.queued",
      "deployment.deploying",
      "deployment.succeeded",
    ]);
  });

  it("fills in the trail of requests seeded before the seed wrote trails, once", async () => {
    const db = getDb();
    await seed();
    const records = await db.auditEvent.count();
    // A database seeded by an earlier version: the requests, no audit records (and so no chain head).
    await asSuperuser(async (tx) => {
      await sql`DELETE FROM "AuditEvent"`.execute(tx);
      await sql`DELETE FROM "AuditHead"`.execute(tx);
    });
    await seedDeployments(db);
    await seedDeployments(db);
    expect(await db.auditEvent.count()).toBe(records);
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true, checked: records });
    // One append, oldest first: the chain runs in time order.
    const times = (await db.auditEvent.findMany({ orderBy: { seq: "asc" }, select: { createdAt: true } })).map((r) => r.createdAt.getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });
});
