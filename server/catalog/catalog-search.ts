// Catalog search in one SQL statement: every word of the query must appear (case-insensitively) in the name,
// slug, description or a tag; filters narrow by team, tier, lifecycle, type, kind and tag; results are sorted
// and paged in Postgres. ILIKE over a few thousand rows stays in single-digit milliseconds (see
// scripts/bench-catalog.ts), so it needs no index Prisma's schema cannot express; the tag filter uses the GIN index.
import { z } from "zod";
import type { Db, Tx } from "../db";
import { Prisma } from "../db";
import { LIFECYCLES } from "./service-input";

export const SEARCH_SORTS = ["relevance", "name", "updated", "tier"] as const;

export const catalogSearchInput = z.object({
  q: z.string().trim().max(200).default(""),
  team: z.string().trim().max(100).optional(),
  tier: z.coerce.number().int().min(1).max(3).optional(),
  lifecycle: z.enum(LIFECYCLES).optional(),
  type: z.string().trim().max(40).optional(),
  kind: z.string().trim().max(40).optional(),
  tag: z.string().trim().toLowerCase().max(63).optional(),
  sort: z.enum(SEARCH_SORTS).default("relevance"),
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(25),
});
export type CatalogSearchInput = z.input<typeof catalogSearchInput>;

export type CatalogSearchRow = {
  id: string;
  slug: string;
  name: string;
  description: string;
  tier: number;
  lifecycle: (typeof LIFECYCLES)[number];
  type: string;
  kind: string;
  tags: string[];
  updatedAt: Date;
  teamSlug: string;
  teamName: string;
};

export type CatalogSearchResult = {
  items: CatalogSearchRow[];
  total: number;
  page: number;
  pageSize: number;
  pageCount: number;
};

/** `%`, `_` and `\` are wildcards in LIKE: a search for "50%" means the characters. */
export const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export async function searchCatalog(db: Db | Tx, raw: CatalogSearchInput): Promise<CatalogSearchResult> {
  const input = catalogSearchInput.parse(raw);
  const words = input.q.split(/\s+/).filter(Boolean).slice(0, 8);
  const where: Prisma.Sql[] = [];
  for (const w of words) {
    const pattern = `%${escapeLike(w)}%`;
    where.push(Prisma.sql`(s.name ILIKE ${pattern} OR s.slug ILIKE ${pattern} OR s.description ILIKE ${pattern}
      OR array_to_string(s.tags, ' ') ILIKE ${pattern})`);
  }
  if (input.team) where.push(Prisma.sql`t.slug = ${input.team}`);
  if (input.tier) where.push(Prisma.sql`s.tier = ${input.tier}`);
  if (input.lifecycle) where.push(Prisma.sql`s.lifecycle = ${input.lifecycle}::"Lifecycle"`);
  if (input.type) where.push(Prisma.sql`s.type = ${input.type}`);
  if (input.kind) where.push(Prisma.sql`s.kind = ${input.kind}`);
  if (input.tag) where.push(Prisma.sql`s.tags @> ARRAY[${input.tag}]::text[]`);
  const whereSql = where.length ? Prisma.sql`WHERE ${Prisma.join(where, " AND ")}` : Prisma.empty;

  // Relevance: an exact slug/name hit first, then prefix hits, then name hits, then anything else.
  const first = words[0] ?? "";
  const relevance = words.length
    ? Prisma.sql`CASE WHEN lower(s.slug) = lower(${first}) OR lower(s.name) = lower(${first}) THEN 0
        WHEN s.slug ILIKE ${escapeLike(first) + "%"} OR s.name ILIKE ${escapeLike(first) + "%"} THEN 1
        WHEN s.name ILIKE ${"%" + escapeLike(first) + "%"} THEN 2 ELSE 3 END, s.name`
    : Prisma.sql`s.name`;
  const orderBy = {
    relevance,
    name: Prisma.sql`s.name`,
    updated: Prisma.sql`s."updatedAt" DESC`,
    tier: Prisma.sql`s.tier, s.name`,
  }[input.sort];

  const offset = (input.page - 1) * input.pageSize;
  const rows = await db.$queryRaw<(CatalogSearchRow & { total: bigint })[]>`
    SELECT s.id, s.slug, s.name, s.description, s.tier, s.lifecycle::text AS lifecycle, s.type, s.kind, s.tags,
           s."updatedAt", t.slug AS "teamSlug", t.name AS "teamName", count(*) OVER () AS total
    FROM "Service" s JOIN "Team" t ON t.id = s."teamId"
    ${whereSql}
    ORDER BY ${orderBy}, s.id
    LIMIT ${input.pageSize} OFFSET ${offset}`;

  let total = rows.length ? Number(rows[0].total) : 0;
  if (!rows.length && offset > 0) {
    // Past the last page: still report how many match so the pager can offer a way back.
    const [c] = await db.$queryRaw<{ n: bigint }[]>`
      SELECT count(*) AS n FROM "Service" s JOIN "Team" t ON t.id = s."teamId" ${whereSql}`;
    total = Number(c.n);
  }
  return {
    items: rows.map(({ total: _t, ...r }) => r),
    total,
    page: input.page,
    pageSize: input.pageSize,
    pageCount: Math.max(1, Math.ceil(total / input.pageSize)),
  };
}

/** The values the filter dropdowns offer. */
export async function catalogFacets(db: Db | Tx) {
  const [teams, types, kinds, tags] = await Promise.all([
    db.team.findMany({ orderBy: { name: "asc" }, select: { slug: true, name: true } }),
    db.$queryRaw<{ type: string }[]>`SELECT DISTINCT type FROM "Service" ORDER BY type`,
    db.$queryRaw<{ kind: string }[]>`SELECT DISTINCT kind FROM "Service" ORDER BY kind`,
    db.$queryRaw<{ tag: string; n: bigint }[]>`
      SELECT tag, count(*) AS n FROM "Service", unnest(tags) AS tag GROUP BY tag ORDER BY count(*) DESC, tag LIMIT 100`,
  ]);
  return {
    teams,
    types: types.map((r) => r.type),
    kinds: kinds.map((r) => r.kind),
    tags: tags.map((r) => ({ tag: r.tag, count: Number(r.n) })),
  };
}
