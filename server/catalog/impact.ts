// Impact view: every service that depends on a service, directly or through others.
// The recursive CTE uses UNION (not UNION ALL) over the service id alone, so a service already reached is never
// expanded again: cycles end, and each service is visited once however many paths lead to it (no path explosion
// on dense graphs). Whether a dependent is direct is known from the edge itself. Edges are ./service-graph.ts's:
// declared dependencies and API consumption (the consumer of an API depends on its providers). The API edges (few)
// are computed once per statement; the declared ones stay inlined (NOT MATERIALIZED) so each step is an index
// lookup; a catalog with no API consumption reads ServiceDependency alone (a materialized edge list has no index:
// seconds per page at 15,000 edges).
import { sql, type DB, type Db, type Kysely } from "../db";
import { notFound } from "../errors";
import { apiConsumptionEdges, hasApiConsumption } from "./service-graph";

export async function impactOf(db: Db, serviceId: string, limit = 1000) {
  const rows = await dependentsOf(db.kysely, serviceId, limit, await hasApiConsumption(db.kysely)).execute();
  return { items: rows.map(({ total: _t, ...r }) => r), total: rows.length ? Number(rows[0].total) : 0 };
}

/** The statement: dependents, direct ones first, then by tier and name, with the count of all of them. */
function dependentsOf(db: Kysely<DB>, serviceId: string, limit: number, withApis: boolean) {
  return db
    .withRecursive(
      (cte) => cte("api").materialized(),
      () => apiConsumptionEdges(db).where(sql.lit(withApis)),
    )
    .withRecursive(
      (cte) => cte("edges").notMaterialized(),
      (qb) =>
        qb
          .selectFrom("ServiceDependency")
          .select(["fromServiceId", "toServiceId"])
          .unionAll(qb.selectFrom("api").select(["api.fromServiceId", "api.toServiceId"]).where(sql.lit(withApis))),
    )
    .withRecursive("dependents(id)", (qb) =>
      qb
        .selectFrom("edges as d")
        .select("d.fromServiceId as id")
        .where("d.toServiceId", "=", serviceId)
        .union((qb) => qb.selectFrom("edges as d").innerJoin("dependents as p", "p.id", "d.toServiceId").select("d.fromServiceId as id")),
    )
    .selectFrom("dependents as x")
    .innerJoin("Service as s", "s.id", "x.id")
    .innerJoin("Team as t", "t.id", "s.teamId")
    .select((eb) => [
      "s.id",
      "s.slug",
      "s.name",
      "s.tier",
      "s.lifecycle",
      "t.slug as teamSlug",
      "t.name as teamName",
      eb
        .exists(eb.selectFrom("edges as e").select(sql.lit(1).as("one")).whereRef("e.fromServiceId", "=", "s.id").where("e.toServiceId", "=", serviceId))
        .as("direct"),
      eb.fn.countAll<string>().over().as("total"),
    ])
    .where("s.id", "<>", serviceId)
    .orderBy("direct", "desc")
    .orderBy("s.tier")
    .orderBy("s.name")
    .limit(limit);
}

export async function impactOfSlug(db: Db, slug: string, limit?: number) {
  const s = await db.kysely.selectFrom("Service").select("id").where("slug", "=", slug).executeTakeFirst();
  if (!s) throw notFound(`Service "${slug}"`);
  return impactOf(db, s.id, limit);
}
