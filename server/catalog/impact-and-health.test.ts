import { describe, expect, it } from "vitest";
import { getDb } from "../db";
import { callerFor, callerWithRole, makeTeam, makeUser } from "../../test/support/factories";
import { impactOf } from "./impact";
import { ownershipHealth } from "./ownership-health";
import { getServiceBySlug } from "./service-summary";
import { dependsOn, makeService } from "../../test/support/catalog-builders";

describe("impact view", () => {
  it("finds every transitive dependent and ends on cycles", async () => {
    const team = await makeTeam();
    const [db, api, web, mobile, batch, leaf] = await Promise.all(
      ["db", "api", "web", "mobile", "batch", "leaf"].map((n) => makeService(team.id, { slug: `imp-${n}`, name: n })),
    );
    // web → api → db, mobile → api, batch → web, leaf → mobile, and a cycle: db → batch (db depends on batch).
    await dependsOn(api, db);
    await dependsOn(web, api);
    await dependsOn(mobile, api);
    await dependsOn(batch, web);
    await dependsOn(db, batch);
    await dependsOn(leaf, mobile);

    const r = await impactOf(getDb(), db.id);
    expect(r.items.map((i) => [i.slug, i.direct]).sort()).toEqual([
      ["imp-api", true],
      ["imp-batch", false],
      ["imp-leaf", false],
      ["imp-mobile", false],
      ["imp-web", false],
    ]);
    expect(r.total).toBe(5);
    // The service itself is never listed even though the cycle leads back to it.
    expect(r.items.some((i) => i.id === db.id)).toBe(false);

    expect(await impactOf(getDb(), leaf.id)).toEqual({ items: [], total: 0 });
    const limited = await impactOf(getDb(), db.id, 2);
    expect(limited.items).toHaveLength(2);
    expect(limited.total).toBe(5);
  });

  it("terminates on a two-service cycle and a self-loop, through the router", async () => {
    const team = await makeTeam();
    const a = await makeService(team.id);
    const b = await makeService(team.id);
    await dependsOn(a, b);
    await dependsOn(b, a);
    await getDb().serviceDependency.create({ data: { fromServiceId: a.id, toServiceId: a.id } });
    const { caller } = await callerWithRole("developer");
    const r = await caller.catalog.impact({ slug: a.slug });
    expect(r.items.map((i) => i.slug)).toEqual([b.slug]);
    await expect(caller.catalog.impact({ slug: "nope" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect((await callerFor(null)).catalog.impact({ slug: a.slug })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });
});

describe("service and team pages", () => {
  it("shows the service with team, on-call, environments, both dependency directions and canEdit", async () => {
    const db = getDb();
    const team = await db.team.create({ data: { slug: "pages-team", name: "Pages", onCallName: "Pager", onCallUrl: "https://oncall.example/pages" } });
    const member = await makeUser("developer", [team.id]);
    const outsider = await makeUser("developer");
    const svc = await makeService(team.id, { slug: "pages-api", tier: 1 });
    const up = await makeService(team.id, { slug: "pages-db" });
    const down = await makeService(team.id, { slug: "pages-web" });
    await dependsOn(svc, up, "data");
    await dependsOn(down, svc);
    const prod = await db.environment.create({ data: { name: "prod-p", rank: 930, isProduction: true } });
    const dev = await db.environment.create({ data: { name: "dev-p", rank: 910 } });
    await db.serviceEnvironment.createMany({
      data: [
        { serviceId: svc.id, environmentId: prod.id, currentVersion: "1.2.0", lastDeployedAt: new Date(), lastDeployedById: member.id },
        { serviceId: svc.id, environmentId: dev.id, currentVersion: "1.3.0-rc1" },
      ],
    });

    const mine = await (await callerFor(member.id)).catalog.service({ slug: "pages-api" });
    expect(mine).toMatchObject({
      slug: "pages-api",
      canEdit: true,
      team: { slug: "pages-team", onCallName: "Pager", members: [{ user: { id: member.id } }] },
      upstream: [{ slug: "pages-db", dependencyKind: "data" }],
      downstream: [{ slug: "pages-web", dependencyKind: "runtime" }],
    });
    expect(mine.environments.map((e) => [e.name, e.currentVersion, e.lastDeployedBy])).toEqual([
      ["dev-p", "1.3.0-rc1", null],
      ["prod-p", "1.2.0", member.name],
    ]);
    expect((await (await callerFor(outsider.id)).catalog.service({ slug: "pages-api" })).canEdit).toBe(false);
    await expect((await callerFor(outsider.id)).catalog.service({ slug: "nope" })).rejects.toMatchObject({ code: "NOT_FOUND" });

    const teamView = await (await callerFor(outsider.id)).catalog.team({ slug: "pages-team" });
    expect(teamView.services.map((s) => s.slug)).toEqual(["pages-api", "pages-db", "pages-web"]);
    expect(teamView.members).toHaveLength(1);
    await expect((await callerFor(outsider.id)).catalog.team({ slug: "nope" })).rejects.toMatchObject({ code: "NOT_FOUND" });

    expect(await getServiceBySlug(db.kysely, "pages-api")).toMatchObject({ slug: "pages-api", tier: 1, team: { slug: "pages-team" } });
    expect(await getServiceBySlug(db.kysely, "nope")).toBeNull();
  });
});

describe("ownership health", () => {
  it("flags teams without members or on-call, and deprecated services production depends on", async () => {
    const db = getDb();
    const healthy = await db.team.create({ data: { slug: "healthy", name: "Healthy", onCallName: "Rota", onCallUrl: null } });
    await makeUser("developer", [healthy.id]);
    const empty = await db.team.create({ data: { slug: "empty", name: "Empty", onCallName: "Rota" } });
    const noOnCall = await db.team.create({ data: { slug: "no-oncall", name: "No on-call", onCallName: "  " } });
    await makeUser("developer", [noOnCall.id]);

    const fine = await makeService(healthy.id, { slug: "h-fine", lifecycle: "production" });
    const old = await makeService(healthy.id, { slug: "h-old", lifecycle: "deprecated" });
    const oldUnused = await makeService(healthy.id, { slug: "h-old-unused", lifecycle: "deprecated" });
    const experiment = await makeService(healthy.id, { slug: "h-exp", lifecycle: "experimental" });
    await dependsOn(fine, old);
    await dependsOn(experiment, oldUnused);
    await makeService(empty.id, { slug: "e-svc" });
    await makeService(noOnCall.id, { slug: "n-svc" });

    const report = (await ownershipHealth(db)).filter((r) => /^(h|e|n)-/.test(r.slug));
    expect(report.map((r) => [r.slug, r.problems, r.productionDependents])).toEqual([
      ["e-svc", ["team_has_no_members"], []],
      ["h-old", ["deprecated_but_used_in_production"], ["h-fine"]],
      ["n-svc", ["team_has_no_on_call"], []],
    ]);
    const { caller } = await callerWithRole("developer");
    expect((await caller.catalog.ownershipHealth()).some((r) => r.slug === "h-old")).toBe(true);
  });
});
