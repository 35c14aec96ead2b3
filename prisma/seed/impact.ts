// Impact queries for the demo's services (Sam, an admin, saves them through the store, so they are audited). The demo
// environments verify with the simulator, so the deployment page draws the simulator's fake metrics: payment-gateway's
// failed prod canary shows its error rate jumping from 1 % to 12 % after the deploy.
import type { Db } from "../../server/db";
import { saveImpactQueries } from "../../server/deployments/impact/impact-store";
import { loadSessionUser } from "../../server/identity/users";

const ERROR_RATE =
  'sum(rate(http_requests_total{service="{{service}}",env="{{environment}}",code=~"5.."}[5m])) / sum(rate(http_requests_total{service="{{service}}",env="{{environment}}"}[5m]))';
const LATENCY = 'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{service="{{service}}",env="{{environment}}"}[5m])))';

export async function seedImpactQueries(db: Db) {
  const sam = await loadSessionUser(db, "demo-sam");
  if (!sam) return "demo admin missing";
  const services = await db.service.findMany({ where: { kind: "Component", impactQueries: null }, select: { id: true } });
  for (const s of services) await saveImpactQueries(db, sam, s.id, { errorRateQuery: ERROR_RATE, latencyQuery: LATENCY });
  return `${services.length} services`;
}
