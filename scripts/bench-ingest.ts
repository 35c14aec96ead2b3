// npm run bench:ingest — sustained CDEvents ingestion over HTTP with durable storage (Postgres insert + BullMQ
// enqueue per request), against the real route handler served by a minimal node:http server in a child process
// (what `next start` would call). Reports events/s and request latency p50/p99. Goal: ≥ 3,000 events/s, p99 < 50 ms.
//   BENCH_SECONDS (default 20), BENCH_CONCURRENCY (default 8), BENCH_BATCH (events per request, default 10)
import { fork } from "node:child_process";
import http from "node:http";
import path from "node:path";
import { Client } from "pg";

const ADMIN_URL = process.env.BENCH_ADMIN_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const DB_NAME = "pier_bench_ingest";
const dbUrl = ADMIN_URL.replace(/\/[^/]*$/, `/${DB_NAME}`);

async function adminSql(text: string) {
  const c = new Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

/** Child: the route handler behind node:http. Prints its port and a token on stdout (IPC message). */
async function serve() {
  const { migrate } = await import("../server/platform/migrations");
  await migrate(dbUrl, path.join(__dirname, "..", "prisma", "migrations"));
  const { getDb } = await import("../server/db");
  const { handleCdeventsPost } = await import("../server/ingest/ingest-http");
  const { createIngestToken } = await import("../server/ingest/ingest-tokens");
  const { withHttpMetrics } = await import("../server/platform/metrics");
  const { token } = await createIngestToken(getDb(), { id: null, label: "bench" }, "bench");
  const POST = withHttpMetrics("/api/events/cdevents", (req: Request) => handleCdeventsPost(req));
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const request = new Request(`http://127.0.0.1${req.url}`, {
      method: req.method,
      headers: req.headers as Record<string, string>,
      body: Buffer.concat(chunks),
    });
    const response = await POST(request);
    res.writeHead(response.status, { "content-type": "application/json" });
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1", () => {
    const port = (server.address() as { port: number }).port;
    process.send?.({ port, token });
  });
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
};

function event(i: number) {
  return {
    context: {
      specversion: "0.5.1",
      id: `bench-${process.pid}-${i}`,
      source: "/bench",
      type: "dev.cdevents.service.deployed.0.3.0",
      timestamp: new Date().toISOString(),
    },
    subject: { id: `service/bench-${i % 200}`, source: "/bench", content: { environment: { id: "prod" }, artifactId: `pkg:oci/bench@1.0.${i}` } },
  };
}

async function drive(port: number, token: string) {
  const seconds = Number(process.env.BENCH_SECONDS ?? 20);
  const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 8);
  const batch = Number(process.env.BENCH_BATCH ?? 10);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  let seq = 0;
  const latencies: number[] = [];
  let events = 0;
  let errors = 0;
  const send = (body: string) =>
    new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: "127.0.0.1",
          port,
          path: "/api/events/cdevents",
          method: "POST",
          agent,
          headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "content-length": Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  // Warm-up (JIT, connection pool, ajv compile).
  for (let i = 0; i < 20; i++) await send(JSON.stringify(Array.from({ length: batch }, () => event(seq++))));
  const until = Date.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < until) {
        const body = JSON.stringify(batch === 1 ? event(seq++) : Array.from({ length: batch }, () => event(seq++)));
        const t = performance.now();
        const status = await send(body);
        latencies.push(performance.now() - t);
        if (status === 202) events += batch;
        else errors++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  return {
    seconds: elapsed,
    concurrency,
    batch,
    requests: latencies.length,
    events,
    errors,
    eventsPerSecond: events / elapsed,
    p50: pct(latencies, 0.5),
    p99: pct(latencies, 0.99),
  };
}

async function main() {
  if (process.argv.includes("--serve")) return serve();
  await adminSql(`DROP DATABASE IF EXISTS "${DB_NAME}" WITH (FORCE)`);
  await adminSql(`CREATE DATABASE "${DB_NAME}"`);
  const child = fork(__filename, ["--serve"], {
    env: {
      ...process.env,
      DATABASE_URL: dbUrl,
      REDIS_PREFIX: `pier-bench-${process.pid}`,
      LOG_LEVEL: "warn",
      NODE_ENV: "production",
      PIER_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString("base64"),
      PIER_AUDIT_CHECKPOINT_KEY: "bench-checkpoint-".repeat(3),
      AUTH_SECRET: "bench-".repeat(8),
    },
    execArgv: process.execArgv,
  });
  try {
    const { port, token } = await new Promise<{ port: number; token: string }>((resolve, reject) => {
      child.once("message", (m) => resolve(m as { port: number; token: string }));
      child.once("exit", (code) => reject(new Error(`server exited (${code})`)));
    });
    const r = await drive(port, token);
    const c = new Client({ connectionString: dbUrl });
    await c.connect();
    const stored = Number((await c.query(`SELECT count(*) FROM "InboundEvent"`)).rows[0].count);
    await c.end();
    console.log(`\nCDEvents over HTTP, ${r.concurrency} concurrent clients, ${r.batch} event(s) per request, ${r.seconds.toFixed(1)} s`);
    console.log(`  ${r.events.toLocaleString()} events accepted (${stored.toLocaleString()} rows stored incl. warm-up), ${r.errors} errors`);
    console.log(
      `  ${Math.round(r.eventsPerSecond).toLocaleString()} events/s · ${Math.round(r.requests / r.seconds)} requests/s · request latency p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms`,
    );
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 300));
    await adminSql(`DROP DATABASE IF EXISTS "${DB_NAME}" WITH (FORCE)`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
