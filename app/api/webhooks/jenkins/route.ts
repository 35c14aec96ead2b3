// POST /api/webhooks/jenkins: the Jenkins Notification plugin's JSON (job phase and status), authenticated by the
// secret in the URL (?token=) or Authorization: Bearer, de-duplicated by build and phase.
import { handleJenkinsPost } from "@/server/ingest/delivery-webhooks-http";
import { withHttpMetrics } from "@/server/platform/metrics";

export const dynamic = "force-dynamic";

export const POST = withHttpMetrics("/api/webhooks/jenkins", (req: Request) => handleJenkinsPost(req));
