// A service's recent deployment outcomes, oldest first, for the service page's tracker: every deployment DORA
// counts (Pier's own and those reported by delivery tools), per environment or all of them.
import type { Db } from "../db";

export async function recentOutcomes(db: Db, input: { serviceId: string; environmentName?: string; limit?: number }) {
  const rows = await db.reader
    .selectFrom("Deployment")
    .select(["id", "environmentName", "version", "status", "isRollback", "deployedAt", "deploymentRequestId", "hasIncident"])
    .where("serviceId", "=", input.serviceId)
    .$if(!!input.environmentName, (q) => q.where("environmentName", "=", input.environmentName!))
    .orderBy("deployedAt", "desc")
    .orderBy("id", "desc")
    .limit(Math.min(input.limit ?? 40, 90))
    .execute();
  const items = rows.reverse();
  const count = (s: string) => items.filter((r) => r.status === s).length;
  return { items, counts: { succeeded: count("succeeded"), failed: count("failed"), rolledBack: count("rolled_back") } };
}
