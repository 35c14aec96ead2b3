// Liveness/readiness: 200 when Postgres and Redis answer, 503 with the failing check otherwise.
import { checkInstanceHealth } from "@/server/platform/health";
import { withHttpMetrics } from "@/server/platform/metrics";

export const dynamic = "force-dynamic";

export const GET = withHttpMetrics("/api/health", async () => {
  const health = await checkInstanceHealth();
  return Response.json(health, { status: health.status === "ok" ? 200 : 503, headers: { "cache-control": "no-store" } });
});
