// The versions the request form offers for a service and target environment: those that succeeded upstream (an
// environment ranked before the target), newest first, with where they run; for the first environment, the versions
// Pier has seen deployed anywhere for the service. Free text stays allowed: the choices only save looking them up.
import type { Db } from "../db";
import { notFound } from "../errors";

const LIMIT = 8;

export async function versionChoices(db: Db, input: { serviceId: string; environmentId: string }) {
  const k = db.reader;
  const target = await k.selectFrom("Environment").select(["id", "name", "rank"]).where("id", "=", input.environmentId).executeTakeFirst();
  if (!target) throw notFound("Environment");
  const live = await k
    .selectFrom("ServiceEnvironment")
    .select("currentVersion")
    .where("serviceId", "=", input.serviceId)
    .where("environmentId", "=", input.environmentId)
    .executeTakeFirst();
  const hasUpstream = await k.selectFrom("Environment").select("id").where("rank", "<", target.rank).limit(1).executeTakeFirst();
  const rows = await k
    .selectFrom("Deployment as d")
    .leftJoin("Environment as e", "e.id", "d.environmentId")
    .select((eb) => [
      "d.version",
      eb.fn.max("d.deployedAt").as("deployedAt"),
      eb.fn
        .agg<string[]>("array_agg", [eb.fn.coalesce("e.name", "d.environmentName")])
        .distinct()
        .as("environments"),
    ])
    .where("d.serviceId", "=", input.serviceId)
    .where("d.status", "=", "succeeded")
    .where("d.version", "<>", "")
    .$if(!!hasUpstream, (q) => q.where("e.rank", "<", target.rank))
    .$if(!!live?.currentVersion, (q) => q.where("d.version", "<>", live!.currentVersion!))
    .groupBy("d.version")
    .orderBy("deployedAt", "desc")
    .limit(LIMIT)
    .execute();
  return {
    basis: hasUpstream ? ("upstream" as const) : ("seen" as const),
    live: live?.currentVersion ?? null,
    choices: rows.map((r) => ({ version: r.version, deployedAt: new Date(r.deployedAt), environments: [...new Set(r.environments)].sort() })),
  };
}
