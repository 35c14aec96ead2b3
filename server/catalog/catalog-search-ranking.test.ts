// The relevance order of catalog search, pinned row by row: the trigram index (migration
// 20261202140000_catalog_search_trigram) changed how matches are found and ranked, not which or in what order.
import { beforeAll, describe, expect, it } from "vitest";
import { getDb } from "../db";
import { makeTeam } from "../../test/support/factories";
import { makeService } from "../../test/support/catalog-builders";
import { searchCatalog } from "./catalog-search";

beforeAll(async () => {
  const team = await makeTeam("Ranking");
  const services: [slug: string, name: string, description: string, tags: string[]][] = [
    ["f-zeta", "Fox", "", []],
    ["e-svc", "Echo", "", ["zeta"]],
    ["d-svc", "Delta", "Mentions ZETA in passing", []],
    ["c-svc", "The zeta thing", "", []],
    ["b-svc", "Zetaflow", "", []],
    ["zeta-api", "Api", "", []],
    ["alpha-x", "ZETA", "", []],
    ["zeta", "Something", "", []],
    ["h-svc", "Hotel", "zeta_1 and 50%", ["edge"]],
    ["i-svc", "India", "zetaX1", []],
  ];
  for (const [slug, name, description, tags] of services) await makeService(team.id, { slug, name, description, tags });
});

const slugs = (r: { items: { slug: string }[] }) => r.items.map((i) => i.slug);

describe("catalog search ranking", () => {
  it("puts exact slug/name hits first, then prefix hits, then name hits, then the rest, each by name", async () => {
    const r = await searchCatalog(getDb(), { q: "Zeta" });
    expect(slugs(r)).toEqual(["zeta", "alpha-x", "zeta-api", "b-svc", "c-svc", "d-svc", "e-svc", "f-zeta", "h-svc", "i-svc"]);
    expect(r.total).toBe(10);
  });

  it("ranks by the first word; every word must match somewhere", async () => {
    expect(slugs(await searchCatalog(getDb(), { q: "zeta passing" }))).toEqual(["d-svc"]);
    // "Something" and "The zeta thing" both hold "thing" in their names (rank 2), so by name.
    expect(slugs(await searchCatalog(getDb(), { q: "thing zeta" }))).toEqual(["zeta", "c-svc"]);
    expect(slugs(await searchCatalog(getDb(), { q: "zetaflow zeta" }))).toEqual(["b-svc"]);
    expect(slugs(await searchCatalog(getDb(), { q: "zeta edge" }))).toEqual(["h-svc"]);
  });

  it("treats wildcards literally in matching and in ranking", async () => {
    expect(slugs(await searchCatalog(getDb(), { q: "zeta_" }))).toEqual(["h-svc"]);
    expect(slugs(await searchCatalog(getDb(), { q: "50%" }))).toEqual(["h-svc"]);
    expect(slugs(await searchCatalog(getDb(), { q: "x1" }))).toEqual(["i-svc"]);
  });

  it("pages through the ranked order", async () => {
    const pages = await Promise.all([1, 2, 3].map((page) => searchCatalog(getDb(), { q: "zeta", page, pageSize: 4 })));
    expect(pages.flatMap(slugs)).toEqual(["zeta", "alpha-x", "zeta-api", "b-svc", "c-svc", "d-svc", "e-svc", "f-zeta", "h-svc", "i-svc"]);
    expect(slugs(await searchCatalog(getDb(), { q: "zeta", sort: "name", pageSize: 3 }))).toEqual(["zeta-api", "d-svc", "e-svc"]);
  });
});
