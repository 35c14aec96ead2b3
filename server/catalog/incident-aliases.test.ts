// Incident aliases on the service page: who may edit them (owners and admins), the audit record of each edit,
// field errors for bad input, one service per alias, and an incident from PagerDuty filed by the alias.
import { beforeAll, describe, expect, it } from "vitest";
import { getDb, transaction } from "../db";
import { verifyAuditChain } from "../audit/audit-log";
import { recordIncident } from "../dora/canonical";
import { callerFor, callerWithRole, makeTeam } from "../../test/support/factories";
import { makeService, outcome } from "../../test/support/catalog-builders";

let owners: { id: string };
let others: { id: string };

beforeAll(async () => {
  owners = await makeTeam("Owners");
  others = await makeTeam("Others");
});

describe("incident aliases", () => {
  it("may be edited by admins and the owning team only, each edit audited", async () => {
    const svc = await makeService(owners.id);
    const who = {
      admin: (await callerWithRole("admin")).caller,
      ownerDeveloper: (await callerWithRole("developer", [owners.id])).caller,
      otherDeveloper: (await callerWithRole("developer", [others.id])).caller,
      otherApprover: (await callerWithRole("approver", [others.id])).caller,
      anonymous: await callerFor(null),
    };
    const results: Record<string, string> = {};
    for (const [name, caller] of Object.entries(who))
      results[name] = (await outcome(caller.catalog.setIncidentAliases({ slug: svc.slug, aliases: [`P-${name.toUpperCase()}`] }))).code;
    expect(results).toEqual({ admin: "OK", ownerDeveloper: "OK", otherDeveloper: "FORBIDDEN", otherApprover: "FORBIDDEN", anonymous: "UNAUTHORIZED" });
    const after = await getDb().service.findUniqueOrThrow({ where: { id: svc.id } });
    expect(after.incidentAliases).toEqual(["P-OWNERDEVELOPER"]);
    const audits = await getDb().auditEvent.findMany({ where: { subjectId: svc.id, action: "catalog.service_updated" }, orderBy: { seq: "asc" } });
    expect(audits.map((a) => [a.before, a.after])).toEqual([
      [{ incidentAliases: [] }, { incidentAliases: ["P-ADMIN"] }],
      [{ incidentAliases: ["P-ADMIN"] }, { incidentAliases: ["P-OWNERDEVELOPER"] }],
    ]);
    expect((await verifyAuditChain(getDb())).ok).toBe(true);
    // The service page shows them.
    expect((await who.otherDeveloper.catalog.service({ slug: svc.slug })).incidentAliases).toEqual(["P-OWNERDEVELOPER"]);
  });

  it("reports bad input and an alias another service holds next to the field, writing nothing", async () => {
    const { caller } = await callerWithRole("admin");
    const svc = await makeService(owners.id);
    const holder = await makeService(others.id);
    await caller.catalog.setIncidentAliases({ slug: holder.slug, aliases: ["PTAKEN1"] });
    expect(await outcome(caller.catalog.setIncidentAliases({ slug: svc.slug, aliases: ["  "] }))).toMatchObject({ code: "BAD_REQUEST", fields: ["aliases"] });
    expect(await outcome(caller.catalog.setIncidentAliases({ slug: svc.slug, aliases: ["x".repeat(101)] }))).toMatchObject({ code: "BAD_REQUEST" });
    const taken = await outcome(caller.catalog.setIncidentAliases({ slug: svc.slug, aliases: ["PFREE", "PTAKEN1"] }));
    expect(taken).toMatchObject({ code: "BAD_REQUEST", fields: ["aliases"] });
    expect(taken.errors.aliases?.[0]).toContain(holder.slug);
    expect(await outcome(caller.catalog.setIncidentAliases({ slug: "no-such-service", aliases: [] }))).toMatchObject({ code: "NOT_FOUND" });
    expect((await getDb().service.findUniqueOrThrow({ where: { id: svc.id } })).incidentAliases).toEqual([]);
  });

  it("files an incident tool's incident under the service whose alias it names", async () => {
    const { caller } = await callerWithRole("admin");
    const svc = await makeService(owners.id);
    await caller.catalog.setIncidentAliases({ slug: svc.slug, aliases: ["PXYZ987", "PXYZ987", "Checkout (PagerDuty)"] });
    expect((await getDb().service.findUniqueOrThrow({ where: { id: svc.id } })).incidentAliases).toEqual(["PXYZ987", "Checkout (PagerDuty)"]);
    const incident = await transaction(getDb(), (tx) =>
      recordIncident(tx, { source: "pagerduty", externalId: "Q1", title: "Checkout down", serviceRef: "PXYZ987", detectedAt: new Date() }),
    );
    expect(incident).toMatchObject({ serviceId: svc.id, serviceName: svc.slug });
  });
});
