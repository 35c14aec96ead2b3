// Prometheus metrics (prom-client), one registry per process even when Next loads this module in several chunks.
import client from "prom-client";

type Metrics = {
  registry: client.Registry;
  httpRequests: client.Counter<"route" | "method" | "status">;
  httpDuration: client.Histogram<"route" | "method">;
  procedureCalls: client.Counter<"path" | "type" | "code">;
  procedureDuration: client.Histogram<"path" | "type">;
  queueDepth: client.Gauge<"queue" | "state">;
};

const globalForMetrics = globalThis as unknown as { pierMetrics?: Metrics };

export function metrics(): Metrics {
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
