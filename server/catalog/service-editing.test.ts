import { TRPCError } from "@trpc/server";
import { beforeAll, describe, expect, it } from "vitest";
import { getDb } from "../db";
import { verifyAuditChain } from "../audit/audit-log";
import { callerFor, callerWithRole, makeTeam, makeUser } from "../../test/support/factories";
import { makeService, outcome } from "../../test/support/catalog-builders";

let owners: { id: string; slug: string };
let others: { id: string; slug: string };

beforeAll(async () => {
  owners = await makeTeam("Owners");
  others = await makeTeam("Others");
});

async function matrix() {
  return {
    admin: (await callerWithRole("admin")).caller,
    ownerDeveloper: (await callerWithRole("developer", [owners.id])).caller,
    otherDeveloper: (await callerWithRole("developer", [others.id])).caller,
    otherApprover: (await callerWithRole("approver", [others.id])).caller,
    anonymous: await callerFor(null),
  };
}

const codeOf = async (p: Promise<unknown>) => {
  try {
    await p;
    return "OK";
  } catch (e) {
    return e instanceof TRPCError ? e.code : String(e);
  }
};

describe("editing authorization", () => {
  it("lets admins and owning-team members edit; refuses everyone else", async () => {
    const who = await matrix();
    const svc = await makeService(owners.id);
    const results: Record<string, string> = {};
    for (const [name, caller] of Object.entries(who)) {
      results[name] = await codeOf(caller.catalog.update({ slug: svc.slug, changes: { description: `edited by ${name}` } }));
    }
    expect(results).toEqual({ admin: "OK", ownerDeveloper: "OK", otherDeveloper: "FORBIDDEN", otherApprover: "FORBIDDEN", anonymous: "UNAUTHORIZED" });
    const after = await getDb().service.findUniqueOrThrow({ where: { id: svc.id } });
    expect(after.description).toBe("edited by ownerDeveloper");
  });

  it("applies the same rule to create, deprecate and dependencies", async () => {
    const who = await matrix();
    const target = await makeService(others.id);
    const cases = {
      create: (c: typeof who.admin, n: string) => c.catalog.create({ slug: `new-${n.toLowerCase()}`, name: `New ${n}`, teamSlug: owners.slug }),
      deprecate: async (c: typeof who.admin) => c.catalog.deprecate({ slug: (await makeService(owners.id)).slug }),
      addDependency: async (c: typeof who.admin) => c.catalog.addDependency({ fromSlug: (await makeService(owners.id)).slug, toSlug: target.slug }),
      removeDependency: async (c: typeof who.admin) => {
        const from = await makeService(owners.id);
        await getDb().serviceDependency.create({ data: { fromServiceId: from.id, toServiceId: target.id } });
        return c.catalog.removeDependency({ fromSlug: from.slug, toSlug: target.slug });
      },
    };
    for (const [action, run] of Object.entries(cases)) {
      const got: Record<string, string> = {};
      for (const [name, caller] of Object.entries(who)) got[name] = await codeOf(run(caller, name));
      expect({ action, ...got }).toEqual({
        action,
        admin: "OK",
        ownerDeveloper: "OK",
        otherDeveloper: "FORBIDDEN",
        otherApprover: "FORBIDDEN",
        anonymous: "UNAUTHORIZED",
      });
    }
  });

  it("hands a service to another team only when the editor may act for that team too", async () => {
    const svc = await makeService(owners.id);
    const member = (await callerWithRole("developer", [owners.id])).caller;
    const refused = await outcome(member.catalog.update({ slug: svc.slug, changes: { teamSlug: others.slug } }));
    expect(refused).toMatchObject({ code: "FORBIDDEN", errors: { teamSlug: [expect.stringContaining("Others")] } });
    const both = (await callerWithRole("developer", [owners.id, others.id])).caller;
    const moved = await both.catalog.update({ slug: svc.slug, changes: { teamSlug: others.slug } });
    expect(moved.team.slug).toBe(others.slug);
    // Now the old team's members are refused.
    await expect(member.catalog.update({ slug: svc.slug, changes: { name: "x" } })).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});

describe("editing", () => {
  it("writes the change, an audit record and a catalog.service_changed event in one go", async () => {
    const db = getDb();
    const user = await makeUser("developer", [owners.id]);
    const caller = await callerFor(user.id);
    const created = await caller.catalog.create({
      slug: "billing-api",
      name: "Billing API",
      teamSlug: owners.slug,
      tier: 1,
      tags: ["PCI", "java"],
      links: [{ title: "Dashboard", url: "https://grafana.example/d/billing" }],
      repositoryUrl: "",
    });
    expect(created).toMatchObject({ slug: "billing-api", tier: 1, lifecycle: "experimental", tags: ["pci", "java"], repositoryUrl: null });
    await caller.catalog.update({ slug: "billing-api", changes: { description: "Bills people", tier: 2 } });
    await caller.catalog.deprecate({ slug: "billing-api" });

    const audits = await db.auditEvent.findMany({ where: { subjectId: created.id }, orderBy: { seq: "asc" } });
    expect(audits.map((a) => a.action)).toEqual(["catalog.service_created", "catalog.service_updated", "catalog.service_deprecated"]);
    expect(audits[1]).toMatchObject({
      actorId: user.id,
      before: expect.objectContaining({ tier: 1, description: "" }),
      after: expect.objectContaining({ tier: 2 }),
    });
    const events = await db.outboxEvent.findMany({ where: { type: "catalog.service_changed" }, orderBy: { createdAt: "asc" } });
    const mine = events
      .map((e) => e.payload as { subject: { service: { slug: string } }; data: { change: string; fields?: string[] }; labels: Record<string, string> })
      .filter((p) => p.subject.service.slug === "billing-api");
    expect(mine.map((p) => p.data.change)).toEqual(["created", "updated", "deprecated"]);
    expect(mine[1].data.fields?.sort()).toEqual(["description", "tier"]);
    expect(mine[0].labels).toMatchObject({ service: "billing-api", team: owners.slug, type: "catalog.service_changed" });
    expect((await verifyAuditChain(db)).ok).toBe(true);
  });

  it("reports bad input next to the field, never as a 500", async () => {
    const { caller } = await callerWithRole("admin");
    const bad = async (p: Promise<unknown>) => {
      const { code, fields } = await outcome(p);
      return { code, fields };
    };
    expect(await bad(caller.catalog.create({ slug: "Bad Slug", name: "", teamSlug: owners.slug }))).toEqual({ code: "BAD_REQUEST", fields: ["slug", "name"] });
    expect(await bad(caller.catalog.create({ slug: "ok-slug", name: "Ok", teamSlug: "nope" }))).toEqual({ code: "BAD_REQUEST", fields: ["teamSlug"] });
    expect(await bad(caller.catalog.create({ slug: "ok-slug", name: "Ok", teamSlug: owners.slug, runbookUrl: "javascript:alert(1)" }))).toMatchObject({
      code: "BAD_REQUEST",
      fields: ["runbookUrl"],
    });
    const existing = await makeService(owners.id);
    expect(await bad(caller.catalog.create({ slug: existing.slug, name: "Dup", teamSlug: owners.slug }))).toEqual({ code: "CONFLICT", fields: ["slug"] });
    expect(await bad(caller.catalog.update({ slug: "missing", changes: { name: "x" } }))).toEqual({ code: "NOT_FOUND", fields: [] });
    expect(await bad(caller.catalog.addDependency({ fromSlug: existing.slug, toSlug: existing.slug }))).toEqual({ code: "BAD_REQUEST", fields: ["toSlug"] });
    expect(await bad(caller.catalog.addDependency({ fromSlug: existing.slug, toSlug: "missing" }))).toEqual({ code: "BAD_REQUEST", fields: ["toSlug"] });
    const other = await makeService(others.id);
    await caller.catalog.addDependency({ fromSlug: existing.slug, toSlug: other.slug, kind: "data" });
    expect(await bad(caller.catalog.addDependency({ fromSlug: existing.slug, toSlug: other.slug }))).toEqual({ code: "CONFLICT", fields: ["toSlug"] });
    expect(await bad(caller.catalog.removeDependency({ fromSlug: other.slug, toSlug: existing.slug }))).toEqual({ code: "NOT_FOUND", fields: [] });
  });
});

describe("environments", () => {
  it("lists in promotion order; only admins add, with clear conflicts", async () => {
    const admin = (await callerWithRole("admin")).caller;
    const dev = (await callerWithRole("developer")).caller;
    await expect(dev.catalog.createEnvironment({ name: "qa", rank: 15 })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await admin.catalog.createEnvironment({ name: "dev", rank: 10 });
    await admin.catalog.createEnvironment({ name: "prod", rank: 30, isProduction: true });
    const qa = await admin.catalog.createEnvironment({ name: "QA", rank: 15 });
    expect(qa).toMatchObject({ name: "qa", rank: 15, isProduction: false });
    await expect(admin.catalog.createEnvironment({ name: "qa", rank: 16 })).rejects.toMatchObject({ code: "CONFLICT" });
    expect(await outcome(admin.catalog.createEnvironment({ name: "uat", rank: 15 }))).toMatchObject({
      code: "CONFLICT",
      errors: { rank: [expect.stringContaining("qa")] },
    });
    expect((await dev.catalog.environments()).map((e) => e.name)).toEqual(["dev", "qa", "prod"]);
    const audit = await getDb().auditEvent.findFirst({ where: { action: "catalog.environment_created", subjectId: qa.id } });
    expect(audit?.after).toMatchObject({ name: "qa" });
  });
});
