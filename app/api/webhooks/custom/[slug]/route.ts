// POST /api/webhooks/custom/<slug>: an admin-defined source's JSON, mapped to CDEvents by its JSONata mapping.
import { handleCustomSourcePost } from "@/server/ingest/custom-sources-http";
import { withHttpMetrics } from "@/server/platform/metrics";

export const dynamic = "force-dynamic";

export const POST = withHttpMetrics("/api/webhooks/custom/[slug]", async (req: Request, ctx: { params: Promise<{ slug: string }> }) =>
  handleCustomSourcePost(req, (await ctx.params).slug),
);
