// POST /api/webhooks/flagsmith: Flagsmith environment webhooks, signed with X-Flagsmith-Signature (hex HMAC-SHA256 of the body) → feature-flag changes on the service timeline.
import { handleFlagsmithPost } from "@/server/ingest/feature-flag-webhooks-http";
import { withHttpMetrics } from "@/server/platform/metrics";

export const dynamic = "force-dynamic";

export const POST = withHttpMetrics("/api/webhooks/flagsmith", (req: Request) => handleFlagsmithPost(req));
