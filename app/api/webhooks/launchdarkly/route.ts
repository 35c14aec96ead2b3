// POST /api/webhooks/launchdarkly: LaunchDarkly webhooks, signed with X-LD-Signature (hex HMAC-SHA256 of the body) → feature-flag changes on the service timeline.
import { handleLaunchdarklyPost } from "@/server/ingest/feature-flag-webhooks-http";
import { withHttpMetrics } from "@/server/platform/metrics";

export const dynamic = "force-dynamic";

export const POST = withHttpMetrics("/api/webhooks/launchdarkly", (req: Request) => handleLaunchdarklyPost(req));
