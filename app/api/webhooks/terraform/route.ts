// POST /api/webhooks/terraform: HCP Terraform / Terraform Enterprise run notifications (generic destination), signed
// with X-TFE-Notification-Signature (HMAC-SHA512 keyed with the notification's token).
import { handleTerraformPost } from "@/server/ingest/delivery-webhooks-http";
import { withHttpMetrics } from "@/server/platform/metrics";

export const dynamic = "force-dynamic";

export const POST = withHttpMetrics("/api/webhooks/terraform", (req: Request) => handleTerraformPost(req));
