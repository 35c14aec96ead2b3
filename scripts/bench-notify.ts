// `npm run bench:notify`: events at a steady rate (default 100/s for 60 s) through the real notification path —
// outbox → events queue (or the dispatch leader, for a trickle) → routing → direct send (or the per-channel delivery
// queue) → HTTP — to a local webhook sink, then a burst to
// find the peak delivery rate. Scratch database (created, migrated, dropped) and a private redis-server. The workers
// run in BENCH_WORKERS child processes (this same file with BENCH_ROLE=worker, default one), as in production; this
// process only emits events (like the app) and runs the sink. Prints p50/p95/p99 event→delivered latency and peak
// deliveries/s. Goals: p95 < 500 ms, ≥ 1,000 deliveries/s peak.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import path from "node:path";
import { Worker } from "bullmq";
import { dropDatabase } from "./bench-support";
import { cpuMeter, postgresBackends, processGroupsMeter } from "./bench-cpu";
import type { Db } from "../server/db";
import type { OutboxBatchJobData } from "../server/bus/outbox";

const RATE = Number(process.env.BENCH_RATE ?? 100);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const FANOUT = Number(process.env.BENCH_FANOUT ?? 3); // routes (with continue) each event matches
const BURST = Number(process.env.BENCH_BURST_EVENTS ?? 2000);
// One worker process, as `npm run workers` runs them; BENCH_WORKERS=2 shows how a second process on the same two
// cores fares (it competes with Postgres, Redis and this process for them).
const WORKERS = Number(process.env.BENCH_WORKERS ?? 1);
const ROLE = process.env.BENCH_ROLE ?? "main";

const base = process.env.BENCH_ADMIN_URL ?? process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/pier";
const scratch = new URL(ROLE === "worker" ? process.env.DATABASE_URL! : base);
if (ROLE === "main") scratch.pathname = `/pier_bench_notify_${process.pid}`;
process.env.DATABASE_URL = scratch.toString();
process.env.REDIS_PREFIX ??= `pier-bench-${process.pid}`;
process.env.LOG_LEVEL = "warn";
// The emitter is the load, not what is measured: on a loaded machine it waits for a connection rather than fail.
if (ROLE === "main") process.env.PIER_DB_CONNECT_TIMEOUT_MS ??= "60000";
// Worker processes must decrypt what this process encrypted: one key for all of them.
process.env.PIER_ENCRYPTION_KEY ??= randomBytes(32).toString("base64");

/** A worker process: the events consumer (routing) and the webhook delivery worker; #0 dispatches and sweeps. */
async function worker() {
  const { createDb, sql } = await import("../server/db");
  const { processOutboxJob } = await import("../server/bus/fanout");
  const { startOutboxDispatcher } = await import("../server/bus/outbox");
  const { closeQueues, QUEUES, workerConnection } = await import("../server/platform/queues");
  // Every subscriber the worker process has (notifications routing and the DORA projection).
  const { SUBSCRIBERS } = await import("../server/subscriptions");
  const { NOTIFICATION_WORKERS } = await import("../server/notifications/worker");
  const { notifyQueueName } = await import("../server/notifications/delivery-queue");
  const { startNotificationSweeper } = await import("../server/notifications/sweeper");
  const { startDirectSends } = await import("../server/notifications/direct-send");
  const { redisRateLimiter } = await import("../server/notifications/rate-limit");
  const db = createDb(process.env.DATABASE_URL!, 16);
  const connection = workerConnection(process.env.REDIS_URL);
  const opts = { connection, prefix: process.env.REDIS_PREFIX };
  // The production handlers (workers/definitions.ts): every process consumes; #0 also dispatches the outbox and
  // sweeps (the dispatcher adds each batch with one addBulk per queue, so it needs no event loop of its own).
  const first = process.env.BENCH_WORKER_INDEX === "0";
  const webhook = NOTIFICATION_WORKERS.find((w) => w.queue === notifyQueueName("webhook"))!;
  const workers = [
    new Worker(QUEUES.events, (job) => processOutboxJob(db, job.data, SUBSCRIBERS), {
      ...opts,
      concurrency: Number(process.env.BENCH_EVENTS_CONCURRENCY ?? 32),
    }),
    new Worker(webhook.queue, (job) => webhook.handle(db, job), { ...opts, concurrency: webhook.concurrency }),
  ];
  // Open the connection pool before the load starts, as a long-running worker has.
  await Promise.all(Array.from({ length: 16 }, () => sql`SELECT 1`.execute(db.kysely)));
  // As workers/index.ts: the dispatch leader consumes a trickle of events itself (BENCH_DIRECT=0: every event queued).
  const consumeDirectly = { queue: QUEUES.events, consume: (data: OutboxBatchJobData) => processOutboxJob(db, data, SUBSCRIBERS) };
  const dispatcher = first ? startOutboxDispatcher(db, 25, process.env.BENCH_DIRECT === "0" ? {} : { direct: consumeDirectly }) : null;
  const stopSweeper = first ? startNotificationSweeper(db, 1000) : null;
  // As the notification worker's start hook does in every worker process (BENCH_DIRECT=0: every delivery queued).
  const stopDirect = process.env.BENCH_DIRECT === "0" ? null : startDirectSends({ rateLimiter: redisRateLimiter });
  console.log("ready");
  process.on("SIGTERM", async () => {
    await stopSweeper?.();
    await stopDirect?.();
    await dispatcher?.stop();
    await Promise.all(workers.map((w) => w.close()));
    connection.disconnect();
    await closeQueues();
    await db.$disconnect();
    process.exit(0);
  });
}

/** The worker processes and redis-server started so far: stopped if this process fails, so none is left running. */
const spawned: ChildProcess[] = [];
let privateRedis: { down(): Promise<void> } | undefined;

function startWorker(index: number, redisUrl: string): Promise<ChildProcess> {
  const profile = process.env.BENCH_PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
  const child = spawn(process.execPath, [...profile, "--import", "tsx", __filename], {
    env: { ...process.env, BENCH_ROLE: "worker", BENCH_WORKER_INDEX: String(index), REDIS_URL: redisUrl },
    stdio: ["ignore", "pipe", "inherit"],
  });
  spawned.push(child);
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => (d.toString().includes("ready") ? resolve(child) : process.stdout.write(d)));
    child.once("exit", (code) => reject(new Error(`worker ${index} exited with ${code}`)));
  });
}

/**
 * The steady phase's latency by stage, per delivery: emitted → taken by the dispatcher (OutboxEvent.dispatchedAt) →
 * routed (Delivery.createdAt) → arrived at the sink → marked delivered (Delivery.deliveredAt).
 */
async function stageLatencies(db: Db, steady: { at: number; eventId: string; deliveryId: string }[], emittedAt: Map<string, number>) {
  const { anyOf } = await import("../server/db");
  const rows = await db.kysely
    .selectFrom("Delivery as d")
    .innerJoin("OutboxEvent as o", "o.id", "d.eventId")
    .select(["d.id", "d.createdAt", "d.deliveredAt", "o.dispatchedAt"])
    .where("d.id", "=", anyOf(steady.map((a) => a.deliveryId)))
    .execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  const out = {
    "emitted → dispatched": [] as number[],
    "dispatched → routed": [] as number[],
    "routed → at the sink": [] as number[],
    "at the sink → marked": [] as number[],
  };
  for (const a of steady) {
    const r = byId.get(a.deliveryId);
    const emitted = emittedAt.get(a.eventId);
    if (!r || emitted === undefined || !r.dispatchedAt) continue;
    out["emitted → dispatched"].push(r.dispatchedAt.getTime() - emitted);
    out["dispatched → routed"].push(r.createdAt.getTime() - r.dispatchedAt.getTime());
    out["routed → at the sink"].push(a.at - r.createdAt.getTime());
    if (r.deliveredAt) out["at the sink → marked"].push(r.deliveredAt.getTime() - a.at);
  }
  return out;
}

function pct(values: number[], p: number) {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

async function main() {
  const { PrivateRedis } = await import("../test/support/redis-server");
  const redis = (privateRedis = await PrivateRedis.start());
  process.env.REDIS_URL = redis.url;
  const { resetEnvForTests } = await import("../server/env");
  resetEnvForTests();
  const { ensureDatabase, migrate } = await import("../server/platform/migrations");
  await ensureDatabase(scratch.toString());
  await migrate(scratch.toString(), path.join(__dirname, "..", "prisma", "migrations"));

  const { createDb, transaction } = await import("../server/db");
  // A test event: no deployment request behind it, which the DORA projection skips (as it skipped these events
  // before they had to name one); notification routing treats it like any other.
  const { emitTestEvent } = await import("../server/bus/events");
  const { encryptJson } = await import("../server/platform/secrets");

  // The sink: records when each delivery arrived and for which event.
  const arrivals: { at: number; eventId: string; deliveryId: string }[] = [];
  const sink = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      arrivals.push({ at: Date.now(), eventId: (JSON.parse(body) as { event: { id: string } }).event.id, deliveryId: String(req.headers["x-pier-delivery"]) });
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((r) => sink.listen(0, "127.0.0.1", () => r()));
  const port = (sink.address() as { port: number }).port;

  const db = createDb(scratch.toString(), 30);
  const team = await db.team.create({ data: { slug: "bench", name: "Bench", onCallName: "Bench on-call" } });
  const service = await db.service.create({ data: { slug: "bench-api", name: "Bench API", teamId: team.id, tier: 1 } });
  const env = await db.environment.create({ data: { name: "prod", rank: 30, isProduction: true } });
  await db.outboundAllowEntry.create({ data: { pattern: `127.0.0.1:${port}`, reason: "bench sink" } });
  const channel = await db.notificationChannel.create({
    data: {
      name: "sink",
      type: "webhook",
      secretEncrypted: encryptJson({ url: `http://127.0.0.1:${port}/sink`, signingSecret: "bench-signing-secret", headers: {} }),
    },
  });
  for (let i = 0; i < FANOUT; i++) {
    await db.notificationRoute.create({
      data: { name: `route ${i}`, position: i, continue: true, channelIds: [channel.id], matchers: [{ label: "service", op: "=", value: "bench-api" }] },
    });
  }
  await db.$disconnect();

  const children = await Promise.all(Array.from({ length: WORKERS }, (_, i) => startWorker(i, redis.url)));
  const appDb = createDb(scratch.toString(), 8);

  const emittedAt = new Map<string, number>();
  const emitOne = async (i: number) => {
    // As the app's busiest writers do (server/approvals/decisions.ts): a Kysely transaction, the outbox row sent with COMMIT.
    const { id } = await transaction(appDb, async (tx) =>
      emitTestEvent(tx, {
        type: "deployment.succeeded",
        severity: "info",
        subject: {
          service: { id: service.id, slug: service.slug, name: service.name, tier: 1, teamId: team.id, teamSlug: team.slug },
          environment: { id: env.id, name: env.name, isProduction: true },
        },
        actor: { id: null, label: "bench" },
        data: { version: `1.0.${i}` },
      }),
    );
    emittedAt.set(id, Date.now());
  };

  const waitFor = async (count: number, ms: number) => {
    const deadline = Date.now() + ms;
    while (arrivals.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  };

  // Where a backlog builds up (printed with BENCH_TRACE=1): outbox not yet dispatched / not processed, deliveries waiting.
  const trace = process.env.BENCH_TRACE
    ? setInterval(async () => {
        const o = await appDb.kysely
          .selectNoFrom((eb) => [
            eb.selectFrom("OutboxEvent").select(eb.fn.countAll().as("n")).where("dispatchedAt", "is", null).as("undispatched"),
            eb.selectFrom("OutboxEvent").select(eb.fn.countAll().as("n")).where("processedAt", "is", null).as("unprocessed"),
            eb.selectFrom("Delivery").select(eb.fn.countAll().as("n")).where("status", "in", ["pending", "retrying", "sending"]).as("waiting"),
          ])
          .executeTakeFirstOrThrow();
        console.log(`  outbox undispatched ${o.undispatched}, unprocessed ${o.unprocessed}; deliveries waiting ${o.waiting}; delivered ${arrivals.length}`);
      }, 1000)
    : undefined;

  // Phase 1: steady rate.
  console.log(`steady: ${RATE} events/s for ${SECONDS} s, ${FANOUT} deliveries per event…`);
  const total = RATE * SECONDS;
  const groups = {
    workers: () => children.map((c) => c.pid!),
    postgres: () => postgresBackends(scratch.pathname.slice(1)),
    redis: () => (redis.pid ? [redis.pid] : []),
  };
  const steadyCpu = cpuMeter();
  const steadyProcs = processGroupsMeter(groups);
  const started = Date.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / RATE;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inflight.push(emitOne(i));
  }
  await Promise.all(inflight);
  const emitSeconds = (Date.now() - started) / 1000;
  await waitFor(total * FANOUT, 120_000);
  const steadyUsed = steadyCpu.stop();
  const steadyByProcess = steadyProcs.stop();
  const steady = arrivals.slice(0, total * FANOUT);
  const latencies = steady.map((a) => a.at - (emittedAt.get(a.eventId) ?? a.at));
  const stages = await stageLatencies(appDb, steady, emittedAt);

  // Phase 2: a burst, to find the peak delivery rate.
  console.log(`burst: ${BURST} events at once (${BURST * FANOUT} deliveries)…`);
  const before = arrivals.length;
  const burstCpu = cpuMeter();
  const burstProcs = processGroupsMeter(groups);
  const burstStart = Date.now();
  for (let i = 0; i < BURST; i += 100) await Promise.all(Array.from({ length: Math.min(100, BURST - i) }, (_, j) => emitOne(total + i + j)));
  await waitFor(before + BURST * FANOUT, 180_000);
  const burstSeconds = (Date.now() - burstStart) / 1000;
  const burstUsed = burstCpu.stop();
  const burstByProcess = burstProcs.stop();
  const perSecond = new Map<number, number>();
  for (const a of arrivals) perSecond.set(Math.floor(a.at / 1000), (perSecond.get(Math.floor(a.at / 1000)) ?? 0) + 1);
  const peak = Math.max(...perSecond.values());

  clearInterval(trace);
  await new Promise((r) => setTimeout(r, 500)); // the last rows are marked delivered just after the sink answered
  const dead = await appDb.delivery.count({ where: { status: { not: "delivered" } } });
  console.log("");
  console.log(`events emitted (steady)    ${total} in ${emitSeconds.toFixed(1)} s (${(total / emitSeconds).toFixed(0)}/s)`);
  console.log(`deliveries (steady)        ${steady.length} of ${total * FANOUT}`);
  console.log(`event → delivered p50      ${pct(latencies, 50)} ms`);
  console.log(`event → delivered p95      ${pct(latencies, 95)} ms   (issue #18 goal: < 100 ms with 3 workers)`);
  console.log(`event → delivered p99      ${pct(latencies, 99)} ms`);
  console.log(`  where it goes (p50 / p95, steady):`);
  for (const [name, values] of Object.entries(stages)) console.log(`    ${name.padEnd(28)} ${pct(values, 50)} / ${pct(values, 95)} ms`);
  console.log(
    `burst deliveries           ${arrivals.length - before} in ${burstSeconds.toFixed(1)} s (${((arrivals.length - before) / burstSeconds).toFixed(0)}/s average)`,
  );
  console.log(`peak deliveries/s          ${peak}   (issue #18 goal: ≥ 5,000 with 3 workers)`);
  console.log(`deliveries not delivered   ${dead}`);
  console.log(`duplicate deliveries       ${arrivals.length - new Set(arrivals.map((a) => a.deliveryId)).size}`);
  console.log(`worker processes           ${WORKERS}`);
  console.log(`CPU, steady phase          ${steadyUsed.describe(total * FANOUT, "delivery")}`);
  console.log(`CPU, burst                 ${burstUsed.describe(BURST * FANOUT, "delivery")}`);
  console.log(`CPU by process, steady     ${steadyByProcess.describe(total * FANOUT, "delivery")}`);
  console.log(`CPU by process, burst      ${burstByProcess.describe(BURST * FANOUT, "delivery")}`);

  await Promise.all(children.map((c) => new Promise((r) => (c.removeAllListeners("exit"), c.once("exit", r), c.kill("SIGTERM")))));
  await appDb.$disconnect();
  sink.close();
  await redis.down();
  await dropDatabase(scratch.toString());
}

async function fail(err: unknown) {
  console.error(err);
  for (const child of spawned) child.kill("SIGKILL");
  await privateRedis?.down();
  process.exit(1);
}
// An emit that fails while the loop waits surfaces as an unhandled rejection: stop the workers then too.
process.on("unhandledRejection", fail);
(ROLE === "worker" ? worker() : main().then(() => process.exit(0))).catch(fail);
