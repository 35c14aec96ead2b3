// Impact view: every service that depends on a service, directly or through others.
// The recursive CTE uses UNION (not UNION ALL) over the service id alone, so a service already reached is never
// expanded again: cycles end, and each service is visited once however many paths lead to it (no path explosion
// on dense graphs). Whether a dependent is direct is known from the edge itself.
import type { Db, Tx } from "../db";
import { notFound } from "../errors";

export type ImpactedService = {
  id: string;
  slug: string;
  name: string;
  tier: number;
  lifecycle: string;
  teamSlug: string;
  teamName: string;
  direct: boolean;
};

export async function impactOf(db: Db | Tx, serviceId: string, limit = 1000): Promise<{ items: ImpactedService[]; total: number }> {
  const rows = await db.$queryRaw<(ImpactedService & { total: bigint })[]>`
    WITH RECURSIVE dependents(id) AS (
      SELECT d."fromServiceId" FROM "ServiceDependency" d WHERE d."toServiceId" = ${serviceId}
      UNION
      SELECT d."fromServiceId" FROM "ServiceDependency" d JOIN dependents p ON d."toServiceId" = p.id
    )
    SELECT s.id, s.slug, s.name, s.tier, s.lifecycle::text AS lifecycle, t.slug AS "teamSlug", t.name AS "teamName",
           EXISTS (SELECT 1 FROM "ServiceDependency" e WHERE e."fromServiceId" = s.id AND e."toServiceId" = ${serviceId}) AS direct,
           count(*) OVER () AS total
    FROM dependents x
    JOIN "Service" s ON s.id = x.id
    JOIN "Team" t ON t.id = s."teamId"
    WHERE s.id <> ${serviceId}
    ORDER BY direct DESC, s.tier, s.name
    LIMIT ${limit}`;
  return { items: rows.map(({ total: _t, ...r }) => r), total: rows.length ? Number(rows[0].total) : 0 };
}

export async function impactOfSlug(db: Db | Tx, slug: string, limit?: number) {
  const s = await db.service.findUnique({ where: { slug }, select: { id: true } });
  if (!s) throw notFound(`Service "${slug}"`);
  return impactOf(db, s.id, limit);
}
