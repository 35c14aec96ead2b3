// Argo CD Notifications' webhook service → canonical facts. Argo CD signs nothing and its body is whatever the
// admin's template renders, so Pier documents the templates to paste (deploy/argocd-notifications-cm.yaml, README
// "Connecting delivery tools") and reads the JSON they render:
//   on-deployed, on-sync-succeeded → deployment succeeded (both triggers of one sync operation are one deployment)
//   on-sync-failed                 → deployment failed
//   on-health-degraded             → environment change "health_degraded" (a verification signal) and an incident
//                                    blaming the synced revision (DORA's change failure); restored by the next
//                                    on-deployed (Argo CD sends it once the app is synced and Healthy)
// Go's text/template prints a missing map key as "<no value>": such values count as absent. Service: the catalog
// service annotated argocd/app-name with the Application's name, else the service of that name. Environment: the
// first of context.environmentName, the destination cluster's name and the destination namespace that names a
// catalog environment (else the first one sent, kept as given for the data-quality page).
import { str, type CanonicalFact } from "./canonical-facts";
import type { DeliveryFact } from "./delivery-facts";
import type { IntakeProblem } from "./gitlab-webhooks";

type Json = Record<string, unknown>;

// "test" is Admin → Integrations' test delivery (./test-delivery.ts): stored, not translated.
const ARGOCD_EVENTS = ["on-deployed", "on-sync-succeeded", "on-sync-failed", "on-health-degraded", "test"] as const;

/** A rendered value, or undefined for "", "<no value>" and non-strings. */
const val = (v: unknown): string | undefined => {
  const s = str(v)?.trim();
  return s && s !== "<no value>" ? s : undefined;
};

/** An RFC 3339 time as Kubernetes writes it, or null. */
function k8sTime(v: unknown): Date | null {
  const s = val(v);
  const d = s ? new Date(s) : null;
  return d && !Number.isNaN(d.getTime()) && d.getTime() >= 0 && d.getUTCFullYear() <= 9999 ? d : null;
}

export function argocdIntakeProblem(payload: Json): IntakeProblem | null {
  const event = val(payload.event);
  if (!event) return { field: "event", reason: "event is missing (the template names its trigger, e.g. on-deployed)" };
  if (!(ARGOCD_EVENTS as readonly string[]).includes(event)) return { field: "event", reason: `event must be one of ${ARGOCD_EVENTS.slice(0, 4).join(", ")}` };
  if (!val(payload.app)) return { field: "app", reason: "app is missing (the Application's metadata.name)" };
  if (event !== "test" && !val(payload.revision)) return { field: "revision", reason: "revision is missing" };
  for (const field of ["startedAt", "finishedAt", "at"]) {
    if (val(payload[field]) && !k8sTime(payload[field])) return { field, reason: `${field} is not an RFC 3339 time` };
  }
  return null;
}

/** Environment names to try, best first (see the header). */
export function argocdEnvironmentCandidates(payload: Json): string[] {
  return [val(payload.environment), val(payload.cluster), val(payload.namespace)].filter((v): v is string => !!v);
}

export function argocdEventTime(payload: Json): Date | null {
  return k8sTime(payload.finishedAt) ?? k8sTime(payload.at);
}

/** The Application as Pier names it: "<app namespace>/<name>" only when not in the default "argocd" namespace. */
function appKey(payload: Json): string {
  const ns = val(payload.appNamespace);
  const app = val(payload.app) ?? "";
  return ns && ns !== "argocd" ? `${ns}/${app}` : app;
}

/** The incident a health-degraded signal opens: one per Application and synced revision (Argo CD's oncePer). */
const degradedIncidentId = (payload: Json) => `${appKey(payload)}@${val(payload.revision) ?? ""}:degraded`;

/** The prefix of every degraded-incident id of the payload's Application (to restore them when it is healthy again). */
export const degradedIncidentPrefix = (payload: Json) => `${appKey(payload)}@`;

export function translateArgocd(payload: Json, receivedAt: Date): Array<CanonicalFact | DeliveryFact> {
  const event = val(payload.event);
  const app = val(payload.app) ?? "";
  const revision = val(payload.revision) ?? "";
  const environmentName = argocdEnvironmentCandidates(payload)[0] ?? "";
  switch (event) {
    case "on-deployed":
    case "on-sync-succeeded":
    case "on-sync-failed":
      return [
        {
          kind: "deployment",
          deployment: {
            source: "argocd",
            // One sync operation (app, revision, start) whichever trigger reported it.
            externalId: `${appKey(payload)}@${revision}@${val(payload.startedAt) ?? val(payload.finishedAt) ?? ""}`,
            serviceName: app,
            environmentName,
            version: revision,
            // The sync revision is the deployed commit (server/dora/linkage.ts).
            revision: revision || null,
            status: event === "on-sync-failed" ? "failed" : "succeeded",
            deployedAt: k8sTime(payload.finishedAt) ?? receivedAt,
          },
        },
      ];
    case "on-health-degraded":
      return [
        // A change failure for DORA: an incident blaming the synced revision (server/dora/canonical.ts links it to
        // that deployment, which then counts as failed), restored when Argo CD next reports the app deployed and
        // Healthy (./delivery-tools.ts, argocdRecoveries).
        {
          kind: "incident",
          incident: {
            source: "argocd",
            externalId: degradedIncidentId(payload),
            serviceName: app,
            environmentName,
            title: `${app} ${val(payload.health) ?? "Degraded"} after syncing ${revision.slice(0, 12)}`,
            severity: "high",
            detectedAt: k8sTime(payload.at) ?? receivedAt,
            version: revision,
          },
        },
        {
          kind: "environmentChange",
          change: {
            source: "argocd",
            // Argo CD's trigger fires once per revision (oncePer syncResult.revision): so is the signal.
            externalId: `${appKey(payload)}@${revision}:degraded`,
            kind: "health_degraded",
            environmentName,
            serviceName: app,
            status: val(payload.health) ?? "Degraded",
            summary: `${app} is ${val(payload.health) ?? "Degraded"} after syncing ${revision.slice(0, 12)}`,
            revision,
            url: "",
            occurredAt: k8sTime(payload.at) ?? receivedAt,
          },
        },
      ];
    default:
      return [{ kind: "ignored", reason: `Argo CD ${event ?? "event"} is not used` }];
  }
}
