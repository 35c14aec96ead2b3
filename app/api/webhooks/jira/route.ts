// POST /api/webhooks/jira: Jira issue webhooks (incidents for configured issue types, ticket status for deployment
// requests), authenticated by X-Hub-Signature or ?token=, de-duplicated by X-Atlassian-Webhook-Identifier.
import { handleJiraPost } from "@/server/ingest/delivery-webhooks-http";
import { withHttpMetrics } from "@/server/platform/metrics";

export const dynamic = "force-dynamic";

export const POST = withHttpMetrics("/api/webhooks/jira", (req: Request) => handleJiraPost(req));
