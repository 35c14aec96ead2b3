// Status callbacks from the generic webhook executor's deployment system. Signed with the integration's secret
// (X-Pier-Signature-256 over "<X-Pier-Timestamp>.<raw body>"); the raw body is verified before anything else.
import { getDb } from "@/server/db";
import { DomainError, HTTP_STATUS } from "@/server/errors";
import { applyWebhookCallback } from "@/server/deployments/external-status";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER } from "@/server/deployments/executors/webhook-signature";
import { withHttpMetrics } from "@/server/platform/metrics";

export const dynamic = "force-dynamic";

export const POST = withHttpMetrics("/api/deployments/callback", async (req: Request) => {
  const raw = await req.text();
  if (raw.length > 64_000) return Response.json({ error: "Body too large" }, { status: 413 });
  try {
    const result = await applyWebhookCallback(getDb(), raw, {
      signature: req.headers.get(SIGNATURE_HEADER),
      timestamp: req.headers.get(TIMESTAMP_HEADER),
    });
    return Response.json(result, { status: 200 });
  } catch (err) {
    if (err instanceof DomainError) return Response.json({ error: err.message }, { status: HTTP_STATUS[err.code] });
    throw err;
  }
});
