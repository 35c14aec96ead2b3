// GitHub webhooks: signature check over the raw bytes and translation to canonical facts.
//   deployment_status success|failure|error → deployment (the repository is the service)
//   pull_request closed+merged                → change keyed by the merge commit sha (authored = PR opened)
//   push to the default branch                → one change per commit (the same sha as a PR merge = same change)
//   deployment, workflow_run, ping, others    → stored, not used by the metrics
import { createHmac, timingSafeEqual } from "node:crypto";
import { asDate, eventTime, str, type CanonicalFact } from "./canonical-facts";

/** True when `header` is "sha256=<hex HMAC-SHA256 of raw with secret>" for any of the secrets (constant time). */
export function verifyGithubSignature(raw: Uint8Array, header: string | null, secrets: string[]): boolean {
  if (!header || !header.startsWith("sha256=")) return false;
  const given = Buffer.from(header.slice("sha256=".length).trim(), "hex");
  if (given.length !== 32) return false;
  return secrets.some((secret) => {
    const expected = createHmac("sha256", secret).update(raw).digest();
    return timingSafeEqual(expected, given);
  });
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : {});

/** When a delivery says its event happened (the times the translation below reads); null for other events. */
export function githubEventTime(event: string, payload: Json): Date | null {
  switch (event) {
    case "deployment_status": {
      const status = obj(payload.deployment_status);
      return eventTime(status.updated_at ?? status.created_at);
    }
    case "deployment":
      return eventTime(obj(payload.deployment).updated_at ?? obj(payload.deployment).created_at);
    case "pull_request": {
      const pr = obj(payload.pull_request);
      return eventTime(pr.merged_at ?? pr.closed_at ?? pr.updated_at);
    }
    case "push":
      return eventTime(obj(payload.head_commit).timestamp);
    case "workflow_run":
      return eventTime(obj(payload.workflow_run).updated_at);
    default:
      return null;
  }
}

const shaList = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string" && x !== "") : []);

export function translateGithub(event: string, payload: Json): CanonicalFact[] {
  const repo = obj(payload.repository);
  const serviceName = str(repo.name) ?? "";
  const repository = str(repo.full_name) ?? serviceName;
  switch (event) {
    case "deployment_status": {
      const status = obj(payload.deployment_status);
      const deployment = obj(payload.deployment);
      const state = str(status.state);
      if (state !== "success" && state !== "failure" && state !== "error") {
        return [{ kind: "ignored", reason: `deployment_status ${state ?? "(none)"} is not a final state` }];
      }
      return [
        {
          kind: "deployment",
          deployment: {
            source: "github",
            externalId: String(deployment.id ?? status.id),
            serviceName,
            environmentName: str(status.environment) ?? str(deployment.environment) ?? "",
            version: str(deployment.sha) ?? str(deployment.ref) ?? "",
            // What was deployed: the deployment's sha, plus any further commits listed in its payload (Four Keys'
            // additional_sha convention) for server/dora/linkage.ts.
            revision: str(deployment.sha) ?? null,
            shippedRefs: shaList(obj(deployment.payload).additional_sha ?? deployment.additional_sha),
            status: state === "success" ? "succeeded" : "failed",
            deployedAt: asDate(status.updated_at ?? status.created_at, "deployment_status.updated_at"),
          },
        },
      ];
    }
    case "pull_request": {
      const pr = obj(payload.pull_request);
      if (payload.action !== "closed" || pr.merged !== true) return [{ kind: "ignored", reason: "only merged pull requests are changes" }];
      const sha = str(pr.merge_commit_sha) ?? `pr-${repository}#${pr.number ?? payload.number}`;
      return [
        {
          kind: "change",
          change: {
            source: "github",
            externalId: sha,
            serviceName,
            repository,
            title: str(pr.title) ?? "",
            authoredAt: asDate(pr.created_at, "pull_request.created_at"),
            mergedAt: asDate(pr.merged_at, "pull_request.merged_at"),
            commitSha: str(pr.merge_commit_sha) ?? null,
          },
        },
      ];
    }
    case "push": {
      const branch = `refs/heads/${str(repo.default_branch) ?? "main"}`;
      const commits = Array.isArray(payload.commits) ? payload.commits.map(obj) : [];
      if (payload.ref !== branch || commits.length === 0) return [{ kind: "ignored", reason: "only pushes of commits to the default branch are changes" }];
      const pushedAt = obj(payload.head_commit).timestamp ?? commits[commits.length - 1].timestamp;
      return commits.map((c) => ({
        kind: "change" as const,
        change: {
          source: "github",
          externalId: String(c.id),
          serviceName,
          repository,
          title: (str(c.message) ?? "").split("\n")[0],
          authoredAt: asDate(c.timestamp, "commits[].timestamp"),
          mergedAt: asDate(pushedAt, "head_commit.timestamp"),
          commitSha: String(c.id),
          // A pushed commit's own time is its first (only) commit time: the lead-time start.
          firstCommitAt: asDate(c.timestamp, "commits[].timestamp"),
        },
      }));
    }
    case "workflow_run":
      return [{ kind: "ignored", reason: "workflow runs are stored for deployment tracking, not used by the metrics" }];
    default:
      return [{ kind: "ignored", reason: `GitHub ${event} events are not used by the metrics` }];
  }
}
