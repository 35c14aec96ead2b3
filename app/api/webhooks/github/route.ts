// POST /api/webhooks/github: GitHub repository/organisation webhooks (deployment_status, push, pull_request,
// workflow_run, …), signed with X-Hub-Signature-256.
import { handleGithubPost } from "@/server/ingest/ingest-http";
import { withHttpMetrics } from "@/server/platform/metrics";

export const dynamic = "force-dynamic";

export const POST = withHttpMetrics("/api/webhooks/github", (req: Request) => handleGithubPost(req));
