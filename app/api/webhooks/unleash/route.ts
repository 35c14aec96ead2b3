// POST /api/webhooks/unleash: Unleash's Webhook addon (Authorization: Bearer <secret>) → feature-flag changes on the service timeline.
import { handleUnleashPost } from "@/server/ingest/feature-flag-webhooks-http";
import { withHttpMetrics } from "@/server/platform/metrics";

export const dynamic = "force-dynamic";

export const POST = withHttpMetrics("/api/webhooks/unleash", (req: Request) => handleUnleashPost(req));
