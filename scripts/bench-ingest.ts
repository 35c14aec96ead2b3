// npm run bench:ingest — sustained CDEvents ingestion over HTTP with durable storage (concurrent requests' rows in
// one Postgres insert per batch, server/ingest/ingest.ts; the worker's batch jobs are enqueued after the answer), against the real route handler served by a minimal node:http server in a child process
// (what `next start` would call). Reports events/s and request latency p50/p99. Goals: 10 events per request
// ≥ 4,000 events/s; 100 per request (BENCH_BATCH=100) ≥ 10,000 events/s and p99 < 50 ms — with 8 clients the mean
// latency is 8 ÷ requests/s, so that p99 needs more than 160 requests/s.
// Per source as well (one event per request, as those tools send): GitLab webhooks (the real pipeline hook from
// fixtures/gitlab, a fresh Idempotency-Key each) and a custom source (bearer token, a JSONata mapping of GitLab's
// deployment hook to a CDEvent); goal ≥ 2,000 events/s each, p99 < 50 ms.
//   BENCH_SECONDS (per source, default 20), BENCH_CONCURRENCY (default 8), BENCH_BATCH (CDEvents per request,
//   default 10), BENCH_SOURCES (default cdevents,gitlab,custom)
// Each source runs closed-loop (BENCH_CONCURRENCY clients, each sending its next request once the last is answered:
// the capacity figure). With BENCH_RATE=<events/s> it then runs open-loop as well: requests on a fixed schedule at that
// offered rate whatever the answers (over at most BENCH_RATE_CONNECTIONS keep-alive connections, default 32), latency
// counted from each request's scheduled time — the p99 a given load gets, rather than the one saturation gets.
// The clients run in this process, the server in a child process; both share the machine's cores with Postgres. Per
// request, the CPU of each (route process, clients, the bench database's Postgres backends) is printed too.
// BENCH_SERVERS=<n> (default 1) runs n server processes (stateless, as a deployment would), each with its own pool
// and group commit; the clients spread their connections over them.
import { fork, type ChildProcess } from "node:child_process";
import http from "node:http";
import path from "node:path";
import { Client } from "pg";
import { runSql } from "./bench-support";
import { readFileSync } from "node:fs";
import { SHARED_FIXTURES } from "../test/support/shared-fixtures";

const ADMIN_URL = process.env.BENCH_ADMIN_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const DB_NAME = "pier_bench_ingest";
const dbUrl = ADMIN_URL.replace(/\/[^/]*$/, `/${DB_NAME}`);

/** Child: the route handler behind node:http. Prints its port and a token on stdout (IPC message). */
async function serve() {
  // The first server process sets the database up; the others (BENCH_SERVERS > 1) find it ready.
  const setUp = process.env.BENCH_SERVER_INDEX === "0";
  if (setUp) {
    const { migrate } = await import("../server/platform/migrations");
    await migrate(dbUrl, path.join(__dirname, "..", "prisma", "migrations"));
  }
  const { getDb } = await import("../server/db");
  const { handleCdeventsPost } = await import("../server/ingest/ingest-http");
  const { createIngestToken } = await import("../server/ingest/ingest-tokens");
  const { withHttpMetrics } = await import("../server/platform/metrics");
  const { handleGitlabPost } = await import("../server/ingest/delivery-webhooks-http");
  const { handleCustomSourcePost } = await import("../server/ingest/custom-sources-http");
  const { createWebhookSecret } = await import("../server/ingest/webhook-secrets");
  const { createCustomSource } = await import("../server/ingest/custom-sources");
  const actor = { id: null, label: "bench" };
  const token = setUp ? (await createIngestToken(getDb(), actor, "bench")).token : "";
  if (setUp) {
    await createWebhookSecret(getDb(), actor, { kind: "gitlab_webhook", name: "bench", secret: BENCH_SECRET });
    await createCustomSource(getDb(), actor, {
      slug: "bench",
      name: "bench",
      authType: "bearer",
      settings: {},
      secret: BENCH_SECRET,
      expression: CUSTOM_MAPPING,
    });
  }
  const routes: Record<string, (req: Request) => Promise<Response>> = {
    "/api/events/cdevents": withHttpMetrics("/api/events/cdevents", (req: Request) => handleCdeventsPost(req)),
    "/api/webhooks/gitlab": withHttpMetrics("/api/webhooks/gitlab", (req: Request) => handleGitlabPost(req)),
    "/api/webhooks/custom/bench": withHttpMetrics("/api/webhooks/custom/[slug]", (req: Request) => handleCustomSourcePost(req, "bench")),
  };
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const request = new Request(`http://127.0.0.1${req.url}`, {
      method: req.method,
      headers: req.headers as Record<string, string>,
      body: Buffer.concat(chunks),
    });
    const response = await routes[req.url ?? ""](request);
    res.writeHead(response.status, { "content-type": "application/json" });
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  server.keepAliveTimeout = 60_000;
  // Exit (rather than die) on the parent's SIGTERM, so `node --cpu-prof` writes the server's profile too.
  process.once("SIGTERM", () => process.exit(0));
  // The server's own CPU time (user + system, µs) on request: per request it does not depend on how busy the
  // machine is, unlike events/s on a shared one.
  process.on("message", (m) => {
    if (m === "cpu") process.send?.({ cpu: process.cpuUsage() });
  });
  server.listen(0, "127.0.0.1", () => {
    const port = (server.address() as { port: number }).port;
    process.send?.({ port, token });
  });
}

const BENCH_SECRET = "bench-webhook-secret-0123456789";
/** GitLab's deployment hook → CDEvents service.deployed (as in the README's custom-source example). */
const CUSTOM_MAPPING = `{
  "context": {
    "specversion": "0.5.1",
    "id": "gitlab-deployment-" & $string(deployment_id),
    "source": project.web_url,
    "type": "dev.cdevents.service.deployed.0.3.0",
    "timestamp": $replace(status_changed_at, /^(\\S+) (\\S+) ([+-]\\d{2})(\\d{2})$/, "$1T$2$3:$4")
  },
  "subject": {
    "id": "service/" & project.name,
    "content": { "environment": { "id": environment }, "artifactId": "pkg:generic/" & project.name & "@" & short_sha }
  }
}`;

const WARM_UP_REQUESTS = 20;

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

type Phase = { label: string; path: string; headers: () => Record<string, string>; body: () => string; eventsPerRequest: number };

function phases(token: string): Phase[] {
  const batch = Number(process.env.BENCH_BATCH ?? 10);
  let seq = 0;
  // The webhook bodies are serialised once (the clients share the machine with the server: their CPU is not
  // spent re-serialising the same 6 KB per request); a custom event's deployment_id is spliced into its text.
  const pipeline = JSON.stringify(JSON.parse(readFileSync(`${SHARED_FIXTURES}/gitlab/pipeline.json`, "utf8")));
  const deployment = JSON.parse(readFileSync(`${SHARED_FIXTURES}/gitlab/deployment.json`, "utf8"));
  const [beforeId, afterId] = JSON.stringify({ ...deployment, deployment_id: 0 }).split(/(?<="deployment_id":)0/);
  const all: Record<string, Phase> = {
    cdevents: {
      label: `CDEvents over HTTP, ${batch} event(s) per request`,
      path: "/api/events/cdevents",
      headers: () => ({ authorization: `Bearer ${token}` }),
      body: () => JSON.stringify(batch === 1 ? event(seq++) : Array.from({ length: batch }, () => event(seq++))),
      eventsPerRequest: batch,
    },
    gitlab: {
      label: "GitLab webhooks (pipeline hook fixture), 1 event per request",
      path: "/api/webhooks/gitlab",
      headers: () => ({ "x-gitlab-token": BENCH_SECRET, "x-gitlab-event": "Pipeline Hook", "idempotency-key": `bench-${process.pid}-${seq++}` }),
      body: () => pipeline,
      eventsPerRequest: 1,
    },
    custom: {
      label: "Custom source (bearer + JSONata mapping → CDEvent), 1 event per request",
      path: "/api/webhooks/custom/bench",
      headers: () => ({ authorization: `Bearer ${BENCH_SECRET}` }),
      body: () => `${beforeId}${seq++}${afterId}`,
      eventsPerRequest: 1,
    },
  };
  return (process.env.BENCH_SOURCES ?? "cdevents,gitlab,custom").split(",").map((s) => all[s.trim()]);
}

type Run = {
  mode: string;
  /** Requests sent before the measured ones (included in the CPU and commit figures per request). */
  warmUps: number;
  seconds: number;
  requests: number;
  events: number;
  errors: number;
  eventsPerSecond: number;
  p50: number;
  p99: number;
  max: number;
};

/** One POST over a keep-alive agent; resolves with the status once the answer has been read. */
function sender(port: number, phase: Phase, agent: http.Agent) {
  return (body: string) =>
    new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: "127.0.0.1",
          port,
          path: phase.path,
          method: "POST",
          agent,
          headers: { "content-type": "application/json", ...phase.headers(), "content-length": Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        },
      );
      req.on("error", reject);
      req.end(body);
    });
}

function summary(mode: string, warmUps: number, elapsedMs: number, latencies: number[], events: number, errors: number): Run {
  const seconds = elapsedMs / 1000;
  return {
    mode,
    warmUps,
    seconds,
    requests: latencies.length,
    events,
    errors,
    eventsPerSecond: events / seconds,
    p50: pct(latencies, 0.5),
    p99: pct(latencies, 0.99),
    max: Math.max(...latencies),
  };
}

/** Warm-up (JIT, connection pools, ajv/JSONata compile): WARM_UP_REQUESTS to each server, one at a time. */
async function warmUp(senders: ((body: string) => Promise<number>)[], phase: Phase) {
  for (const send of senders) for (let i = 0; i < WARM_UP_REQUESTS; i++) await send(phase.body());
  return senders.length * WARM_UP_REQUESTS;
}

const serversLabel = (ports: number[]) => (ports.length > 1 ? `, ${ports.length} server processes` : "");

/** Closed loop: `concurrency` clients, each sending its next request as soon as the last one is answered (capacity). */
async function closedLoop(ports: number[], phase: Phase, seconds: number, concurrency: number): Promise<Run> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const senders = ports.map((port) => sender(port, phase, agent));
  const warmUps = await warmUp(senders, phase);
  const latencies: number[] = [];
  let events = 0;
  let errors = 0;
  const until = Date.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, client) => {
      const send = senders[client % senders.length];
      while (Date.now() < until) {
        const body = phase.body();
        const t = performance.now();
        const status = await send(body);
        latencies.push(performance.now() - t);
        if (status === 202) events += phase.eventsPerRequest;
        else errors++;
      }
    }),
  );
  const elapsed = performance.now() - started;
  agent.destroy();
  return summary(`closed loop, ${concurrency} clients${serversLabel(ports)}`, warmUps, elapsed, latencies, events, errors);
}

/**
 * Open loop: requests are sent on a fixed schedule (`eventsPerSecond` ÷ events per request), whether or not earlier
 * ones were answered, over at most `maxSockets` keep-alive connections (a request finding them all busy waits in the
 * agent's queue). Latency counts from each request's scheduled time, not from when it was actually sent, so a
 * server (or client) that falls behind shows its queueing in the figures instead of slowing the offered load down
 * ("coordinated omission").
 */
async function openLoop(ports: number[], phase: Phase, seconds: number, eventsPerSecond: number, maxSockets: number): Promise<Run> {
  // maxSockets is per server (host and port).
  const agent = new http.Agent({ keepAlive: true, maxSockets: Math.ceil(maxSockets / ports.length) });
  const senders = ports.map((port) => sender(port, phase, agent));
  const warmUps = await warmUp(senders, phase);
  const interval = (1000 * phase.eventsPerRequest) / eventsPerSecond;
  const total = Math.max(1, Math.round((seconds * 1000) / interval));
  const latencies: number[] = [];
  let events = 0;
  let errors = 0;
  const inFlight: Promise<void>[] = [];
  const started = performance.now();
  let sent = 0;
  await new Promise<void>((done) => {
    const tick = () => {
      const now = performance.now();
      // Every request whose time has come (timers fire late on a busy machine: catch up, never skip).
      while (sent < total && started + sent * interval <= now) {
        const scheduled = started + sent * interval;
        sent++;
        inFlight.push(
          senders[sent % senders.length](phase.body()).then(
            (status) => {
              latencies.push(performance.now() - scheduled);
              if (status === 202) events += phase.eventsPerRequest;
              else errors++;
            },
            () => {
              latencies.push(performance.now() - scheduled);
              errors++;
            },
          ),
        );
      }
      if (sent < total) setTimeout(tick, Math.max(0, Math.min(interval, started + sent * interval - performance.now())));
      else done();
    };
    tick();
  });
  await Promise.all(inFlight);
  const elapsed = performance.now() - started;
  agent.destroy();
  return summary(
    `open loop, ${Math.round(eventsPerSecond).toLocaleString()} events/s offered, ≤ ${maxSockets} connections${serversLabel(ports)}`,
    warmUps,
    elapsed,
    latencies,
    events,
    errors,
  );
}

async function main() {
  if (process.argv.includes("--serve")) return serve();
  await runSql(ADMIN_URL, `DROP DATABASE IF EXISTS "${DB_NAME}" WITH (FORCE)`);
  await runSql(ADMIN_URL, `CREATE DATABASE "${DB_NAME}"`);
  // BENCH_SERVERS web processes (default 1), each its own node:http server and pool, as a deployment runs several
  // stateless ones; the clients spread their connections over them.
  const serverCount = Number(process.env.BENCH_SERVERS ?? 1);
  const children: ChildProcess[] = [];
  const start = (index: number) => {
    const child = fork(__filename, ["--serve"], {
      env: {
        ...process.env,
        BENCH_SERVER_INDEX: String(index),
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
    children.push(child);
    return new Promise<{ port: number; token: string }>((resolve, reject) => {
      child.once("message", (m) => resolve(m as { port: number; token: string }));
      child.once("exit", (code) => reject(new Error(`server exited (${code})`)));
    });
  };
  try {
    const first = await start(0);
    const { token } = first;
    const ports = [first.port, ...(await Promise.all(Array.from({ length: serverCount - 1 }, (_, i) => start(i + 1)))).map((s) => s.port)];
    const cpuOf = (child: ChildProcess) =>
      new Promise<number>((resolve) => {
        const onMessage = (m: { cpu?: NodeJS.CpuUsage }) => {
          if (!m.cpu) return;
          child.off("message", onMessage);
          resolve((m.cpu.user + m.cpu.system) / 1000);
        };
        child.on("message", onMessage);
        child.send("cpu");
      });
    /** CPU of every server process together (ms). */
    const serverCpuMs = async () => (await Promise.all(children.map(cpuOf))).reduce((a, b) => a + b, 0);
    // Commits in the bench database (pg_stat_database, reported by the statistics collector within ~1 s of each
    // transaction's end): with group commit there are fewer than requests, and each is one WAL flush (fsync).
    const stats = new Client({ connectionString: dbUrl });
    await stats.connect();
    const commits = async () => {
      await new Promise((r) => setTimeout(r, 1200));
      await stats.query("SELECT pg_stat_clear_snapshot()");
      const { rows } = await stats.query<{ n: string }>("SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()");
      return Number(rows[0].n);
    };
    // CPU of the bench database's Postgres backends (the route process's pool; /proc, when Postgres runs on this
    // machine): per pid, user + system in clock ticks (100 per second). Shared processes (WAL writer, checkpointer)
    // serve every database on the server and are left out.
    const backendTicks = async () => {
      const { rows } = await stats.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");
      const ticks = new Map<number, number>();
      for (const { pid } of rows) {
        try {
          const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
          ticks.set(pid, Number(fields[11]) + Number(fields[12]));
        } catch {
          // Not on this machine, or gone.
        }
      }
      return ticks;
    };
    const rate = process.env.BENCH_RATE ? Number(process.env.BENCH_RATE) : null;
    const seconds = Number(process.env.BENCH_SECONDS ?? 20);
    const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 8);
    const rateConnections = Number(process.env.BENCH_RATE_CONNECTIONS ?? 32);
    const measure = async (phase: Phase, run: () => Promise<Run>) => {
      const cpuBefore = await serverCpuMs();
      const commitsBefore = await commits();
      const pgBefore = await backendTicks();
      const clientBefore = process.cpuUsage();
      const r = await run();
      const client = process.cpuUsage(clientBefore);
      const cpu = (await serverCpuMs()) - cpuBefore;
      let pgTicks = 0;
      for (const [pid, t] of await backendTicks()) pgTicks += t - (pgBefore.get(pid) ?? 0);
      const committed = (await commits()) - commitsBefore;
      // Warm-up requests included in the per-request figures.
      const n = r.requests + r.warmUps;
      console.log(`\n${phase.label} — ${r.mode}, ${r.seconds.toFixed(1)} s`);
      console.log(`  ${r.events.toLocaleString()} events accepted, ${r.errors} errors`);
      console.log(
        `  ${Math.round(r.eventsPerSecond).toLocaleString()} events/s · ${Math.round(r.requests / r.seconds)} requests/s · request latency p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, max ${r.max.toFixed(1)} ms`,
      );
      console.log(
        `  CPU per request (user + system): route process${children.length > 1 ? "es (together)" : ""} ${(cpu / n).toFixed(2)} ms · bench clients ${((client.user + client.system) / 1000 / n).toFixed(2)} ms · Postgres backends ${((pgTicks * 10) / n).toFixed(2)} ms · ${(committed / n).toFixed(2)} Postgres commits per request`,
      );
    };
    for (const phase of phases(token)) {
      await measure(phase, () => closedLoop(ports, phase, seconds, concurrency));
      if (rate) await measure(phase, () => openLoop(ports, phase, seconds, rate, rateConnections));
    }
    await stats.end();
    const c = new Client({ connectionString: dbUrl });
    await c.connect();
    const stored = await c.query(`SELECT source, count(*) AS n FROM "InboundEvent" GROUP BY source ORDER BY source`);
    await c.end();
    console.log(`\nRows stored (incl. warm-up): ${stored.rows.map((r) => `${r.source} ${Number(r.n).toLocaleString()}`).join(", ")}`);
  } finally {
    for (const child of children) child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 300));
    await runSql(ADMIN_URL, `DROP DATABASE IF EXISTS "${DB_NAME}" WITH (FORCE)`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
