// Incident → deployment attribution, evidence first (issue #14):
//   deployment  the source named the deployment                      (Incident.linkReason "deployment")
//   version     it named the deployed version or artifact             ("version": latest such deployment before detection)
//   commit      it named a root-cause commit or change id             ("commit": the deployment that shipped it there)
//   window      none of that: the service's last successful deployment in the incident's environment up to
//               DORA_INCIDENT_LINK_HOURS (default 24) before detection ("window", a heuristic)
// Why 24 h: a bad change mostly shows within the bake time of its rollout (hours), and the old 7-day window blamed
// any deployment of the week (change failure rate far above both Four Keys, which needs an explicit root cause, and
// DevLake, which takes the last deployment without a cap but per project). Owners can confirm or dispute a link.
import { env } from "../env";
import type { Tx } from "../db";

export type IncidentEvidence = {
  deploymentId?: string | null;
  version?: string | null;
  rootCauseRef?: string | null;
};

export type Attribution = { deploymentId: string | null; linkReason: "" | "deployment" | "version" | "commit" | "window" | "manual" };

type Where = { serviceName: string; environmentId: string | null; detectedAt: Date };

/** The deployments of the incident's service in its environment (incidents naming none are about production). */
function candidates(tx: Tx, w: Where) {
  return tx
    .selectFrom("Deployment")
    .select("id")
    .where("serviceName", "=", w.serviceName)
    .where("environmentId", "in", w.environmentId ? [w.environmentId] : tx.selectFrom("Environment").select("id").where("isProduction", "=", true))
    .where("status", "<>", "failed")
    .where("isRollback", "=", false)
    .where("deployedAt", "<=", w.detectedAt);
}

export async function attributeIncident(tx: Tx, w: Where, evidence: IncidentEvidence): Promise<Attribution> {
  if (evidence.deploymentId) return { deploymentId: evidence.deploymentId, linkReason: "deployment" };
  if (!w.serviceName) return { deploymentId: null, linkReason: "" };
  if (evidence.version) {
    const d = await candidates(tx, w).where("version", "=", evidence.version).orderBy("deployedAt", "desc").limit(1).executeTakeFirst();
    if (d) return { deploymentId: d.id, linkReason: "version" };
  }
  if (evidence.rootCauseRef) {
    const ref = evidence.rootCauseRef;
    const d = await candidates(tx, w)
      .where((eb) =>
        eb.or([
          eb("revision", "=", ref),
          eb.exists(
            eb
              .selectFrom("DeploymentChange as dc")
              .innerJoin("Change as c", "c.id", "dc.changeId")
              .select("dc.changeId")
              .whereRef("dc.deploymentId", "=", "Deployment.id")
              .where((e) => e.or([e("c.commitSha", "=", ref), e("c.externalId", "=", ref)])),
          ),
        ]),
      )
      .orderBy("deployedAt")
      .limit(1)
      .executeTakeFirst();
    if (d) return { deploymentId: d.id, linkReason: "commit" };
  }
  const hours = env().DORA_INCIDENT_LINK_HOURS;
  if (hours === 0) return { deploymentId: null, linkReason: "" };
  const d = await candidates(tx, w)
    .where("deployedAt", ">=", new Date(w.detectedAt.getTime() - hours * 3600_000))
    .orderBy("deployedAt", "desc")
    .limit(1)
    .executeTakeFirst();
  return d ? { deploymentId: d.id, linkReason: "window" } : { deploymentId: null, linkReason: "" };
}

/** "root cause: <sha>" in an incident's text (Four Keys' convention, queries/incidents.sql). */
export function rootCauseFromText(text: string | undefined | null): string | null {
  const m = /root cause: ([0-9A-Za-z]+)/.exec(text ?? "");
  return m ? m[1] : null;
}
