// CDEvents → canonical facts. Field choices:
//   service name   subject.id (last path segment: "service/payments-api" → payments-api); for changes,
//                  customData.service, else the repository name.
//   version        the artifact purl's version (after "@", percent-decoded: "sha256%3A…" → "sha256:…").
//   change times   change.created sets authoredAt; change.merged sets mergedAt (customData.authoredAt, when sent,
//                  gives the commit time for a merge seen without its creation).
//   deployed content deployments: customData.commit (or .revision, .sha) is the deployed commit; customData.changes
//                  (commit shas or change ids, strings or {id}) lists what the deployment carries
//                  (server/dora/linkage.ts). changes: customData.commit (or .sha) is the merge commit;
//                  customData.firstCommitAt (or the older customData.authoredAt) the first commit's time, the
//                  lead-time start. incidents: customData.rootCause (a commit or change id) is evidence for
//                  attribution; subject.content.artifactId names the version.
//   pipelinerun.finished is stored but not used: lead time runs from commit to deployment, not CI.
import { asDate, str, type CanonicalFact } from "./canonical-facts";
import { purlVersion } from "../platform/purl";
import { parseCdeventType, type CdEvent } from "./cdevents";

/** Commit shas / change ids from customData.changes: strings or objects with an id or sha. */
function refList(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  return v.map((x) => (typeof x === "string" ? x : (str(obj(x).id) ?? str(obj(x).sha) ?? ""))).filter((x) => x !== "");
}

const obj = (v: unknown): Record<string, unknown> => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

export function translateCdevent(e: CdEvent): CanonicalFact {
  const parsed = parseCdeventType(e.context.type);
  const content = obj(e.subject.content);
  const custom = obj(e.customData);
  const at = asDate(e.context.timestamp, "context.timestamp");
  const envId = str(obj(content.environment).id);
  switch (parsed?.kind) {
    case "service.deployed":
    case "service.upgraded":
    case "service.rolledback": {
      const rollback = parsed.kind === "service.rolledback";
      return {
        kind: "deployment",
        deployment: {
          source: "cdevents",
          externalId: e.context.id,
          serviceName: e.subject.id,
          environmentName: envId ?? "",
          version: purlVersion(content.artifactId),
          status: "succeeded",
          isRollback: rollback,
          deployedAt: at,
          revision: str(custom.commit) ?? str(custom.revision) ?? str(custom.sha) ?? null,
          shippedRefs: refList(custom.changes),
        },
        rolledBackVersion: rollback ? str(custom.rolledBackVersion) : undefined,
      };
    }
    case "change.created":
    case "change.merged": {
      const repository = str(obj(content.repository).id) ?? "";
      const serviceName = str(custom.service) ?? repository;
      if (!serviceName) return { kind: "ignored", reason: "change names neither customData.service nor subject.content.repository" };
      const firstCommit = custom.firstCommitAt ?? custom.authoredAt;
      return {
        kind: "change",
        change: {
          source: "cdevents",
          externalId: e.subject.id,
          serviceName,
          repository,
          title: str(content.description) ?? str(custom.title) ?? "",
          authoredAt: parsed.kind === "change.created" ? at : custom.authoredAt ? asDate(custom.authoredAt, "customData.authoredAt") : null,
          mergedAt: parsed.kind === "change.merged" ? at : null,
          commitSha: str(custom.commit) ?? str(custom.sha) ?? null,
          firstCommitAt: firstCommit ? asDate(firstCommit, "customData.firstCommitAt") : null,
        },
      };
    }
    case "incident.detected":
    case "incident.reported":
    case "incident.resolved": {
      const resolved = parsed.kind === "incident.resolved";
      return {
        kind: "incident",
        incident: {
          source: "cdevents",
          externalId: e.subject.id,
          serviceName: str(obj(content.service).id) ?? "",
          environmentName: envId ?? null,
          title: str(content.description) ?? "",
          severity: str(custom.severity),
          detectedAt: resolved ? undefined : at,
          resolvedAt: resolved ? at : null,
          version: content.artifactId ? purlVersion(content.artifactId) : null,
          rootCauseRef: str(custom.rootCause) ?? null,
        },
      };
    }
    case "pipelinerun.finished":
      return { kind: "ignored", reason: "pipeline runs are stored but not used by the metrics" };
    default:
      return { kind: "ignored", reason: `${e.context.type} is not used by the metrics` };
  }
}
