import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { getDb } from "../db";
import { callerFor, callerWithRole, makeTeam, makeUser, sessionUser } from "../../test/support/factories";
import { importCatalogYaml } from "./backstage-import";
import { parseEntityRef, slugFromName } from "./backstage-mapping";
import { outcome } from "../../test/support/catalog-builders";
import { SHARED_FIXTURES } from "../../test/support/backstage-fixtures";

const FIXTURES = path.join(SHARED_FIXTURES, "backstage");

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

  it("makes a Component a Pier service: tier, tags, links, runbook, repository and Component dependencies", async () => {
    const { caller } = await callerWithRole("admin");
    const ok = await caller.catalog.importYaml({ yaml: REALISTIC });
    expect(ok).toMatchObject({ applied: true, counts: { created: 6, updated: 0, skipped: 1, error: 0 } });
    expect(ok.entities.find((e) => e.kind === "Template")?.reason).toMatch(/does not import Template/);
    const cart = await getDb().service.findUniqueOrThrow({
      where: { slug: "cart-service" },
      include: { dependsOn: { include: { toService: true } }, team: true },
    });
    expect(cart).toMatchObject({
      name: "Cart service",
      tier: 1,
      system: "shop",
      tags: ["java", "pci"],
      repositoryUrl: "https://github.com/acme/cart/",
      runbookUrl: "https://runbooks.example/cart",
      links: [{ title: "Dashboard", url: "https://grafana.example/d/cart" }],
      annotations: { "github.com/project-slug": "acme/cart" },
      team: { slug: "checkout", onCallName: "Checkout primary" },
    });
    // Only Components are Pier services; the Resource and the API are catalog entities with their own pages.
    expect(cart.dependsOn.map((d) => d.toService.slug)).toEqual(["pricing"]);
    const page = await caller.catalog.entity({ kind: "Component", name: "cart-service" });
    expect(page.relations.filter((r) => !r.resolved).map((r) => r.ref)).toEqual(["component:default/not-in-catalog", "api:default/cart-api"]);
    // The file is the source of truth for dependencies: dropping one removes it.
    const fewer = REALISTIC.replace("dependsOn: [resource:cart-db, component:pricing, component:not-in-catalog]", "dependsOn: [resource:cart-db]");
    const again = await caller.catalog.importYaml({ yaml: fewer });
    expect(again.entities.find((e) => e.name === "cart-service")).toMatchObject({ status: "updated" });
    expect(await getDb().serviceDependency.count({ where: { fromServiceId: cart.id } })).toBe(0);
  });

  it("applies the editing rules per entity", async () => {
    const team = await makeTeam("Squad");
    const member = (await callerWithRole("developer", [team.id])).caller;
    const outsider = (await callerWithRole("developer")).caller;
    const component = `apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: { name: squad-svc }\nspec: { type: service, lifecycle: production, owner: ${team.slug} }\n`;
    const refused = await outsider.catalog.importYaml({ yaml: component });
    expect(refused.entities[0]).toMatchObject({ status: "error", reason: expect.stringContaining("Only admins and members of Squad") });
    expect((await member.catalog.importYaml({ yaml: component })).entities[0].status).toBe("created");
    const group = `apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: { name: new-team }\nspec: { type: team, children: [] }\n`;
    expect((await member.catalog.importYaml({ yaml: group })).entities[0]).toMatchObject({
      status: "error",
      reason: expect.stringMatching(/Only admins may import a Group/),
    });
    expect(await outcome((await callerFor(null)).catalog.importYaml({ yaml: group }))).toMatchObject({ code: "UNAUTHORIZED" });
    const userOwner = component.replace(`owner: ${team.slug}`, "owner: user:dana");
    expect((await member.catalog.importYaml({ yaml: userOwner })).entities[0].reason).toMatch(/Only admins may import a Component owned by user:default\/dana/);
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
    expect(js).toMatchObject({ entities: [{ status: "error", reason: "metadata.links[0].url: Must be an http(s) URL" }] });
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
