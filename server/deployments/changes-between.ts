// What an approver approves: the changes (commits, merged PRs) a request brings to its environment, from the
// ingested changes (server/dora/canonical.ts links each change to the deployment that shipped it, per environment).
//
// The requested version's contents are known where it already ran: the newest successful deployment of that
// version in another environment shipped it, so every change shipped there up to that deployment is in it. Of
// those, the ones the target environment has not received yet are what the request brings. When the version ran
// nowhere Pier saw, the list is the service's merged changes the target has not received (basis "unshipped").
import type { Db } from "../db";
import { notFound } from "../errors";

const LIMIT = 50;

/** A link to the change where its source is known to host it (GitHub); others are shown without a link. */
export function changeUrl(c: { source: string; repository: string; externalId: string }): string | null {
  if (c.source !== "github" || !/^[\w.-]+\/[\w.-]+$/.test(c.repository)) return null;
  if (/^[0-9a-f]{7,40}$/i.test(c.externalId)) return `https://github.com/${c.repository}/commit/${c.externalId}`;
  const pr = c.externalId.match(/#(\d+)$/);
  return pr ? `https://github.com/${c.repository}/pull/${pr[1]}` : null;
}

export async function changesForRequest(db: Db, requestId: string) {
  const k = db.reader;
  const r = await k
    .selectFrom("DeploymentRequest as r")
    .innerJoin("Environment as e", "e.id", "r.environmentId")
    .select(["r.serviceId", "r.environmentId", "r.version", "r.previousVersion", "r.createdAt", "e.name as environmentName"])
    .where("r.id", "=", requestId)
    .executeTakeFirst();
  if (!r) throw notFound("Deployment request");
  // Where the requested version already ran: its newest successful deployment outside the target environment.
  const upstream = await k
    .selectFrom("Deployment as d")
    .select(["d.id", "d.environmentId", "d.environmentName", "d.deployedAt"])
    .where("d.serviceId", "=", r.serviceId)
    .where("d.version", "=", r.version)
    .where("d.status", "=", "succeeded")
    .where((eb) => eb.or([eb("d.environmentId", "is", null), eb("d.environmentId", "<>", r.environmentId)]))
    .orderBy("d.deployedAt", "desc")
    .limit(1)
    .executeTakeFirst();
  // The changes the target environment already received.
  const inTarget = k
    .selectFrom("DeploymentChange as t")
    .select("t.changeId")
    .where((w) => w.or([w("t.environmentId", "=", r.environmentId), w("t.environmentName", "=", r.environmentName)]));
  const query = upstream
    ? k
        .selectFrom("Change as c")
        .innerJoin("DeploymentChange as u", "u.changeId", "c.id")
        .where("u.environmentName", "=", upstream.environmentName)
        .where("u.deployedAt", "<=", upstream.deployedAt)
        .where("c.serviceId", "=", r.serviceId)
        .where("c.id", "not in", inTarget)
    : k
        .selectFrom("Change as c")
        .where("c.serviceId", "=", r.serviceId)
        .where("c.mergedAt", "is not", null)
        .where("c.mergedAt", "<=", r.createdAt)
        .where("c.id", "not in", inTarget);
  const [rows, total] = await Promise.all([
    query
      .select(["c.id", "c.source", "c.repository", "c.externalId", "c.title", "c.authoredAt", "c.mergedAt"])
      .orderBy("c.mergedAt", "desc")
      .orderBy("c.id", "desc")
      .limit(LIMIT)
      .execute(),
    query.select((eb) => eb.fn.countAll<string>().as("n")).executeTakeFirstOrThrow(),
  ]);
  return {
    basis: upstream ? ("upstream" as const) : ("unshipped" as const),
    upstream: upstream ? { environmentName: upstream.environmentName, deployedAt: upstream.deployedAt } : null,
    environmentName: r.environmentName,
    total: Number(total.n),
    items: rows.map((c) => ({ ...c, url: changeUrl(c) })),
  };
}
