// POST /api/webhooks/pagerduty: PagerDuty v3 webhook subscriptions (incident.triggered / incident.resolved).
import { handlePagerDutyPost } from "@/server/ingest/ingest-http";
import { withHttpMetrics } from "@/server/platform/metrics";

export const dynamic = "force-dynamic";

export const POST = withHttpMetrics("/api/webhooks/pagerduty", (req: Request) => handlePagerDutyPost(req));
