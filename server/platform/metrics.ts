// Prometheus metrics (prom-client), one registry per process even when Next loads this module in several chunks.
// Who may read them: GET /api/metrics with `Authorization: Bearer <PIER_METRICS_TOKEN>`, or a separate listener on
// PIER_METRICS_PORT (PIER_METRICS_HOST, default 127.0.0.1) for a scraper on a private network. Neither configured:
// metrics are not served at all (they name every procedure, queue and version).
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:http";
import client from "prom-client";
import { env } from "../env";
import { queueDepths } from "./queues";

type Metrics = {
  registry: client.Registry;
  httpRequests: client.Counter<"route" | "method" | "status">;
  httpDuration: client.Histogram<"route" | "method">;
  procedureCalls: client.Counter<"path" | "type" | "code">;
  procedureDuration: client.Histogram<"path" | "type">;
  queueDepth: client.Gauge<"queue" | "state">;
};

const globalForMetrics = globalThis as unknown as { pierMetrics?: Metrics };

function metrics(): Metrics {
  if (globalForMetrics.pierMetrics) return globalForMetrics.pierMetrics;
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: "pier_" });
  const buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
  const m: Metrics = {
    registry,
    httpRequests: new client.Counter({
      name: "pier_http_requests_total",
      help: "HTTP requests handled, by route and status",
      labelNames: ["route", "method", "status"],
      registers: [registry],
    }),
    httpDuration: new client.Histogram({
      name: "pier_http_request_duration_seconds",
      help: "HTTP request latency by route",
      labelNames: ["route", "method"],
      buckets,
      registers: [registry],
    }),
    procedureCalls: new client.Counter({
      name: "pier_trpc_calls_total",
      help: "tRPC procedure calls by path and result code",
      labelNames: ["path", "type", "code"],
      registers: [registry],
    }),
    procedureDuration: new client.Histogram({
      name: "pier_trpc_call_duration_seconds",
      help: "tRPC procedure latency",
      labelNames: ["path", "type"],
      buckets,
      registers: [registry],
    }),
    queueDepth: new client.Gauge({
      name: "pier_queue_jobs",
      help: "BullMQ jobs per queue and state",
      labelNames: ["queue", "state"],
      registers: [registry],
    }),
  };
  globalForMetrics.pierMetrics = m;
  return m;
}

export function observeProcedure(path: string, type: string, code: string, seconds: number) {
  const m = metrics();
  m.procedureCalls.inc({ path, type, code });
  m.procedureDuration.observe({ path, type }, seconds);
}

/** Wraps a route handler so every response is counted by route and status, with its latency. */
export function withHttpMetrics<A extends unknown[]>(route: string, handler: (req: Request, ...rest: A) => Promise<Response>) {
  return async (req: Request, ...rest: A): Promise<Response> => {
    const m = metrics();
    const end = m.httpDuration.startTimer({ route, method: req.method });
    let status = 500;
    try {
      const res = await handler(req, ...rest);
      status = res.status;
      return res;
    } finally {
      end();
      m.httpRequests.inc({ route, method: req.method, status: String(status) });
    }
  };
}

const sha256 = (s: string) => createHash("sha256").update(s).digest();

/** Constant-time check of `Authorization: Bearer <token>`. */
function bearerMatches(header: string | null | undefined, token: string) {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return m !== null && timingSafeEqual(sha256(m[1]), sha256(token));
}

/** The Prometheus text exposition, with queue depths read now. */
async function renderMetrics(): Promise<Response> {
  const m = metrics();
  const depths = await queueDepths();
  if (depths) {
    for (const [queue, counts] of Object.entries(depths)) {
      for (const [state, n] of Object.entries(counts)) m.queueDepth.set({ queue, state }, n);
    }
  }
  return new Response(await m.registry.metrics(), { headers: { "content-type": m.registry.contentType, "cache-control": "no-store" } });
}

const unauthorized = () =>
  Response.json({ error: "Send Authorization: Bearer <PIER_METRICS_TOKEN>" }, { status: 401, headers: { "www-authenticate": 'Bearer realm="pier-metrics"' } });

/** GET /api/metrics on the web port: only with the bearer token; 404 when PIER_METRICS_TOKEN is not set. */
export async function metricsRouteResponse(req: Request): Promise<Response> {
  const token = env().PIER_METRICS_TOKEN;
  if (!token) return Response.json({ error: "Metrics are not served on this port (see PIER_METRICS_TOKEN, PIER_METRICS_PORT)" }, { status: 404 });
  if (!bearerMatches(req.headers.get("authorization"), token)) return unauthorized();
  return renderMetrics();
}

/**
 * The separate metrics listener: GET /metrics on host:port (the bearer token is required there too when set).
 * Started once per web process by instrumentation.ts when PIER_METRICS_PORT is set.
 */
export async function startMetricsServer(opts: { port: number; host: string; token?: string }): Promise<Server> {
  const server = createServer((req, res) => {
    const send = async (r: Response) => {
      res.writeHead(r.status, Object.fromEntries(r.headers));
      res.end(await r.text());
    };
    if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/metrics") return void send(Response.json({ error: "GET /metrics" }, { status: 404 }));
    if (opts.token && !bearerMatches(req.headers.authorization, opts.token)) return void send(unauthorized());
    renderMetrics().then(send, () => send(Response.json({ error: "metrics unavailable" }, { status: 500 })));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return server;
}
