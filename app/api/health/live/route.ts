// Liveness: the process is up and serving requests. Touches neither Postgres nor Redis, so an outage of either
// makes pods unready (/api/health) without the orchestrator restarting every one of them.
export const dynamic = "force-dynamic";

export function GET() {
  return Response.json({ status: "ok", uptimeSeconds: Math.round(process.uptime()) }, { headers: { "cache-control": "no-store" } });
}
