// Catalog search past the count cap (SEARCH_COUNT_CAP): a broad search is paged with LIMIT pageSize + 1 and counted
// only up to the cap ("1,000+"), and paging by `hasMore` still reaches every match once, in order, for every sort.
// Its own file: the 1,030 services written here would change the totals the other catalog tests expect.
import { beforeAll, describe, expect, it } from "vitest";
import { getDb } from "../db";
import { callerWithRole, makeTeam } from "../../test/support/factories";
import { SEARCH_COUNT_CAP, searchCatalog, type CatalogSearchInput } from "./catalog-search";

const BULK = 1030; // "bulk-0001" … "bulk-1030": more than the cap
const TAGGED = 1000; // the first 1,000 tagged "capped-exactly": exactly the cap
const name = (i: number) => `bulk-${String(i).padStart(4, "0")}`;

beforeAll(async () => {
  expect(SEARCH_COUNT_CAP).toBe(1000);
  const team = await makeTeam("Bulk");
  const rows = Array.from({ length: BULK }, (_, k) => {
    const i = k + 1;
    return {
      id: `bulk-svc-${i}`,
      slug: name(i),
      name: name(i),
      description: i % 2 ? "odd one" : "even one",
      teamId: team.id,
      tier: 1 + (i % 3),
      tags: i <= TAGGED ? ["capped-exactly"] : [],
      // Newest first is the reverse of name order.
      updatedAt: new Date(Date.UTC(2026, 0, 1) + i * 60_000),
    };
  });
  await getDb().kysely.insertInto("Service").values(rows).execute();
  await getDb().kysely.insertInto("Service").values({ id: "other-svc", slug: "other", name: "Other", teamId: team.id, updatedAt: new Date() }).execute();
});

const slugs = (r: { items: { slug: string }[] }) => r.items.map((i) => i.slug);

/** Every page, following `hasMore` as the catalog page's Next link does. */
async function allPages(input: CatalogSearchInput) {
  const pages = [];
  for (let page = 1; ; page++) {
    const r = await searchCatalog(getDb(), { ...input, page, pageSize: 100 });
    pages.push(r);
    if (!r.hasMore) return pages;
    expect(page).toBeLessThan(50);
  }
}

describe("catalog search past the count cap", () => {
  it("says 1,000+ for a broad search, without a page count, and offers the next page", async () => {
    const r = await searchCatalog(getDb(), { q: "bulk", sort: "name" });
    expect(r).toMatchObject({ total: 1000, totalCapped: true, hasMore: true, pageCount: null, page: 1, pageSize: 25 });
    expect(slugs(r)).toEqual(Array.from({ length: 25 }, (_, k) => name(k + 1)));
    // Everything: also capped.
    expect(await searchCatalog(getDb(), {})).toMatchObject({ total: 1000, totalCapped: true, hasMore: true });
  });

  it("counts exactly up to the cap", async () => {
    const r = await searchCatalog(getDb(), { tag: "capped-exactly", sort: "name" });
    expect(r).toMatchObject({ total: 1000, totalCapped: false, hasMore: true, pageCount: 40 });
    const odd = await searchCatalog(getDb(), { q: "bulk odd", sort: "name" });
    expect(odd).toMatchObject({ total: 515, totalCapped: false, pageCount: 21 });
    expect(await searchCatalog(getDb(), { q: "other" })).toMatchObject({ total: 1, totalCapped: false, hasMore: false, pageCount: 1 });
    expect(await searchCatalog(getDb(), { q: "nothing-like-this" })).toMatchObject({ items: [], total: 0, totalCapped: false, hasMore: false, pageCount: 1 });
  });

  it("pages through every match once, in order, for each sort", async () => {
    const byName = Array.from({ length: BULK }, (_, k) => name(k + 1));
    const cases: [CatalogSearchInput, string[]][] = [
      [{ q: "bulk", sort: "name" }, byName],
      [{ q: "bulk", sort: "updated" }, [...byName].reverse()],
      // Every slug starts with the word: all rank alike, so by name.
      [{ q: "bulk" }, byName],
      [{ q: "bulk", sort: "tier" }, [1, 2, 3].flatMap((tier) => byName.filter((_, k) => 1 + ((k + 1) % 3) === tier))],
    ];
    for (const [input, expected] of cases) {
      const pages = await allPages(input);
      expect(pages.flatMap(slugs)).toEqual(expected);
      expect(pages).toHaveLength(11);
      expect(pages.every((p) => p.totalCapped && p.total === 1000 && p.pageCount === null)).toBe(true);
      expect(pages.map((p) => p.hasMore)).toEqual([...Array(10).fill(true), false]);
    }
  });

  it("ranks an exact hit first however many match", async () => {
    const r = await searchCatalog(getDb(), { q: "bulk-0500" });
    expect(slugs(r)).toEqual(["bulk-0500"]);
    const broad = await searchCatalog(getDb(), { q: "bulk", pageSize: 3 });
    expect(slugs(broad)).toEqual(["bulk-0001", "bulk-0002", "bulk-0003"]);
    expect(broad).toMatchObject({ totalCapped: true, hasMore: true });
  });

  it("past the last page: no items, still the (capped) count so the pager can lead back", async () => {
    const past = await searchCatalog(getDb(), { q: "bulk", sort: "name", page: 60 });
    expect(past).toMatchObject({ items: [], hasMore: false, total: 1000, totalCapped: true, pageCount: null });
    const pastSmall = await searchCatalog(getDb(), { q: "bulk odd", page: 30 });
    expect(pastSmall).toMatchObject({ items: [], hasMore: false, total: 515, totalCapped: false, pageCount: 21 });
  });

  it("answers the same through the tRPC procedure", async () => {
    const { caller } = await callerWithRole("developer");
    const r = await caller.catalog.search({ q: "bulk", sort: "name", page: 2 });
    expect(r).toMatchObject({ total: 1000, totalCapped: true, hasMore: true, pageCount: null, page: 2 });
    expect(r.items[0].slug).toBe(name(26));
  });
});
