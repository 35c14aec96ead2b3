// Prometheus scrape endpoint: HTTP and tRPC counters/latencies, queue depths, process metrics.
// Requires `Authorization: Bearer <PIER_METRICS_TOKEN>`; without that variable it answers 404 (see README, Metrics).
import { metricsRouteResponse } from "@/server/platform/metrics";

export const dynamic = "force-dynamic";

export function GET(req: Request) {
  return metricsRouteResponse(req);
}
