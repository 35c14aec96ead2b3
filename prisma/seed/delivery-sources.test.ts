// The demo's Jenkins, Jira and custom-source events land where a newcomer looks: the ledger's runs and its staging
// deployment from the deploy job, the requests' ticket statuses, a Jira incident on the ledger, and the release bot's
// mapped deployment; seeding again adds nothing.
import { describe, expect, it } from "vitest";
import { getDb } from "../../server/db";
import { seedCatalog } from "./catalog";
import { seedDeliverySources } from "./delivery-sources";
import { seedIdentity } from "./identity";

describe("seedDeliverySources", () => {
  it("seeds Jenkins runs and a deployment, Jira tickets and an incident, and a custom source's deployment, once", async () => {
    const db = getDb();
    const { teamIds } = await seedIdentity(db);
    await seedCatalog(db, teamIds);
    expect(await seedDeliverySources(db)).toMatchObject({ events: 8, custom: 1 });
    const ledger = await db.service.findUniqueOrThrow({ where: { slug: "ledger" } });
    expect(await db.pipelineRun.findMany({ where: { serviceId: ledger.id }, select: { status: true } })).toEqual([{ status: "succeeded" }]);
    expect(await db.deployment.findFirstOrThrow({ where: { source: "jenkins" } })).toMatchObject({ serviceId: ledger.id, environmentName: "staging" });
    expect(await db.jiraTicket.findUniqueOrThrow({ where: { key: "PAY-142" } })).toMatchObject({ status: "In Progress" });
    expect(await db.incident.findFirstOrThrow({ where: { source: "jira", externalId: "PAY-150" } })).toMatchObject({
      serviceId: ledger.id,
      severity: "critical",
    });
    expect(await db.deployment.findFirstOrThrow({ where: { source: "cdevents", externalId: "release-bot-r-2291" } })).toMatchObject({
      serviceName: "recommendations",
      environmentName: "dev",
      version: "2.14.0",
    });
    expect(await db.deploymentMigration.findFirstOrThrow({ where: { externalId: "seed-migration-checkout-190" } })).toMatchObject({
      version: "1.9.0",
      environmentName: "prod",
    });
    expect(await seedDeliverySources(db)).toEqual({ skipped: "already seeded" });
  });
});
