// POST /api/events/cdevents: CDEvents (spec v0.4/v0.5, one event or an array), plain or as CloudEvents (structured,
// batched or binary mode), from CI/CD and incident tools.
import { handleCdeventsPost } from "@/server/ingest/ingest-http";
import { withHttpMetrics } from "@/server/platform/metrics";

export const dynamic = "force-dynamic";

export const POST = withHttpMetrics("/api/events/cdevents", (req: Request) => handleCdeventsPost(req));
