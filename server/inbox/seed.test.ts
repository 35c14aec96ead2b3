import { describe, expect, it } from "vitest";
import { getDb } from "../db";
import { seedIdentity } from "../../prisma/seed/identity";
import { seedCatalog } from "../../prisma/seed/catalog";
import { seedDeployments } from "../../prisma/seed/deployments";
import { seedInbox } from "../../prisma/seed/inbox";
import { callerFor } from "../../test/support/factories";

describe("inbox demo seed", () => {
  it("gives Dana her seeded requests' outcomes, once however often it runs", async () => {
    const db = getDb();
    const { teamIds } = await seedIdentity(db);
    await seedCatalog(db, teamIds);
    await seedDeployments(db);
    await seedInbox(db);
    await seedInbox(db);
    const dana = await callerFor("demo-dana");
    const { items, unread } = await dana.inbox.list();
    expect(items.map((i) => i.kind).sort()).toEqual([
      "deployment_failed",
      "deployment_failed",
      "deployment_finished",
      "deployment_finished",
      "request_decided",
    ]);
    expect(unread).toBe(5);
    expect(items[0].href).toMatch(/^\/deployments\/seed-dr-/);
  });
});
