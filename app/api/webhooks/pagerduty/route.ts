// POST /api/webhooks/pagerduty: PagerDuty v3 webhook subscriptions (incident triggered, acknowledged, priority changes,
// resolved, reopened).
import { handlePagerDutyPost } from "@/server/ingest/ingest-http";
import { withHttpMetrics } from "@/server/platform/metrics";

export const dynamic = "force-dynamic";

export const POST = withHttpMetrics("/api/webhooks/pagerduty", (req: Request) => handlePagerDutyPost(req));
