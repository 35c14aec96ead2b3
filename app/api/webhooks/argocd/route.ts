// POST /api/webhooks/argocd: Argo CD Notifications' webhook service with Pier's templates (deploy/argocd-notifications-cm.yaml),
// authenticated by Authorization: Bearer <secret>.
import { handleArgocdPost } from "@/server/ingest/delivery-webhooks-http";
import { withHttpMetrics } from "@/server/platform/metrics";

export const dynamic = "force-dynamic";

export const POST = withHttpMetrics("/api/webhooks/argocd", (req: Request) => handleArgocdPost(req));
