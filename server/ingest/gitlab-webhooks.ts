// GitLab project/group webhooks: token check, the delivery id, intake validation and translation to canonical facts.
//   Pipeline Hook (object_kind pipeline)       → pipeline run "pipeline:<id>"
//   Job Hook (object_kind build, build_* fields) → task run "job:<build_id>"
//   Deployment Hook, status success|failed     → deployment (environment, the commit's full sha, status)
//   Merge Request Hook, action merge           → change keyed by the merge commit sha (authored = the earlier of the
//                                                MR's creation and its last commit)
//   Push Hook to the default branch            → one change per commit (the same sha as an MR merge = same change)
// The service is the project's path_with_namespace: the catalog service annotated gitlab.com/project-slug with it,
// else the service matching its last segment (./delivery-tools.ts). GitLab times look like "2016-08-12 15:23:28 UTC"
// or "2021-04-28 21:50:00 +0200" (fixtures/gitlab), not ISO-8601.
import { hash, timingSafeEqual } from "node:crypto";
import type { PipelineRunInput } from "../dora/delivery-activity";
import { str, type CanonicalFact } from "./canonical-facts";
import type { DeliveryFact } from "./delivery-facts";

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : {});
const digest = (s: string) => hash("sha256", s, "buffer");
/** The secrets' digests per list: the webhook secret cache hands out the same list until it refreshes it. */
const digestsOf = new WeakMap<string[], Buffer[]>();

/** Constant-time comparison of a plain shared secret (X-Gitlab-Token, Argo CD's header) with each configured one. */
export function matchesSharedSecret(given: string | null, secrets: string[]): boolean {
  if (!given) return false;
  const g = digest(given);
  let digests = digestsOf.get(secrets);
  if (!digests) {
    digests = secrets.map(digest);
    digestsOf.set(secrets, digests);
  }
  // Hashing first makes every comparison the same length, so neither the content nor the length leaks.
  return digests.map((d) => timingSafeEqual(d, g)).some(Boolean);
}

const GITLAB_TIME = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)\s*(UTC|Z|[+-]\d{2}:?\d{2})?$/;

/** A GitLab time ("2016-08-12 15:23:28 UTC", "2021-04-28 21:50:00 +0200" or ISO-8601) or null. */
export function gitlabTime(v: unknown): Date | null {
  if (typeof v !== "string" || v === "") return null;
  const m = GITLAB_TIME.exec(v.trim());
  const iso = m ? `${m[1]}T${m[2]}${!m[3] || m[3] === "UTC" ? "Z" : m[3].replace(/^([+-]\d{2})(\d{2})$/, "$1:$2")}` : v;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) || d.getTime() < 0 || d.getUTCFullYear() > 9999 ? null : d;
}

/** The project's path ("group/sub/project"): project.path_with_namespace, else the path of repository.homepage. */
function projectPath(payload: Json): string | undefined {
  const path = str(obj(payload.project).path_with_namespace);
  if (path) return path;
  const home = str(obj(payload.repository).homepage);
  if (home) {
    try {
      return new URL(home).pathname.replace(/^\/+|\/+$/g, "") || undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export type IntakeProblem = { field: string; reason: string };

/** What a delivery lacks for Pier to use it (checked before storing, so the sender gets a 400 naming the field). */
export function gitlabIntakeProblem(payload: Json): IntakeProblem | null {
  const kind = str(payload.object_kind);
  if (!kind) return { field: "object_kind", reason: "object_kind is missing" };
  const need = (ok: boolean, field: string, what = "is missing") => (ok ? null : { field, reason: `${field} ${what}` });
  const usesProject = ["pipeline", "build", "deployment", "merge_request", "push"].includes(kind);
  if (usesProject && !projectPath(payload)) return { field: "project.path_with_namespace", reason: "project.path_with_namespace is missing" };
  switch (kind) {
    case "pipeline":
      return need(obj(payload.object_attributes).id !== undefined, "object_attributes.id");
    case "build":
      return need(payload.build_id !== undefined, "build_id");
    case "deployment":
      return (
        need(payload.deployment_id !== undefined, "deployment_id") ??
        need(!!str(payload.environment), "environment") ??
        need(gitlabTime(payload.status_changed_at) !== null, "status_changed_at", "is not a GitLab time")
      );
    case "merge_request":
      return obj(payload.object_attributes).action === "merge"
        ? need(gitlabTime(obj(payload.object_attributes).updated_at) !== null, "object_attributes.updated_at", "is not a GitLab time")
        : null;
    default:
      return null;
  }
}

/** When the delivery says its event happened (for InboundEvent.occurredAt), null when it names no time. */
export function gitlabEventTime(payload: Json): Date | null {
  const oa = obj(payload.object_attributes);
  switch (payload.object_kind) {
    case "pipeline":
      return gitlabTime(oa.finished_at) ?? gitlabTime(oa.created_at);
    case "build":
      return gitlabTime(payload.build_finished_at) ?? gitlabTime(payload.build_started_at);
    case "deployment":
      return gitlabTime(payload.status_changed_at);
    case "merge_request":
      return gitlabTime(oa.updated_at);
    case "push": {
      const commits = Array.isArray(payload.commits) ? payload.commits.map(obj) : [];
      return gitlabTime(commits[commits.length - 1]?.timestamp);
    }
    default:
      return null;
  }
}

const RUN_STATUS: Record<string, PipelineRunInput["status"]> = {
  created: "queued",
  waiting_for_resource: "queued",
  preparing: "queued",
  pending: "queued",
  scheduled: "queued",
  manual: "queued",
  running: "running",
  success: "succeeded",
  failed: "failed",
  canceling: "canceled",
  canceled: "canceled",
  skipped: "skipped",
};

/** The commit's full sha: the end of commit_url when it has one, else the short sha GitLab sends. */
function deployedSha(payload: Json): string {
  const full = /\/commit\/([0-9a-f]{40})$/.exec(str(payload.commit_url) ?? "");
  return full?.[1] ?? str(payload.short_sha) ?? "";
}

const earlier = (a: Date | null, b: Date | null) => (a && b ? (a < b ? a : b) : (a ?? b));

/** `receivedAt` stands in for a run event that names no time of its own (a job still "created"). */
export function translateGitlab(payload: Json, receivedAt: Date): Array<CanonicalFact | DeliveryFact> {
  const path = projectPath(payload) ?? "";
  const project = obj(payload.project);
  const oa = obj(payload.object_attributes);
  switch (payload.object_kind) {
    case "pipeline": {
      const status = RUN_STATUS[str(oa.status) ?? ""];
      if (!status) return [{ kind: "ignored", reason: `pipeline status ${str(oa.status) ?? "(none)"} is unknown` }];
      const finishedAt = gitlabTime(oa.finished_at);
      return [
        {
          kind: "pipelineRun",
          run: {
            source: "gitlab",
            externalId: `pipeline:${String(oa.id)}`,
            kind: "pipeline",
            serviceName: path,
            name: str(oa.name) ?? `Pipeline #${String(oa.iid ?? oa.id)}`,
            status,
            ref: str(oa.ref) ?? "",
            sha: str(oa.sha) ?? "",
            url: str(oa.url) ?? "",
            startedAt: gitlabTime(oa.created_at),
            finishedAt,
            updatedAt: finishedAt ?? gitlabTime(oa.created_at) ?? receivedAt,
          },
        },
      ];
    }
    case "build": {
      const status = RUN_STATUS[str(payload.build_status) ?? ""];
      if (!status) return [{ kind: "ignored", reason: `job status ${str(payload.build_status) ?? "(none)"} is unknown` }];
      const startedAt = gitlabTime(payload.build_started_at);
      const finishedAt = gitlabTime(payload.build_finished_at);
      const home = str(obj(payload.repository).homepage);
      return [
        {
          kind: "pipelineRun",
          run: {
            source: "gitlab",
            externalId: `job:${String(payload.build_id)}`,
            kind: "task",
            serviceName: path,
            name: [str(payload.build_stage), str(payload.build_name)].filter(Boolean).join(" / "),
            status,
            ref: str(payload.ref) ?? "",
            sha: str(payload.sha) ?? "",
            url: home ? `${home}/-/jobs/${String(payload.build_id)}` : "",
            startedAt,
            finishedAt,
            updatedAt: finishedAt ?? startedAt ?? receivedAt,
          },
        },
      ];
    }
    case "deployment": {
      const status = str(payload.status);
      if (status !== "success" && status !== "failed") return [{ kind: "ignored", reason: `deployment status ${status ?? "(none)"} is not a final state` }];
      return [
        {
          kind: "deployment",
          deployment: {
            source: "gitlab",
            externalId: String(payload.deployment_id),
            serviceName: path,
            environmentName: str(payload.environment) ?? "",
            version: deployedSha(payload),
            status: status === "success" ? "succeeded" : "failed",
            deployedAt: gitlabTime(payload.status_changed_at) ?? receivedAt,
          },
        },
      ];
    }
    case "merge_request": {
      if (oa.action !== "merge") return [{ kind: "ignored", reason: "only merged merge requests are changes" }];
      const mergedAt = gitlabTime(oa.updated_at) ?? receivedAt;
      const firstSeen = earlier(gitlabTime(oa.created_at), gitlabTime(obj(oa.last_commit).timestamp));
      return [
        {
          kind: "change",
          change: {
            source: "gitlab",
            externalId: str(oa.merge_commit_sha) ?? `mr-${path}!${String(oa.iid)}`,
            serviceName: path,
            repository: path,
            title: str(oa.title) ?? "",
            authoredAt: firstSeen ?? mergedAt,
            mergedAt,
          },
        },
      ];
    }
    case "push": {
      const branch = `refs/heads/${str(project.default_branch) ?? "main"}`;
      const commits = Array.isArray(payload.commits) ? payload.commits.map(obj) : [];
      if (payload.ref !== branch || commits.length === 0) return [{ kind: "ignored", reason: "only pushes of commits to the default branch are changes" }];
      // The pushed head (checkout_sha) is when the commits reached the default branch; GitLab sends no push time.
      const head = commits.find((c) => c.id === payload.checkout_sha) ?? commits[commits.length - 1];
      const pushedAt = gitlabTime(head.timestamp) ?? receivedAt;
      return commits.map((c) => ({
        kind: "change" as const,
        change: {
          source: "gitlab",
          externalId: String(c.id),
          serviceName: path,
          repository: path,
          title: (str(c.message) ?? "").split("\n")[0],
          authoredAt: gitlabTime(c.timestamp) ?? pushedAt,
          mergedAt: pushedAt,
        },
      }));
    }
    default:
      return [{ kind: "ignored", reason: `GitLab ${str(payload.object_kind) ?? "event"} events are not used` }];
  }
}
