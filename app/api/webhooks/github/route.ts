// POST /api/webhooks/github: GitHub repository/organisation webhooks (deployment_status, push, pull_request,
// workflow_run, …), JSON or form-encoded, up to 25 MB, signed with X-Hub-Signature-256. proxy.ts does not run for it.
import { handleGithubPost } from "@/server/ingest/ingest-http";
import { withHttpMetrics } from "@/server/platform/metrics";

export const dynamic = "force-dynamic";

export const POST = withHttpMetrics("/api/webhooks/github", (req: Request) => handleGithubPost(req));
