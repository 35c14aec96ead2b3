import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import Ajv from "ajv";
import YAML from "yaml";
import { describe, expect, it } from "vitest";
import { getDb } from "../db";
import { callerFor, callerWithRole, makeTeam, makeUser, sessionUser } from "../../test/support/factories";
import { importCatalogYaml } from "./backstage-import";
import { parseEntityRef, slugFromName } from "./backstage-mapping";
import { outcome } from "../../test/support/catalog-builders";

const FIXTURES = path.join(__dirname, "..", "..", "..", "shared", "fixtures", "backstage");
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), "utf8");

/** An independent validator built straight from the upstream schema files (not Pier's copy). */
function upstreamValidator() {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const dirs = [path.join(FIXTURES, "schema"), path.join(FIXTURES, "schema", "shared"), path.join(FIXTURES, "schema", "kinds")];
  for (const dir of dirs) {
    for (const f of readdirSync(dir).filter((f) => f.endsWith(".json"))) ajv.addSchema(JSON.parse(readFileSync(path.join(dir, f), "utf8")));
  }
  const ids: Record<string, string> = {
    Component: "ComponentV1alpha1",
    API: "ApiV1alpha1",
    Resource: "ResourceV1alpha1",
    System: "SystemV1alpha1",
    Group: "GroupV1alpha1",
  };
  return (e: { kind: string }) => {
    const v = ajv.getSchema(ids[e.kind])!;
    return v(e) ? [] : v.errors;
  };
}

const REALISTIC = `
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: checkout
  description: Checkout squad
  annotations:
    pier.dev/on-call-name: Checkout primary
    pier.dev/on-call-url: https://oncall.example/checkout
spec:
  type: team
  profile: { displayName: Checkout }
  children: []
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: cart-service
  title: Cart service
  description: Holds shopping carts
  tags: [java, pci]
  links:
    - { url: "https://grafana.example/d/cart", title: Dashboard }
    - { url: "https://runbooks.example/cart", title: Runbook, type: runbook }
  annotations:
    backstage.io/source-location: url:https://github.com/acme/cart/
    pier.dev/tier: "1"
    github.com/project-slug: acme/cart
spec:
  type: service
  lifecycle: production
  owner: group:default/checkout
  system: shop
  dependsOn: [resource:cart-db, component:pricing, component:not-in-catalog]
  consumesApis: [pricing-api]
  providesApis: [cart-api]
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata: { name: cart-db, description: Postgres for carts }
spec: { type: database, owner: checkout, system: shop }
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: { name: pricing }
spec: { type: service, lifecycle: experimental, owner: checkout }
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: { name: pricing-api }
spec: { type: openapi, lifecycle: production, owner: checkout, definition: "openapi: 3.0.0" }
---
apiVersion: backstage.io/v1alpha1
kind: System
metadata: { name: shop }
spec: { owner: checkout }
---
apiVersion: backstage.io/v1alpha1
kind: Template
metadata: { name: new-service }
spec: { type: service }
`;

const INVALID = `
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: { name: broken }
spec: { type: service, owner: checkout }
`;

describe("Backstage import", () => {
  it("keeps Pier's schema copies identical to upstream", () => {
    const mine = path.join(__dirname, "backstage-schema");
    for (const f of readdirSync(mine).filter((f) => f.endsWith(".json"))) {
      const upstream = [path.join(FIXTURES, "schema", f), path.join(FIXTURES, "schema", "kinds", f), path.join(FIXTURES, "schema", "shared", f)]
        .map((p) => {
          try {
            return readFileSync(p, "utf8");
          } catch {
            return null;
          }
        })
        .find((x) => x !== null);
      expect(readFileSync(path.join(mine, f), "utf8"), f).toBe(upstream);
    }
  });

  it("parses entity references and names", () => {
    expect(parseEntityRef("component:default/cart")).toEqual({ kind: "component", namespace: "default", name: "cart" });
    expect(parseEntityRef("guests")).toEqual({ kind: undefined, namespace: undefined, name: "guests" });
    expect(slugFromName("My_Service.v2")).toBe("my-service-v2");
  });

  it("refuses the example entities alone: their owner group is unknown, and nothing is applied", async () => {
    const { caller } = await callerWithRole("admin");
    const report = await caller.catalog.importYaml({ yaml: fixture("entities.yaml") });
    expect(report.applied).toBe(false);
    expect(report.entities.map((e) => [e.kind, e.name, e.status])).toEqual([
      ["System", "examples", "error"],
      ["Component", "example-website", "error"],
      ["API", "example-grpc-api", "error"],
    ]);
    expect(report.entities[0].reason).toMatch(/Unknown owner "guests"/);
    expect(await getDb().service.count({ where: { slug: { startsWith: "example" } } })).toBe(0);
  });

  it("imports the example org and entities together, then finds nothing to change the second time", async () => {
    const admin = await makeUser("admin");
    const caller = await callerFor(admin.id);
    const yaml = fixture("org.yaml") + "\n" + fixture("entities.yaml");
    const first = await caller.catalog.importYaml({ yaml });
    expect(first.applied).toBe(true);
    expect(first.entities.map((e) => [e.kind, e.name, e.status])).toEqual([
      ["User", "guest", "skipped"],
      ["Group", "guests", "created"],
      ["System", "examples", "created"],
      ["Component", "example-website", "created"],
      ["API", "example-grpc-api", "created"],
    ]);
    expect(first.entities[0].reason).toMatch(/does not import User/);
    const db = getDb();
    const site = await db.service.findUniqueOrThrow({ where: { slug: "example-website" }, include: { team: true } });
    expect(site).toMatchObject({ kind: "Component", type: "website", lifecycle: "experimental", system: "examples", team: { slug: "guests" } });
    expect(site.backstageSpec).toEqual({ providesApis: ["example-grpc-api"] });
    const api = await db.service.findUniqueOrThrow({ where: { slug: "example-grpc-api" } });
    expect((api.backstageSpec as { definition: string }).definition).toContain("service Exampler");
    expect(await db.auditEvent.count({ where: { actorId: admin.id } })).toBe(4);
    expect(await db.outboxEvent.count({ where: { type: "catalog.service_changed" } })).toBeGreaterThanOrEqual(3);

    const second = await caller.catalog.importYaml({ yaml });
    expect(second.counts).toEqual({ created: 0, updated: 0, skipped: 5, error: 0 });
  });

  it("reports an invalid entity and an unknown kind, applying nothing until the file is fixed", async () => {
    const { caller } = await callerWithRole("admin");
    const bad = await caller.catalog.importYaml({ yaml: REALISTIC + INVALID });
    expect(bad.applied).toBe(false);
    const byName = Object.fromEntries(bad.entities.map((e) => [e.name, e]));
    expect(byName.broken).toMatchObject({ status: "error", reason: expect.stringContaining("lifecycle") });
    expect(byName["new-service"]).toMatchObject({ kind: "Template", status: "skipped" });
    expect(byName["cart-service"].status).toBe("created");
    expect(await getDb().team.findUnique({ where: { slug: "checkout" } })).toBeNull();

    const dry = await caller.catalog.importYaml({ yaml: REALISTIC, dryRun: true });
    expect(dry).toMatchObject({ applied: false, dryRun: true, counts: { created: 6, skipped: 1, error: 0 } });
    expect(await getDb().service.findUnique({ where: { slug: "cart-service" } })).toBeNull();

    const ok = await caller.catalog.importYaml({ yaml: REALISTIC });
    expect(ok).toMatchObject({ applied: true, counts: { created: 6, updated: 0, skipped: 1, error: 0 } });
    const cart = await getDb().service.findUniqueOrThrow({
      where: { slug: "cart-service" },
      include: { dependsOn: { include: { toService: true } }, team: true },
    });
    expect(cart).toMatchObject({
      name: "Cart service",
      tier: 1,
      tags: ["java", "pci"],
      repositoryUrl: "https://github.com/acme/cart/",
      runbookUrl: "https://runbooks.example/cart",
      links: [{ title: "Dashboard", url: "https://grafana.example/d/cart" }],
      annotations: { "github.com/project-slug": "acme/cart" },
      team: { slug: "checkout", onCallName: "Checkout primary" },
    });
    expect(cart.dependsOn.map((d) => [d.toService.slug, d.kind]).sort()).toEqual([
      ["cart-db", "data"],
      ["pricing", "runtime"],
      ["pricing-api", "runtime"],
    ]);
    expect(ok.entities.find((e) => e.name === "cart-service")?.warnings).toEqual(['Dependency "component:not-in-catalog" is not in the catalog; ignored']);

    // The file is the source of truth for dependencies: dropping one removes it.
    const fewer = REALISTIC.replace("dependsOn: [resource:cart-db, component:pricing, component:not-in-catalog]", "dependsOn: [resource:cart-db]");
    const again = await caller.catalog.importYaml({ yaml: fewer });
    expect(again.entities.find((e) => e.name === "cart-service")).toMatchObject({ status: "updated" });
    expect(await getDb().serviceDependency.count({ where: { fromServiceId: cart.id } })).toBe(2);
  });

  it("applies the editing rules per entity", async () => {
    const team = await makeTeam("Squad");
    const member = (await callerWithRole("developer", [team.id])).caller;
    const outsider = (await callerWithRole("developer")).caller;
    const component = `apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: { name: squad-svc }\nspec: { type: service, lifecycle: production, owner: ${team.slug} }\n`;
    const refused = await outsider.catalog.importYaml({ yaml: component });
    expect(refused.entities[0]).toMatchObject({ status: "error", reason: expect.stringContaining("Only admins and members of Squad") });
    expect((await member.catalog.importYaml({ yaml: component })).applied).toBe(true);
    const group = `apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: { name: new-team }\nspec: { type: team, children: [] }\n`;
    expect((await member.catalog.importYaml({ yaml: group })).entities[0]).toMatchObject({ status: "error", reason: "Only admins may create or change teams" });
    expect(await outcome((await callerFor(null)).catalog.importYaml({ yaml: group }))).toMatchObject({ code: "UNAUTHORIZED" });
    const userOwner = component.replace(`owner: ${team.slug}`, "owner: user:dana");
    expect((await member.catalog.importYaml({ yaml: userOwner })).entities[0].reason).toMatch(/owned by teams/);
    const apiClash = `apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata: { name: squad-svc }\nspec: { type: openapi, lifecycle: production, owner: ${team.slug}, definition: x }\n`;
    expect((await member.catalog.importYaml({ yaml: apiClash })).entities[0].reason).toMatch(/Component named "squad-svc" already exists/);
  });

  it("rejects text that is not YAML, next to the field", async () => {
    const { caller } = await callerWithRole("admin");
    expect(await outcome(caller.catalog.importYaml({ yaml: "kind: [unclosed" }))).toMatchObject({ code: "BAD_REQUEST", fields: ["yaml"] });
    expect(await outcome(caller.catalog.importYaml({ yaml: "---\n---\n" }))).toMatchObject({ code: "BAD_REQUEST", fields: ["yaml"] });
    const noName = await caller.catalog.importYaml({ yaml: "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {}\n" });
    expect(noName.entities[0]).toMatchObject({ status: "error", reason: expect.stringContaining("name") });
  });
});

describe("Backstage import limits and URL rule (issue 12)", () => {
  const component = (teamSlug: string, name: string, extra = "") =>
    `apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: ${name}\n${extra}spec: { type: service, lifecycle: production, owner: ${teamSlug} }\n`;
  const refused = (code: string, message: RegExp) => ({ code, message: expect.stringMatching(message) });

  it("refuses javascript: and data: URLs exactly as the service form does, applying nothing", async () => {
    const team = await makeTeam("Links");
    const { caller } = await callerWithRole("admin");
    const js = await caller.catalog.importYaml({
      yaml: component(team.slug, "js-link", '  links:\n    - { url: "javascript:alert(document.cookie)", title: Dashboard }\n'),
    });
    expect(js).toMatchObject({ applied: false, entities: [{ status: "error", reason: "metadata.links[0].url: Must be an http(s) URL" }] });
    const data = await caller.catalog.importYaml({
      yaml: component(team.slug, "data-runbook", '  links:\n    - { url: "data:text/html,<script>alert(1)</script>", title: Runbook, type: runbook }\n'),
    });
    expect(data.entities[0]).toMatchObject({ status: "error", reason: "metadata.links[0].url: Must be an http(s) URL" });
    const group = `apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: bad-oncall\n  annotations:\n    pier.dev/on-call-url: "javascript:alert(1)"\nspec: { type: team, children: [] }\n`;
    expect((await caller.catalog.importYaml({ yaml: group })).entities[0]).toMatchObject({
      status: "error",
      reason: expect.stringMatching(/on-call-url: Must be an http/),
    });
    // The form refuses the same value (the same rule: server/platform/input-rules.ts).
    const form = await outcome(caller.catalog.create({ slug: "form-js", name: "Form", teamSlug: team.slug, runbookUrl: "javascript:alert(1)" }));
    expect(form).toMatchObject({ code: "BAD_REQUEST" });
    expect(form.fields).toContain("runbookUrl");
    expect(await getDb().service.count({ where: { teamId: team.id } })).toBe(0);
    expect(await getDb().team.count({ where: { slug: "bad-oncall" } })).toBe(0);
  });

  it("refuses a YAML alias bomb quickly with 400", async () => {
    const { caller } = await callerWithRole("admin");
    const name = (i: number) => String.fromCharCode(97 + i);
    const lines = [`a: &a [${Array(10).fill('"x"').join(",")}]`];
    for (let i = 1; i < 9; i++)
      lines.push(
        `${name(i)}: &${name(i)} [${Array(10)
          .fill(`*${name(i - 1)}`)
          .join(",")}]`,
      );
    const started = Date.now();
    await expect(caller.catalog.importYaml({ yaml: lines.join("\n") })).rejects.toMatchObject(refused("BAD_REQUEST", /more than 100 aliases/));
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("refuses a 5,000-document import naming the limit, before any transaction", async () => {
    const team = await makeTeam("Bulk");
    const { caller } = await callerWithRole("admin");
    const docs = Array.from({ length: 5000 }, (_, i) => `---\n${component(team.slug, `bulk-${i}`)}`).join("");
    const started = Date.now();
    await expect(caller.catalog.importYaml({ yaml: docs })).rejects.toMatchObject(refused("BAD_REQUEST", /5000 documents; at most 500/));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await getDb().service.count({ where: { teamId: team.id } })).toBe(0);
  });

  it("gives up and applies nothing when the import runs past its time limit", async () => {
    const team = await makeTeam("Slow");
    const admin = await sessionUser((await makeUser("admin")).id);
    const docs = Array.from({ length: 40 }, (_, i) => `---\n${component(team.slug, `slow-${i}`)}`).join("");
    await expect(importCatalogYaml(getDb(), admin, docs, { timeLimitMs: 1 })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/took longer than/),
    });
    expect(await getDb().service.count({ where: { teamId: team.id } })).toBe(0);
  });

  it("refuses escapes Postgres cannot store (NUL, lone surrogates), naming the document and field", async () => {
    const team = await makeTeam("Escapes");
    const { caller } = await callerWithRole("admin");
    await expect(caller.catalog.importYaml({ yaml: component(team.slug, "escapes", '  description: "a\\0b"\n') })).rejects.toMatchObject(
      refused("BAD_REQUEST", /Document 1: metadata.description contains a NUL/),
    );
    await expect(caller.catalog.importYaml({ yaml: component(team.slug, "escapes", '  description: "\\uD800"\n') })).rejects.toMatchObject(
      refused("BAD_REQUEST", /surrogate/),
    );
    expect(await getDb().service.count({ where: { teamId: team.id } })).toBe(0);
  });
});

describe("Backstage export", () => {
  it("exports valid catalog-info.yaml that imports back unchanged (round trip)", async () => {
    const { caller } = await callerWithRole("admin");
    const db = getDb();
    // What exists now: the example org, the realistic set, the squad service, plus a Pier-made service.
    const team = await makeTeam("Round");
    await caller.catalog.create({
      slug: "round-trip",
      name: "Round trip",
      teamSlug: team.slug,
      tier: 3,
      language: "go",
      repositoryUrl: "https://github.com/acme/round",
      runbookUrl: "https://runbooks.example/round",
      links: [{ title: "Docs", url: "https://docs.example/round" }],
      tags: ["go"],
      description: "Made in Pier",
    });
    await caller.catalog.addDependency({ fromSlug: "round-trip", toSlug: "cart-service", kind: "runtime" });

    const { yaml } = await caller.catalog.exportYaml({});
    const docs = YAML.parseAllDocuments(yaml).map((d) => d.toJS());
    const validate = upstreamValidator();
    for (const d of docs) expect(validate(d), `${d.kind} ${d.metadata.name}`).toEqual([]);
    const round = docs.find((d) => d.metadata.name === "round-trip");
    expect(round).toMatchObject({
      kind: "Component",
      metadata: {
        title: "Round trip",
        annotations: { "pier.dev/tier": "3", "pier.dev/language": "go", "backstage.io/source-location": "url:https://github.com/acme/round" },
        links: [{ title: "Docs" }, { type: "runbook", url: "https://runbooks.example/round" }],
      },
      spec: { owner: `group:${team.slug}`, lifecycle: "experimental", dependsOn: ["component:cart-service"] },
    });
    expect(docs.filter((d) => d.kind === "Group").map((d) => d.metadata.name)).toContain(team.slug);

    // Importing the export changes nothing …
    const again = await caller.catalog.importYaml({ yaml });
    expect(again.counts).toMatchObject({ created: 0, updated: 0, error: 0 });
    // … and rebuilds what was removed, exporting to the same text.
    await db.service.deleteMany({ where: { slug: { in: ["round-trip", "cart-service"] } } });
    const rebuilt = await caller.catalog.importYaml({ yaml });
    expect(rebuilt.counts).toMatchObject({ created: 2, error: 0 });
    expect((await caller.catalog.exportYaml({})).yaml).toBe(yaml);

    const one = await caller.catalog.exportYaml({ slug: "round-trip" });
    expect(YAML.parseAllDocuments(one.yaml)).toHaveLength(1);
    await expect(caller.catalog.exportYaml({ slug: "nope" })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
