// Liveness/readiness: 200 when Postgres and Redis answer, 503 with the failing check otherwise.
import { getDb } from "@/server/db";
import { env } from "@/server/env";
import { checkHealth } from "@/server/platform/health";
import { withHttpMetrics } from "@/server/platform/metrics";

export const dynamic = "force-dynamic";

export const GET = withHttpMetrics("/api/health", async () => {
  const health = await checkHealth(getDb(), env().REDIS_URL);
  return Response.json(health, { status: health.status === "ok" ? 200 : 503, headers: { "cache-control": "no-store" } });
});
