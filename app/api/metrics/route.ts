// Prometheus scrape endpoint: HTTP and tRPC counters/latencies, queue depths, process metrics.
import { metrics } from "@/server/platform/metrics";
import { queueDepths } from "@/server/platform/queues";

export const dynamic = "force-dynamic";

export async function GET() {
  const m = metrics();
  const depths = await queueDepths();
  if (depths) {
    for (const [queue, counts] of Object.entries(depths)) {
      for (const [state, n] of Object.entries(counts)) m.queueDepth.set({ queue, state }, n);
    }
  }
  return new Response(await m.registry.metrics(), { headers: { "content-type": m.registry.contentType, "cache-control": "no-store" } });
}
