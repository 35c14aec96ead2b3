// POST /api/webhooks/gitlab: GitLab project/group webhooks (pipeline, job, deployment, merge request and push events),
// authenticated by X-Gitlab-Token, de-duplicated by Idempotency-Key. proxy.ts does not run for it.
import { handleGitlabPost } from "@/server/ingest/delivery-webhooks-http";
import { withHttpMetrics } from "@/server/platform/metrics";

export const dynamic = "force-dynamic";

export const POST = withHttpMetrics("/api/webhooks/gitlab", (req: Request) => handleGitlabPost(req));
