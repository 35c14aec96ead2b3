// Issue 15: a real Backstage catalog imports whole and keeps its relations. One test per measured problem (1–12),
// on the create-app example catalog and Backstage's own schema examples (shared fixtures), never hand-written YAML
// beyond the renames and the one field each test is about.
import { readFileSync } from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { describe, expect, it } from "vitest";
import { getDb } from "../db";
import { callerFor, callerWithRole, makeTeam, makeUser } from "../../test/support/factories";
import { backstageFixture, exampleCatalog, SHARED_FIXTURES, toYamlDocs } from "../../test/support/backstage-fixtures";
import { canonicalJson } from "../audit/audit-log";
import { backstageProblems } from "./backstage-export";
import { fieldFormatProblems, isValidTag } from "./backstage-format";

type Entity = { apiVersion?: string; kind: string; metadata: Record<string, unknown> & { name: string }; spec?: Record<string, unknown> };
const schemaExample = (file: string) =>
  JSON.parse(readFileSync(path.join(SHARED_FIXTURES, "backstage", "schema", "kinds", file), "utf8")).examples[0] as Entity;
const byName = <E extends { name: string; kind: string }>(report: { entities: E[] }, kind: string, name: string) =>
  report.entities.find((e) => e.kind === kind && e.name === name)!;
const admin = async () => (await callerWithRole("admin")).caller;

describe("Backstage entity model (issue 15)", () => {
  it("1: resolves $text/$json placeholders relative to the file, refusing paths outside the bundle", async () => {
    const caller = await admin();
    const [system, , api, , group] = exampleCatalog("p1");
    const definition = api.spec!.definition as string;
    const placeholder = {
      ...api,
      metadata: { ...api.metadata, labels: { $json: "./labels.json" } },
      spec: { ...api.spec, definition: { $text: "../apis/example.proto" } },
    };
    const escaping = { ...api, metadata: { name: "p1-escaping" }, spec: { ...api.spec, definition: { $text: "../../etc/passwd" } } };
    const report = await caller.catalog.importYaml({
      yaml: toYamlDocs([system, group, placeholder, escaping]),
      path: "catalog/catalog-info.yaml",
      files: [
        { path: "apis/example.proto", text: definition },
        { path: "catalog/labels.json", text: '{"product_name": "examples"}' },
      ],
    });
    expect(byName(report, "API", "p1-example-grpc-api")).toMatchObject({ status: "created" });
    expect(byName(report, "API", "p1-escaping")).toMatchObject({ status: "error", reason: expect.stringMatching(/outside the uploaded bundle/) });
    const page = await caller.catalog.entity({ kind: "API", name: "p1-example-grpc-api" });
    expect(page.entity.spec!.definition).toBe(definition);
    expect(page.entity.metadata).toMatchObject({ labels: { product_name: "examples" } });
  });

  it("2: accepts MCP-server APIs and AiResources (Backstage's current schemas), still refusing a broken one", async () => {
    const caller = await admin();
    const mcp = schemaExample("API.v1alpha1.mcp-server.schema.json");
    const skill = schemaExample("AiResource.v1alpha1.skill.schema.json");
    const broken = { ...mcp, metadata: { name: "mcp-without-remotes" }, spec: { ...mcp.spec, remotes: [] } };
    const report = await caller.catalog.importYaml({ yaml: toYamlDocs([mcp, skill, broken]) });
    expect(report.entities.map((e) => e.status)).toEqual(["created", "created", "error"]);
    expect(report.entities[2].reason).toMatch(/remotes/);
  });

  it("3: a Component and an API may share a name (identity is kind + namespace + name)", async () => {
    const caller = await admin();
    const [system, component, api, , group] = exampleCatalog("p3");
    const sameName = { ...api, metadata: { ...api.metadata, name: component.metadata.name } };
    const report = await caller.catalog.importYaml({ yaml: toYamlDocs([group, system, component, sameName]) });
    expect(report.counts).toMatchObject({ created: 4, error: 0 });
    expect((await caller.catalog.entity({ kind: "API", name: "p3-example-website" })).kind).toBe("API");
    expect((await caller.catalog.entity({ kind: "Component", name: "p3-example-website" })).serviceSlug).toBe("p3-example-website");
  });

  it("4: accepts user: owners and owners not in the catalog, showing the relation unresolved", async () => {
    const caller = await admin();
    const [, component] = exampleCatalog("p4");
    const userOwned = { ...component, spec: { ...component.spec, owner: "user:p4-dana", system: undefined } };
    const report = await caller.catalog.importYaml({ yaml: toYamlDocs([userOwned]) });
    expect(report.entities[0]).toMatchObject({ status: "created", warnings: [expect.stringMatching(/until its owner user:default\/p4-dana is a Pier team/)] });
    const page = await caller.catalog.entity({ kind: "Component", name: "p4-example-website" });
    expect(page.relations).toContainEqual(expect.objectContaining({ type: "ownedBy", ref: "user:default/p4-dana", resolved: false }));
  });

  it("5: a relation to an entity not yet imported resolves when it arrives, whatever the order", async () => {
    const caller = await admin();
    const entities = exampleCatalog("p5");
    const forward = await caller.catalog.importYaml({ yaml: toYamlDocs(entities.slice(0, 3)) });
    expect(forward.counts).toMatchObject({ created: 3, error: 0 });
    let site = await caller.catalog.entity({ kind: "Component", name: "p5-example-website" });
    expect(site.relations.filter((r) => !r.resolved).map((r) => r.ref)).toEqual(["group:default/p5-guests"]);
    expect(site.serviceSlug).toBeNull();
    await caller.catalog.importYaml({ yaml: toYamlDocs(entities.slice(3)) });
    site = await caller.catalog.entity({ kind: "Component", name: "p5-example-website" });
    expect(site.relations.every((r) => r.resolved)).toBe(true);
    // The Component became a Pier service of the Group's team the moment the Group arrived.
    expect(site.serviceSlug).toBe("p5-example-website");
    const service = await getDb().service.findUniqueOrThrow({ where: { slug: "p5-example-website" }, include: { team: true } });
    expect(service.team.slug).toBe("p5-guests");
    // The service page links to the entity and to its System's page.
    expect(await caller.catalog.service({ slug: "p5-example-website" })).toMatchObject({
      entity: { kind: "Component", namespace: "default", name: "p5-example-website" },
      systemEntity: { kind: "System", name: "p5-examples" },
    });
  });

  it("6: namespaces are never merged", async () => {
    const caller = await admin();
    const [, component, , , group] = exampleCatalog("p6");
    const other = { ...component, metadata: { ...component.metadata, namespace: "backstage" }, spec: { ...component.spec, system: undefined } };
    await caller.catalog.importYaml({ yaml: toYamlDocs([group, other]) });
    const page = await caller.catalog.entity({ kind: "Component", namespace: "backstage", name: "p6-example-website" });
    expect(page.relations).toContainEqual(expect.objectContaining({ type: "ownedBy", ref: "group:backstage/p6-guests", resolved: false }));
    expect(page.serviceSlug).toBeNull();
    // A reference to Pier's own team (made in Pier, no Group entity) resolves to the team's page.
    const team = await makeTeam("Native");
    const native = { ...other, metadata: { ...other.metadata, name: "p6-native", namespace: undefined }, spec: { ...other.spec, owner: team.slug } };
    await caller.catalog.importYaml({ yaml: toYamlDocs([native]) });
    expect((await caller.catalog.entity({ kind: "Component", name: "p6-native" })).relations).toContainEqual(
      expect.objectContaining({ type: "ownedBy", resolved: true, pierPage: `/teams/${team.slug}` }),
    );
    await expect(caller.catalog.entity({ kind: "Component", name: "p6-example-website" })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("7: keeps metadata.name exactly (the export is the same entity)", async () => {
    const caller = await admin();
    const [, component, , , group] = exampleCatalog("p7");
    const odd = { ...component, metadata: { ...component.metadata, name: "Interop_Probe.Svc" }, spec: { ...component.spec, system: undefined } };
    const report = await caller.catalog.importYaml({ yaml: toYamlDocs([group, odd]) });
    expect(report.counts.error).toBe(0);
    const page = await caller.catalog.entity({ kind: "Component", name: "Interop_Probe.Svc" });
    expect(page.name).toBe("Interop_Probe.Svc");
    const exported = YAML.parseAllDocuments((await caller.catalog.exportYaml({})).yaml).map((d) => d.toJS() as Entity);
    expect(exported.some((e) => e.metadata.name === "Interop_Probe.Svc")).toBe(true);
  });

  it("8: refuses what Backstage's field-format rules refuse, on import and in the export check", async () => {
    const caller = await admin();
    const [system] = exampleCatalog("p8");
    const dotted = { ...system, metadata: { ...system.metadata, tags: ["node.js"] } };
    const badLabel = { ...system, metadata: { name: "p8-labels", labels: { "-bad key": "x" } } };
    const report = await caller.catalog.importYaml({ yaml: toYamlDocs([dotted, badLabel]) });
    expect(report.entities.map((e) => e.status)).toEqual(["error", "error"]);
    expect(report.entities[0].reason).toMatch(/"tags.0" is not valid/);
    expect(report.entities[1].reason).toMatch(/"labels.-bad key" is not valid/);
    expect(isValidTag("node.js")).toBe(false);
    expect(isValidTag("c++")).toBe(true);
    expect(backstageProblems(dotted as never)).not.toEqual([]);
    expect(fieldFormatProblems(system)).toEqual([]);
    // Pier's own form follows the same tag rule, so nothing it saves fails the export.
    const team = await makeTeam("Tags");
    await expect(caller.catalog.create({ slug: "p8-svc", name: "Svc", teamSlug: team.slug, tags: ["node.js"] })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("9: a non-admin re-importing an unchanged file is a no-op, not a permission error", async () => {
    const caller = await admin();
    const yaml = toYamlDocs(exampleCatalog("p9"));
    expect((await caller.catalog.importYaml({ yaml })).counts.error).toBe(0);
    const developer = (await callerWithRole("developer")).caller;
    const again = await developer.catalog.importYaml({ yaml });
    expect(again.counts).toEqual({ created: 0, updated: 0, skipped: 5, error: 0 });
    // A change is still refused to them.
    const changed = yaml.replace("name: p9-examples", "name: p9-examples\n  description: changed");
    expect((await developer.catalog.importYaml({ yaml: changed })).entities[0]).toMatchObject({
      status: "error",
      reason: expect.stringMatching(/Only admins/),
    });
  });

  it("10: a rolled-back import never reports created; no invented tier, System type or lifecycle", async () => {
    const caller = await admin();
    const [system, component, api, user, group] = exampleCatalog("p10");
    const broken = { ...component, metadata: { name: "p10-broken" }, spec: { type: "service", owner: "p10-guests" } };
    const atomic = await caller.catalog.importYaml({ yaml: toYamlDocs([group, system, broken]), atomic: true });
    expect(atomic.applied).toBe(false);
    expect(atomic.counts.created).toBe(0);
    expect(atomic.entities[0]).toMatchObject({ status: "skipped", reason: expect.stringMatching(/would be created \(not applied/) });
    await caller.catalog.importYaml({ yaml: toYamlDocs([system, component, api, user, group]) });
    const exported = YAML.parseAllDocuments((await caller.catalog.exportYaml({})).yaml).map((d) => d.toJS() as Entity);
    const sys = exported.find((e) => e.metadata.name === "p10-examples")!;
    expect(sys.spec).toEqual({ owner: "p10-guests" });
    const site = exported.find((e) => e.metadata.name === "p10-example-website")!;
    expect(site.metadata.annotations).toBeUndefined();
  });

  it("11: one refused entity does not hold back the others", async () => {
    const caller = await admin();
    const [system, component, api, user, group] = exampleCatalog("p11");
    const broken = { ...component, metadata: { name: "p11-broken" }, spec: { type: "service", owner: "p11-guests" } };
    const report = await caller.catalog.importYaml({ yaml: toYamlDocs([system, component, broken, api, user, group]) });
    expect(report).toMatchObject({ applied: true, counts: { created: 5, error: 1 } });
    expect(byName(report, "Component", "p11-broken").reason).toMatch(/lifecycle/);
  });

  it("12: keeps relations, labels, link icons, Groups, Users, Domains and follows Location entities", async () => {
    const caller = await admin();
    const [system, component, api, user, group] = exampleCatalog("p12");
    const parent = { ...group, metadata: { name: "p12-org" }, spec: { type: "organization", children: ["p12-guests"] } };
    const child = {
      ...group,
      spec: { ...group.spec, parent: "p12-org", members: ["p12-guest"], profile: { email: "guests@example.com", picture: "https://example.com/p.png" } },
    };
    const domain = { ...schemaExample("Domain.v1alpha1.schema.json"), metadata: { name: "p12-domain" }, spec: { owner: "p12-org" } };
    const linked = {
      ...component,
      metadata: {
        ...component.metadata,
        labels: { tier: "gold" },
        links: [{ url: "https://example.com/dash", title: "Dashboard", icon: "dashboard", type: "admin-dashboard" }],
      },
      spec: { ...component.spec, consumesApis: ["p12-example-grpc-api"] },
    };
    const location = { apiVersion: "backstage.io/v1alpha1", kind: "Location", metadata: { name: "p12-all" }, spec: { targets: ["./org.yaml"] } };
    const report = await caller.catalog.importYaml({
      yaml: toYamlDocs([location, { ...system, spec: { ...system.spec, domain: "p12-domain" } }, linked, api, domain]),
      files: [{ path: "org.yaml", text: toYamlDocs([parent, child, user]) }],
    });
    expect(report.counts).toMatchObject({ error: 0, created: 8 });
    const site = await caller.catalog.entity({ kind: "Component", name: "p12-example-website" });
    expect(site.relations.map((r) => [r.type, r.ref, r.resolved])).toEqual([
      ["consumesApi", "api:default/p12-example-grpc-api", true],
      ["ownedBy", "group:default/p12-guests", true],
      ["partOf", "system:default/p12-examples", true],
      ["providesApi", "api:default/p12-example-grpc-api", true],
    ]);
    expect(site.entity.metadata).toMatchObject({ labels: { tier: "gold" }, links: [{ icon: "dashboard", type: "admin-dashboard" }] });
    const apiPage = await caller.catalog.entity({ kind: "API", name: "p12-example-grpc-api" });
    expect(apiPage.inverse.map((r) => [r.type, r.name])).toEqual([
      ["apiConsumedBy", "p12-example-website"],
      ["apiProvidedBy", "p12-example-website"],
    ]);
    const guests = await caller.catalog.entity({ kind: "Group", name: "p12-guests" });
    expect(guests.relations.map((r) => [r.type, r.ref, r.resolved])).toEqual([
      ["childOf", "group:default/p12-org", true],
      ["hasMember", "user:default/p12-guest", true],
    ]);
    expect(guests.entity.spec).toMatchObject({ profile: { email: "guests@example.com", picture: "https://example.com/p.png" } });
    expect((await caller.catalog.entity({ kind: "User", name: "p12-guest" })).relations).toEqual([
      expect.objectContaining({ type: "memberOf", resolved: true }),
    ]);
    const domainPage = await caller.catalog.entity({ kind: "Domain", name: "p12-domain" });
    expect(domainPage.inverse).toContainEqual(expect.objectContaining({ type: "hasPart", name: "p12-examples" }));
    const missing = await caller.catalog.importYaml({
      yaml: toYamlDocs([{ ...location, metadata: { name: "p12-missing" }, spec: { target: "../elsewhere.yaml" } }]),
    });
    expect(missing.entities[0]).toMatchObject({ status: "error", reason: expect.stringMatching(/outside the uploaded bundle/) });
  });
});

describe("The create-app example catalog (issue 15)", () => {
  it("imports with zero errors and no unresolved relation, in either order, to the same catalog", async () => {
    const caller = await admin();
    const forward = await caller.catalog.importYaml({ yaml: backstageFixture("entities.yaml") + "\n" + backstageFixture("org.yaml") });
    expect(forward.counts).toEqual({ created: 5, updated: 0, skipped: 0, error: 0 });
    const refs = ["system:default/examples", "component:default/example-website", "api:default/example-grpc-api", "user:default/guest", "group:default/guests"];
    expect((await caller.catalog.unresolvedRelations()).filter((r) => refs.includes(r.sourceRef))).toEqual([]);
    const snapshot = async () =>
      getDb()
        .kysely.selectFrom("CatalogRelation")
        .select(["sourceRef", "type", "targetRef"])
        .where("sourceRef", "in", refs)
        .orderBy("sourceRef")
        .orderBy("type")
        .orderBy("targetRef")
        .execute();
    const before = await snapshot();
    expect(before.length).toBe(7);
    // Reverse order into a clean slate gives the same relations and the same service.
    const db = getDb();
    await db.kysely.deleteFrom("CatalogRelation").where("sourceRef", "in", refs).execute();
    await db.kysely.deleteFrom("CatalogEntity").where("ref", "in", refs).execute();
    await db.service.deleteMany({ where: { slug: "example-website" } });
    const reversed = await caller.catalog.importYaml({
      yaml: toYamlDocs([...YAML.parseAllDocuments(backstageFixture("org.yaml") + "\n" + backstageFixture("entities.yaml"))].map((d) => d.toJS()).reverse()),
    });
    expect(reversed.counts.error).toBe(0);
    expect(await snapshot()).toEqual(before);
    expect((await caller.catalog.entity({ kind: "Component", name: "example-website" })).serviceSlug).toBe("example-website");
  });

  it("exports a catalog that passes Backstage's schema and field-format rules and imports back unchanged", async () => {
    const caller = await admin();
    const team = await makeTeam("Exported");
    await caller.catalog.create({ slug: "exported-svc", name: "Exported", teamSlug: team.slug, tags: ["go"] });
    const { yaml } = await caller.catalog.exportYaml({});
    const docs = YAML.parseAllDocuments(yaml).map((d) => d.toJS() as Entity);
    expect(docs.length).toBeGreaterThan(20);
    for (const d of docs) expect(backstageProblems(d as never), `${d.kind} ${d.metadata.name}`).toEqual([]);
    const serviceBefore = await getDb().service.findUniqueOrThrow({ where: { slug: "exported-svc" } });
    // The first import of an export adopts Pier-made teams and services as entities, changing none of them …
    const again = await caller.catalog.importYaml({ yaml });
    const adopted = again.entities.filter((e) => e.status !== "skipped");
    expect(adopted.map((e) => [e.kind, e.name])).toEqual(
      expect.arrayContaining([
        ["Group", team.slug],
        ["Component", "exported-svc"],
      ]),
    );
    expect(adopted.every((e) => e.status === "created" && (e.kind === "Group" || e.kind === "Component"))).toBe(true);
    expect(await getDb().service.findUniqueOrThrow({ where: { slug: "exported-svc" } })).toEqual(serviceBefore);
    // … and exports the same entities (modulo order); importing that finds nothing to change.
    const sorted = (text: string) =>
      YAML.parseAllDocuments(text)
        .map((d) => canonicalJson(d.toJS()))
        .sort();
    const second = (await caller.catalog.exportYaml({})).yaml;
    expect(sorted(second)).toEqual(sorted(yaml));
    expect((await caller.catalog.importYaml({ yaml: second })).entities.filter((e) => e.status !== "skipped")).toEqual([]);
  });

  it("lets any signed-in user read entities, and nobody else", async () => {
    const developer = (await callerWithRole("developer")).caller;
    expect((await developer.catalog.entities({ kind: "API" })).length).toBeGreaterThan(0);
    // The kind filter's counts are the lists' lengths (none of these kinds passes the list's 500).
    const counts = await developer.catalog.entityKindCounts();
    for (const kind of ["API", "Component", "Group", "System"]) expect(counts[kind]).toBe((await developer.catalog.entities({ kind })).length);
    expect(counts.API).toBeGreaterThan(0);
    const anonymous = await callerFor(null);
    await expect(anonymous.catalog.entity({ kind: "API", name: "example-grpc-api" })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(anonymous.catalog.unresolvedRelations()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(anonymous.catalog.entityKindCounts()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    void makeUser;
  });
});
