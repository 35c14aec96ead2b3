// Status callbacks from the generic webhook executor's deployment system. Signed with the integration's secret
// (X-Pier-Signature-256 over "<X-Pier-Timestamp>.<raw body>"); the raw body is verified before anything else.
import { handleWebhookCallbackPost } from "@/server/deployments/external-status";
import { withHttpMetrics } from "@/server/platform/metrics";

export const dynamic = "force-dynamic";

export const POST = withHttpMetrics("/api/deployments/callback", handleWebhookCallbackPost);
