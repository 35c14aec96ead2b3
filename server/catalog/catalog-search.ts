// Catalog search in one SQL statement: every word of the query must appear (case-insensitively) in the name,
// slug, description or a tag; filters narrow by team, tier, lifecycle, type, kind and tag; results are sorted
// and paged in Postgres. The words are matched against Service.searchText (name, slug, description and tags joined
// by spaces and lowered, kept by a trigger), which a pg_trgm GIN index covers (migration 20261202140000_catalog_search_trigram):
// at 15,000 services a word that matches few of them is an index lookup, not four ILIKEs on every row (see
// scripts/bench-catalog.ts). The tag filter uses the GIN index on tags.
import { SERVICE_CARD_COLUMNS } from "./service-summary";
import { z } from "zod";
import type { Expression, ExpressionBuilder, SqlBool } from "kysely";
import { sql, type DB, type Db, type Kysely } from "../db";
import type { SessionUser } from "../identity/roles";
import { LIFECYCLES } from "./service-input";

const SEARCH_SORTS = ["relevance", "name", "updated", "tier"] as const;
/** Whose services: all, those of the viewer's teams ("Owned by me / my teams"), or the viewer's starred ones. */
const SEARCH_SCOPES = ["all", "mine", "starred"] as const;

export const catalogSearchInput = z.object({
  q: z.string().trim().max(200).default(""),
  scope: z.enum(SEARCH_SCOPES).default("all"),
  team: z.string().trim().max(100).optional(),
  tier: z.coerce.number().int().min(1).max(3).optional(),
  lifecycle: z.enum(LIFECYCLES).optional(),
  type: z.string().trim().max(40).optional(),
  kind: z.string().trim().max(40).optional(),
  system: z.string().trim().max(63).optional(),
  tag: z.string().trim().toLowerCase().max(63).optional(),
  sort: z.enum(SEARCH_SORTS).default("relevance"),
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(25),
});
export type CatalogSearchInput = z.input<typeof catalogSearchInput>;
type SearchInput = z.output<typeof catalogSearchInput>;

/** `%`, `_` and `\` are wildcards in LIKE: a search for "50%" means the characters. */
export const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Who is searching: what "mine" and "starred" mean. */
export type SearchViewer = Pick<SessionUser, "id" | "teamIds">;

/**
 * Services (not yet joined with their teams: a page joins only its own rows) narrowed by every word of the query and
 * the filters.
 */
function matching(db: Kysely<DB>, input: SearchInput, words: string[], viewer: SearchViewer | undefined) {
  return db.selectFrom("Service as s").where((eb) => {
    const where: Expression<SqlBool>[] = words.map((w) => {
      const pattern = `%${escapeLike(w)}%`;
      // searchText is stored lowered: LIKE against the lowered pattern is ILIKE (which lowers both sides in UTF-8).
      return eb("s.searchText", "like", eb.fn<string>("lower", [eb.val(pattern)]));
    });
    if (input.scope === "mine") where.push(viewer?.teamIds.length ? eb("s.teamId", "in", viewer.teamIds) : sql<SqlBool>`false`);
    if (input.scope === "starred")
      where.push(
        eb.exists(
          eb
            .selectFrom("ServiceStar as st")
            .select("st.serviceId")
            .whereRef("st.serviceId", "=", "s.id")
            .where("st.userId", "=", viewer?.id ?? ""),
        ),
      );
    if (input.team) where.push(eb("s.teamId", "in", eb.selectFrom("Team as t").select("t.id").where("t.slug", "=", input.team)));
    if (input.tier) where.push(eb("s.tier", "=", input.tier));
    if (input.lifecycle) where.push(eb("s.lifecycle", "=", input.lifecycle));
    if (input.type) where.push(eb("s.type", "=", input.type));
    if (input.kind) where.push(eb("s.kind", "=", input.kind));
    if (input.system) where.push(eb("s.system", "=", input.system));
    // Containment, so the GIN index on tags serves it.
    if (input.tag) where.push(eb("s.tags", "@>", sql<string[]>`ARRAY[${input.tag}]::text[]`));
    return eb.and(where);
  });
}

/**
 * Above this many matches the total is not counted exactly: the search says "1,000+" (as GitHub's and Backstage's
 * do). Counting a word that matches 10,000 services means reading and rechecking every one of them on every keystroke;
 * counting up to the cap stops early.
 */
export const SEARCH_COUNT_CAP = 1000;

/**
 * The matching services' ids and sort keys, in page order, one row more than the page (whether a next page exists,
 * without counting), as the derived table `p`. Sorted by name, update or tier, Postgres may walk an index and stop
 * after the page. Ranked by relevance, every match must be ranked anyway, so the same scan counts them (a window over
 * these few narrow columns, not over the joined card rows).
 */
function pageOf(db: Kysely<DB>, input: SearchInput, words: string[], viewer: SearchViewer | undefined) {
  const offset = (input.page - 1) * input.pageSize;
  if (input.sort === "relevance" && words.length) {
    // Each row's name and slug lowered once, in a subquery OFFSET 0 keeps apart (else Postgres inlines it and lowers
    // them again for each comparison of the rank: at 10,000 matches that was most of the search's time).
    const lowered = matching(db, input, words, viewer)
      .select(["s.id", "s.name", "s.updatedAt", "s.tier", sql<string>`lower(s.slug)`.as("slug"), sql<string>`lower(s.name)`.as("lowerName")])
      .offset(0)
      .as("s");
    return db
      .selectFrom(lowered)
      .select((eb) => ["s.id", "s.name", "s.updatedAt", "s.tier", relevanceRank(eb, words[0]).as("rank"), sql<string | null>`count(*) over ()`.as("total")])
      .orderBy("rank")
      .orderBy("s.name")
      .orderBy("s.id")
      .limit(input.pageSize + 1)
      .offset(offset)
      .as("p");
  }
  let q = matching(db, input, words, viewer)
    .select(["s.id", "s.name", "s.updatedAt", "s.tier", sql<number>`0`.as("rank"), sql<string | null>`NULL`.as("total")])
    .limit(input.pageSize + 1)
    .offset(offset);
  if (input.sort === "updated") q = q.orderBy("s.updatedAt", "desc");
  else if (input.sort === "tier") q = q.orderBy("s.tier").orderBy("s.name");
  else q = q.orderBy("s.name");
  return q.orderBy("s.id").as("p");
}

type Lowered = { s: { slug: string; lowerName: string } };

/**
 * Relevance: an exact slug/name hit first, then prefix hits, then name hits, then anything else. Compared on the
 * lowered slug and name with starts_with/strpos: what ILIKE does in a UTF-8 database (it lowers both sides), without
 * a pattern to build and match on each of the rows being ranked.
 */
function relevanceRank(eb: ExpressionBuilder<Lowered, "s">, word: string) {
  const first = eb.fn<string>("lower", [eb.val(word)]);
  const slug = eb.ref("s.slug");
  const name = eb.ref("s.lowerName");
  return eb
    .case()
    .when(eb.or([eb(slug, "=", first), eb(name, "=", first)]))
    .then(0)
    .when(eb.or([eb.fn<boolean>("starts_with", [slug, first]), eb.fn<boolean>("starts_with", [name, first])]))
    .then(1)
    .when(eb(eb.fn<number>("strpos", [name, first]), ">", 0))
    .then(2)
    .else(3)
    .end();
}

/**
 * One page of matching services; `viewer` is needed for the "mine" and "starred" scopes (without one they match
 * nothing). `total` is exact unless `totalCapped`: more than SEARCH_COUNT_CAP match and `total` is that cap (show
 * "1,000+"); then `pageCount` is null and `hasMore` says whether there is a next page.
 */
export async function searchCatalog(db: Db, raw: CatalogSearchInput, viewer?: SearchViewer) {
  const input = catalogSearchInput.parse(raw);
  const words = input.q.split(/\s+/).filter(Boolean).slice(0, 8);
  const offset = (input.page - 1) * input.pageSize;

  // The page's rows joined with their services' card columns and teams, in the page's order (rank is 0 unless
  // ranked by relevance, so it orders nothing then).
  let query = db.replica
    .selectFrom(pageOf(db.replica, input, words, viewer))
    .innerJoin("Service as s", "s.id", "p.id")
    .innerJoin("Team as t", "t.id", "s.teamId")
    .select([...SERVICE_CARD_COLUMNS, "s.tags", "s.updatedAt", "t.slug as teamSlug", "t.name as teamName", "p.total"])
    .orderBy("p.rank");
  if (input.sort === "updated") query = query.orderBy("p.updatedAt", "desc");
  else if (input.sort === "tier") query = query.orderBy("p.tier").orderBy("p.name");
  else query = query.orderBy("p.name");
  const rows = await query.orderBy("p.id").execute();
  const hasMore = rows.length > input.pageSize;
  const items = rows.slice(0, input.pageSize).map(({ total: _t, ...r }) => r);

  // Ranked pages carry the count; the last page (or the only one) gives it for free; otherwise count, up to the cap.
  // Past the last page it is still counted, so the pager can offer a way back.
  let total = offset + items.length;
  if (rows[0]?.total != null) total = Number(rows[0].total);
  else if (hasMore || (!items.length && offset > 0)) {
    const c = await db.replica
      .selectFrom(
        matching(db.replica, input, words, viewer)
          .select(sql<number>`1`.as("one"))
          .limit(SEARCH_COUNT_CAP + 1)
          .as("m"),
      )
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .executeTakeFirstOrThrow();
    // At least what the page itself saw (a service deleted between the two statements must not shrink it below).
    total = items.length ? Math.max(Number(c.n), offset + items.length + (hasMore ? 1 : 0)) : Number(c.n);
  }
  const totalCapped = total > SEARCH_COUNT_CAP;
  if (totalCapped) total = SEARCH_COUNT_CAP;
  return {
    items,
    total,
    totalCapped,
    hasMore,
    page: input.page,
    pageSize: input.pageSize,
    pageCount: totalCapped ? null : Math.max(1, Math.ceil(total / input.pageSize)),
  };
}

/** The values the filter dropdowns offer. */
export async function catalogFacets(db: Db) {
  const [teams, types, kinds, systems, tags] = await Promise.all([
    db.team.findMany({ orderBy: { name: "asc" }, select: { id: true, slug: true, name: true } }),
    db.replica.selectFrom("Service").select("type").distinct().orderBy("type").execute(),
    db.replica.selectFrom("Service").select("kind").distinct().orderBy("kind").execute(),
    db.replica.selectFrom("Service").select("system").distinct().where("system", "is not", null).orderBy("system").execute(),
    db.replica
      .selectFrom((eb) =>
        eb
          .selectFrom("Service")
          .select((eb) => eb.fn<string>("unnest", ["tags"]).as("tag"))
          .as("u"),
      )
      .select((eb) => ["u.tag", eb.fn.countAll<string>().as("n")])
      .groupBy("u.tag")
      .orderBy((eb) => eb.fn.countAll(), "desc")
      .orderBy("u.tag")
      .limit(100)
      .execute(),
  ]);
  return {
    teams,
    types: types.map((r) => r.type),
    kinds: kinds.map((r) => r.kind),
    systems: systems.map((r) => r.system!),
    tags: tags.map((r) => ({ tag: r.tag, count: Number(r.n) })),
  };
}
