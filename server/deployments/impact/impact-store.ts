// The one writer of ServiceImpactQueries: a service's team or an admin saves its PromQL, audited in the same
// transaction.
import { recordAudit } from "../../audit/audit-log";
import { transaction, type Db } from "../../db";
import { notFound } from "../../errors";
import { actorOf, assertCanManageService, canManageService } from "../../identity/access";
import type { SessionUser } from "../../identity/roles";
import type { ImpactQueries } from "./promql";

export async function loadImpactQueries(db: Db, serviceId: string): Promise<ImpactQueries> {
  const row = await db.kysely
    .selectFrom("ServiceImpactQueries")
    .select(["errorRateQuery", "latencyQuery"])
    .where("serviceId", "=", serviceId)
    .executeTakeFirst();
  return { errorRateQuery: row?.errorRateQuery ?? null, latencyQuery: row?.latencyQuery ?? null };
}

async function owningTeam(db: Db, serviceId: string) {
  const s = await db.kysely.selectFrom("Service").select(["id", "teamId"]).where("id", "=", serviceId).executeTakeFirst();
  if (!s) throw notFound("Service");
  return s.teamId;
}

export async function canEditImpactQueries(db: Db, user: SessionUser, serviceId: string) {
  return canManageService(user, await owningTeam(db, serviceId));
}

export async function saveImpactQueries(db: Db, user: SessionUser, serviceId: string, queries: ImpactQueries) {
  assertCanManageService(user, await owningTeam(db, serviceId), "Only the service's team and admins may edit its impact queries");
  const before = await loadImpactQueries(db, serviceId);
  await transaction(db, async (tx) => {
    await tx
      .insertInto("ServiceImpactQueries")
      .values({ serviceId, ...queries, updatedById: user.id, updatedAt: new Date() })
      .onConflict((oc) => oc.column("serviceId").doUpdateSet({ ...queries, updatedById: user.id, updatedAt: new Date() }))
      .execute();
    recordAudit(tx, { actor: actorOf(user), action: "service.impact_queries_updated", subjectType: "service", subjectId: serviceId, before, after: queries });
  });
  return queries;
}
