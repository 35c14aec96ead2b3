import { describe, expect, it } from "vitest";
import { getDb } from "../db";
import { seedIdentity } from "../../prisma/seed/identity";
import { seedCatalog } from "../../prisma/seed/catalog";
import { seedDeployments } from "../../prisma/seed/deployments";
import { callerFor } from "../test-support/factories";

describe("deployments demo seed", () => {
  it("seeds policies, history and fast simulator runs, idempotently", async () => {
    const db = getDb();
    const { teamIds } = await seedIdentity(db);
    await seedCatalog(db, teamIds);
    await seedDeployments(db);
    await seedDeployments(db);
    const policies = await db.approvalPolicy.findMany({ include: { environment: true }, orderBy: { environment: { rank: "asc" } } });
    expect(policies.map((p) => [p.environment.name, p.requiredApprovals])).toEqual([["dev", 0], ["staging", 1], ["prod", 2]]);
    expect(await db.deploymentRequest.count({ where: { id: { startsWith: "seed-dr-" } } })).toBe(5);
    const checkout = await db.service.findUniqueOrThrow({ where: { slug: "checkout-api" }, include: { environments: true } });
    expect(checkout.environments.every((e) => (e.executorConfig as { failureRate?: number }).failureRate === 0)).toBe(true);
    const dana = await callerFor("demo-dana");
    const history = await dana.deployments.list({ serviceId: checkout.id });
    expect(history.items.map((i) => i.status)).toEqual(["succeeded", "succeeded"]);
  });
});
