import { beforeAll, describe, expect, it } from "vitest";
import { getDb } from "../db";
import { callerFor, callerWithRole, makeTeam } from "../../test/support/factories";
import { catalogFacets, escapeLike, searchCatalog } from "./catalog-search";
import { makeService } from "../../test/support/catalog-builders";

let pay: { id: string; slug: string };
let data: { id: string; slug: string };

beforeAll(async () => {
  pay = await makeTeam("Payments");
  data = await makeTeam("Data");
  await makeService(pay.id, {
    slug: "checkout-api",
    name: "Checkout API",
    description: "Takes card payments",
    tier: 1,
    lifecycle: "production",
    tags: ["pci", "java"],
  });
  await makeService(pay.id, {
    slug: "ledger",
    name: "Ledger",
    description: "Double-entry bookkeeping for checkout",
    tier: 1,
    lifecycle: "production",
    tags: ["pci"],
  });
  await makeService(pay.id, { slug: "invoice-pdf", name: "Invoice PDF", description: "Renders 100% of invoices", tier: 3, type: "job", tags: ["pdf"] });
  await makeService(data.id, {
    slug: "warehouse-loader",
    name: "Warehouse loader",
    description: "Loads events nightly",
    tier: 2,
    type: "job",
    lifecycle: "deprecated",
    tags: ["etl"],
  });
  await makeService(data.id, { slug: "reports-web", name: "Reports", description: "Dashboards", tier: 2, type: "website", tags: ["react"] });
});

const slugs = (r: { items: { slug: string }[] }) => r.items.map((i) => i.slug);

describe("catalog search", () => {
  it("matches every word in name, slug, description or tags, case-insensitively", async () => {
    const db = getDb();
    expect(slugs(await searchCatalog(db, { q: "CHECKOUT" }))).toEqual(["checkout-api", "ledger"]);
    expect(slugs(await searchCatalog(db, { q: "checkout bookkeeping" }))).toEqual(["ledger"]);
    expect(slugs(await searchCatalog(db, { q: "pci", sort: "name" }))).toEqual(["checkout-api", "ledger"]);
    expect(slugs(await searchCatalog(db, { q: "warehouse-load" }))).toEqual(["warehouse-loader"]);
    expect((await searchCatalog(db, { q: "no-such-thing" })).total).toBe(0);
  });

  it("ranks exact and prefix hits first", async () => {
    const r = await searchCatalog(getDb(), { q: "ledger" });
    expect(r.items[0].slug).toBe("ledger");
    const r2 = await searchCatalog(getDb(), { q: "checkout" });
    expect(r2.items[0].slug).toBe("checkout-api");
  });

  it("treats LIKE wildcards as plain characters", async () => {
    expect(escapeLike("50%_a\\b")).toBe("50\\%\\_a\\\\b");
    expect(slugs(await searchCatalog(getDb(), { q: "100%" }))).toEqual(["invoice-pdf"]);
    expect((await searchCatalog(getDb(), { q: "%" })).total).toBe(1);
    expect((await searchCatalog(getDb(), { q: "_" })).total).toBe(0);
  });

  it("filters by team, tier, lifecycle, type, kind and tag", async () => {
    const db = getDb();
    expect(slugs(await searchCatalog(db, { team: data.slug, sort: "name" }))).toEqual(["reports-web", "warehouse-loader"]);
    expect(slugs(await searchCatalog(db, { tier: 1, sort: "name" }))).toEqual(["checkout-api", "ledger"]);
    expect(slugs(await searchCatalog(db, { lifecycle: "deprecated" }))).toEqual(["warehouse-loader"]);
    expect(slugs(await searchCatalog(db, { type: "job", sort: "name" }))).toEqual(["invoice-pdf", "warehouse-loader"]);
    expect(slugs(await searchCatalog(db, { tag: "PCI", team: pay.slug, tier: 1, sort: "name" }))).toEqual(["checkout-api", "ledger"]);
    expect((await searchCatalog(db, { kind: "Component" })).total).toBe(5);
    expect((await searchCatalog(db, { kind: "API" })).total).toBe(0);
    expect(slugs(await searchCatalog(db, { q: "loads", team: pay.slug }))).toEqual([]);
  });

  it("sorts and pages in SQL, reporting the total", async () => {
    const db = getDb();
    const p1 = await searchCatalog(db, { sort: "name", pageSize: 2, page: 1 });
    const p2 = await searchCatalog(db, { sort: "name", pageSize: 2, page: 2 });
    const p3 = await searchCatalog(db, { sort: "name", pageSize: 2, page: 3 });
    expect([...slugs(p1), ...slugs(p2), ...slugs(p3)]).toEqual(["checkout-api", "invoice-pdf", "ledger", "reports-web", "warehouse-loader"]);
    expect(p1).toMatchObject({ total: 5, totalCapped: false, pageCount: 3, hasMore: true });
    expect(p3).toMatchObject({ total: 5, totalCapped: false, pageCount: 3, hasMore: false });
    const past = await searchCatalog(db, { sort: "name", pageSize: 2, page: 9 });
    expect(past).toMatchObject({ items: [], total: 5, pageCount: 3, hasMore: false });
    expect(slugs(await searchCatalog(db, { sort: "tier", pageSize: 2 }))).toEqual(["checkout-api", "ledger"]);
    await db.service.update({ where: { slug: "reports-web" }, data: { description: "Dashboards and charts" } });
    expect(slugs(await searchCatalog(db, { sort: "updated", pageSize: 1 }))).toEqual(["reports-web"]);
    expect(p1.items[0]).toMatchObject({ teamSlug: pay.slug, teamName: "Payments", lifecycle: "production", tags: ["pci", "java"] });
  });

  it("offers facets for the filters", async () => {
    const f = await catalogFacets(getDb());
    expect(f.types).toEqual(["job", "service", "website"]);
    expect(f.kinds).toEqual(["Component"]);
    expect(f.systems).toEqual([]);
    expect(f.tags[0]).toEqual({ tag: "pci", count: 2 });
    expect(f.teams.map((t) => t.slug)).toEqual(expect.arrayContaining([pay.slug, data.slug]));
  });

  it("filters by system", async () => {
    const db = getDb();
    await db.service.update({ where: { slug: "invoice-pdf" }, data: { system: "billing" } });
    expect(slugs(await searchCatalog(db, { system: "billing" }))).toEqual(["invoice-pdf"]);
    expect((await catalogFacets(db)).systems).toEqual(["billing"]);
  });

  it("is for signed-in users only, and validates its input", async () => {
    const anon = await callerFor(null);
    await expect(anon.catalog.search({ q: "x" })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(anon.catalog.facets()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    const { caller } = await callerWithRole("developer");
    const r = await caller.catalog.search({ q: "ledger", page: 1 });
    expect(r.items.map((i) => i.slug)).toEqual(["ledger"]);
    await expect(caller.catalog.search({ tier: 7 })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    expect((await caller.catalog.picker({ q: "CHECK" })).map((s) => s.slug)).toEqual(["checkout-api"]);
  });
});
