// One bench:scale run: start the processes, seed, drive the load in phases, kill and restart processes mid-run,
// wait for the system to settle, and check that nothing was lost or done twice. Used by scripts/bench-scale.ts (the
// full benchmark) and test/scale.test.ts (a short run in the test suite).
//
// Phases: "mixed" (ingestion over HTTP, GitHub webhooks, deployment requests and approvals through tRPC, simulator
// rollouts, notification events → webhook sink; the kills happen here), "approvers" (many paced approvers: inbox +
// decide), "burst" (a burst of notification events: peak deliveries/s). The driver is this process: it is the
// clients (and, for notification events, the app writing an event in a transaction, as bench:notify does), and it
// spreads HTTP calls over the web processes like a load balancer (a refused connection takes that process out of
// rotation until it is back).
import { fork } from "node:child_process";
import { createHmac, randomUUID } from "node:crypto";
import http from "node:http";
import path from "node:path";
import { createDb, closeDb, sql, transaction, type Db } from "../../server/db";
import { emitTestEvent } from "../../server/bus/events";
import { verifyAuditChain } from "../../server/audit/audit-log";
import { reconcileStalledRuns } from "../../server/deployments/reconciler";
import { sweepNotifications } from "../../server/notifications/sweeper";
import { Cluster, type PierProcess } from "./cluster";

export type { Cluster };
import { seed, type Seeded } from "./seed";
import type { Arrival } from "./sink";

type ScaleOptions = {
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  web: number;
  workers: number;
  /** Seconds of mixed load; the kills happen at 35 % (worker) and 60 % (web) of it. */
  mixedSeconds: number;
  mixedApprovers: number;
  /** Approvers phase: this many paced approvers for `approverSeconds` (0 skips it). */
  approvers: number;
  approverSeconds: number;
  /** Per second during the mixed phase: CDEvents requests (5 events each), GitHub pushes, deployment requests, notification events. */
  ingestRate: number;
  githubRate: number;
  requestRate: number;
  notifyRate: number;
  /** Notification events emitted at once after the approvers phase (0 skips it). */
  burstEvents: number;
  pendingPool: number;
  killWorker: boolean;
  killWeb: boolean;
  /** When in the mixed phase the worker and the web process are killed (fractions of it; default 0.35 and 0.6). */
  killWorkerAt?: number;
  killWebAt?: number;
  /** Longest wait for the system to settle after the load (the reconciler retries a killed run after ~90 s). */
  graceSeconds: number;
  /**
   * Tests only: while settling, run the stalled-run reconciler's pass with this staleness instead of waiting for
   * its 90 s (what the workers' maintenance loop does once that time has passed).
   */
  reconcilerStaleMs?: number;
  /**
   * Tests only: likewise the notification sweeper's reclaim of deliveries left "sending" by a dead worker (5 min),
   * with this staleness. Needs the driver's REDIS_PREFIX to be the run's (the sweeper re-enqueues).
   */
  sweeperStaleMs?: number;
  warmSeconds?: number;
  /** Called with the process set as soon as it exists (a test's afterAll kills its process groups through it). */
  onCluster?: (cluster: Cluster) => void;
  log: (line: string) => void;
};

const FANOUT = 3;
const CDEVENTS_BATCH = 5;
const SECRET_GITHUB = "scale-github-webhook-secret";

export function pct(values: number[], p: number) {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type CallResult = { status: number; body: string; headers: http.IncomingHttpHeaders };

class WebPool {
  private next = 0;
  private agents = new Map<number, http.Agent>();
  constructor(private readonly cluster: Cluster) {}

  private up(): PierProcess[] {
    return this.cluster.procs.filter((p) => p.kind === "web" && p.ready && !p.exited);
  }

  private send(p: PierProcess, method: string, path: string, headers: Record<string, string>, body?: string): Promise<CallResult> {
    let agent = this.agents.get(p.port);
    if (!agent) this.agents.set(p.port, (agent = new http.Agent({ keepAlive: true, maxSockets: 128 })));
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: "127.0.0.1",
          port: p.port,
          method,
          path,
          agent,
          headers: body === undefined ? headers : { ...headers, "content-length": Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
          res.on("error", reject);
        },
      );
      req.setTimeout(60_000, () => req.destroy(new Error("timeout")));
      req.on("error", reject);
      req.end(body);
    });
  }

  /**
   * One call through the "load balancer". A connection that was refused (the process is gone) is retried on another
   * process; one that broke after the request was sent is retried only when `idempotent`, else it throws.
   */
  async call(method: string, path: string, headers: Record<string, string>, body: string | undefined, idempotent: boolean): Promise<CallResult> {
    for (let attempt = 0; ; attempt++) {
      const up = this.up();
      if (up.length === 0) {
        if (attempt > 200) throw new Error("no web process is up");
        await sleep(100);
        continue;
      }
      const p = up[this.next++ % up.length];
      try {
        return await this.send(p, method, path, headers, body);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const refused = code === "ECONNREFUSED";
        if (refused) p.ready = false; // out of rotation until restarted
        if (attempt >= 20 || (!refused && !idempotent)) throw err;
        await sleep(50);
      }
    }
  }

  close() {
    for (const a of this.agents.values()) a.destroy();
  }
}

function cookieValue(setCookie: string[] | undefined, name: string) {
  for (const c of setCookie ?? []) if (c.startsWith(`${name}=`)) return c.slice(name.length + 1).split(";")[0];
  return null;
}

export type ScaleResult = Awaited<ReturnType<typeof runScale>>;

export async function runScale(o: ScaleOptions) {
  const encryptionKey = process.env.PIER_ENCRYPTION_KEY!;
  // The sink (its own process): every request's Idempotency-Key, when it arrived, and which event it was for.
  const arrivals: Arrival[] = [];
  const sink = fork(path.join(__dirname, "..", "bench-scale.ts"), [], {
    env: { ...process.env, SCALE_ROLE: "sink" },
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const sinkPort = await new Promise<number>((resolve, reject) => {
    sink.on("message", (m: { port?: number; arrivals?: Arrival[] }) => {
      if (m.port) resolve(m.port);
      if (m.arrivals) for (const a of m.arrivals) arrivals.push(a);
    });
    sink.once("exit", (code) => reject(new Error(`the sink exited (${code})`)));
    setTimeout(() => reject(new Error("the sink did not start within 60 s")), 60_000).unref();
  });
  const latestArrivals = () => new Promise((r) => setTimeout(r, 100)); // the sink reports every 20 ms

  const seeded: Seeded = await seed(o.databaseUrl, sinkPort, {
    devServices: 20,
    prodServices: 40,
    developers: 10,
    approvers: Math.max(o.approvers, o.mixedApprovers),
    pendingPool: o.pendingPool,
    fanout: FANOUT,
  });

  const cluster = new Cluster(
    {
      DATABASE_URL: o.databaseUrl,
      REDIS_URL: o.redisUrl,
      REDIS_PREFIX: o.redisPrefix,
      // Not "production": that would refuse the demo sign-in the driver uses (and NODE_ENV changes nothing else in
      // server/ or workers/). The secrets are set, shared by every process, as production requires.
      NODE_ENV: "development",
      AUTH_SECRET: "scale-auth-secret-".repeat(3),
      // The same checkpoint key as this process (which verifies the chain at the end): the caller sets it.
      PIER_AUDIT_CHECKPOINT_KEY: process.env.PIER_AUDIT_CHECKPOINT_KEY!,
      PIER_ENCRYPTION_KEY: encryptionKey,
      PIER_GITHUB_WEBHOOK_SECRET: SECRET_GITHUB,
      LOG_LEVEL: "warn",
    },
    o.log,
  );
  o.onCluster?.(cluster);
  // Whatever happens to this process, its Pier processes do not outlive it.
  const killOnExit = () => cluster.killAll();
  process.once("exit", killOnExit);
  const pool = new WebPool(cluster);
  const appDb: Db = createDb(o.databaseUrl, 8);
  const timings = new Map<string, number[]>();
  const errors = new Map<string, number>();
  const ops = new Map<string, number>(); // operations per phase
  const timed = async <T>(kind: string, fn: () => Promise<T>): Promise<T | undefined> => {
    const t = performance.now();
    try {
      const r = await fn();
      const list = timings.get(kind) ?? [];
      list.push(performance.now() - t);
      timings.set(kind, list);
      ops.set(cluster.phase, (ops.get(cluster.phase) ?? 0) + 1);
      return r;
    } catch (err) {
      errors.set(kind, (errors.get(kind) ?? 0) + 1);
      if ((errors.get(kind) ?? 0) <= 3) o.log(`  ${kind} failed: ${(err as Error).message.slice(0, 300)}`);
      return undefined;
    }
  };

  try {
    o.log(`starting ${o.web} web + ${o.workers} worker processes…`);
    await Promise.all([
      ...Array.from({ length: o.web }, (_, i) => cluster.start("web", i)),
      ...Array.from({ length: o.workers }, (_, i) => cluster.start("worker", i)),
    ]);

    // Sessions: every user signs in through next-auth's demo provider over HTTP, as the sign-in page does.
    const sessions = new Map<string, string>();
    const signIn = async (userId: string) => {
      const csrf = await pool.call("GET", "/api/auth/csrf", {}, undefined, true);
      const csrfCookie = cookieValue(csrf.headers["set-cookie"], "authjs.csrf-token");
      const { csrfToken } = JSON.parse(csrf.body) as { csrfToken: string };
      const form = new URLSearchParams({ csrfToken, userId, callbackUrl: "/" }).toString();
      const res = await pool.call(
        "POST",
        "/api/auth/callback/demo",
        { "content-type": "application/x-www-form-urlencoded", cookie: `authjs.csrf-token=${csrfCookie}` },
        form,
        true,
      );
      const session = cookieValue(res.headers["set-cookie"], "authjs.session-token");
      if (!session) throw new Error(`sign-in of ${userId} gave no session (${res.status} ${res.body.slice(0, 200)})`);
      sessions.set(userId, `authjs.session-token=${session}`);
    };
    const everyone = [...seeded.developers, ...seeded.approvers];
    for (let i = 0; i < everyone.length; i += 25) await Promise.all(everyone.slice(i, i + 25).map(signIn));
    o.log(`${sessions.size} users signed in`);

    const trpcQuery = (userId: string, proc: string) =>
      pool.call("GET", `/api/trpc/${proc}`, { cookie: sessions.get(userId)! }, undefined, true).then(trpcData);
    const trpcMutation = (userId: string, proc: string, input: unknown, idempotent: boolean) =>
      pool
        .call("POST", `/api/trpc/${proc}`, { cookie: sessions.get(userId)!, "content-type": "application/json" }, JSON.stringify({ json: input }), idempotent)
        .then(trpcData);

    // What the driver was told was accepted: the checks compare it with what the system did.
    const acceptedCdevents = new Set<string>();
    const acceptedGithub = new Map<string, string>(); // delivery id → commit id
    const createdRequests = new Set<string>();
    let uncertainCreates = 0;
    const emittedAt = new Map<string, number>();
    const decisions = { approved: 0, rejected: 0, conflicts: 0 };
    let seq = 0;

    const sendCdevents = async () => {
      const events = Array.from({ length: CDEVENTS_BATCH }, () => {
        const n = seq++;
        const prod = n % 2 === 0;
        const svc = prod ? seeded.prodServices[n % seeded.prodServices.length] : seeded.devServices[n % seeded.devServices.length];
        return {
          context: {
            specversion: "0.5.1",
            id: `scale-${n}-${randomUUID()}`,
            source: "/bench-scale",
            type: "dev.cdevents.service.deployed.0.3.0",
            timestamp: new Date().toISOString(),
          },
          subject: {
            id: `service/${svc.slug}`,
            source: "/bench-scale",
            content: { environment: { id: prod ? "prod" : "dev" }, artifactId: `pkg:oci/${svc.slug}@3.0.${n}` },
          },
        };
      });
      const res = await timed("ingest: CDEvents (5 per request)", async () => {
        const r = await pool.call(
          "POST",
          "/api/events/cdevents",
          { "content-type": "application/json", authorization: `Bearer ${seeded.token}` },
          JSON.stringify(events),
          true, // the same ids again are answered as duplicates: safe to retry
        );
        if (r.status !== 202 && r.status !== 200) throw new Error(`cdevents answered ${r.status}: ${r.body.slice(0, 200)}`);
        return r;
      });
      if (res) for (const e of events) acceptedCdevents.add(e.context.id);
    };

    const sendGithub = async () => {
      const n = seq++;
      const svc = seeded.devServices[n % seeded.devServices.length];
      const commit = createHmac("sha1", "c").update(`${n}-${randomUUID()}`).digest("hex");
      const delivery = randomUUID();
      const now = new Date().toISOString();
      const body = JSON.stringify({
        ref: "refs/heads/main",
        repository: { name: svc.slug, full_name: `acme/${svc.slug}`, default_branch: "main" },
        commits: [{ id: commit, message: `Change ${n}`, timestamp: now }],
        head_commit: { id: commit, timestamp: now },
      });
      const signature = `sha256=${createHmac("sha256", SECRET_GITHUB).update(body).digest("hex")}`;
      const res = await timed("ingest: GitHub push webhook", async () => {
        const r = await pool.call(
          "POST",
          "/api/webhooks/github",
          { "content-type": "application/json", "x-github-event": "push", "x-github-delivery": delivery, "x-hub-signature-256": signature },
          body,
          true,
        );
        if (r.status !== 202 && r.status !== 200) throw new Error(`github answered ${r.status}: ${r.body.slice(0, 200)}`);
        return r;
      });
      if (res) acceptedGithub.set(delivery, commit);
    };

    const createRequest = async () => {
      const n = seq++;
      const prod = n % 2 === 0;
      const svc = prod ? seeded.prodServices[n % seeded.prodServices.length] : seeded.devServices[n % seeded.devServices.length];
      const dev = seeded.developers[n % seeded.developers.length];
      try {
        const out = await timed("tRPC deployments.create", () =>
          trpcMutation(
            dev,
            "deployments.create",
            {
              serviceId: svc.id,
              environmentId: prod ? seeded.environments.prod : seeded.environments.dev,
              version: `2.${n}.0`,
              strategy: "rolling",
              summary: `bench:scale change ${n}`,
            },
            false,
          ),
        );
        if (out) createdRequests.add((out as { id: string }).id);
        else uncertainCreates++;
      } catch {
        uncertainCreates++;
      }
    };

    const emitNotification = async () => {
      const n = seq++;
      await timed("app: notification event (outbox write)", async () => {
        const { id } = await transaction(appDb, async (tx) =>
          emitTestEvent(tx, {
            type: "deployment.succeeded",
            severity: "info",
            subject: {
              service: { ...seeded.notify.service, tier: 1, teamSlug: seeded.notify.team.slug },
              environment: { id: seeded.environments.prod, name: "prod", isProduction: true },
            },
            actor: { id: null, label: "bench:scale" },
            data: { version: `9.0.${n}` },
          }),
        );
        emittedAt.set(id, Date.now());
      });
    };

    /** A paced approver: read the inbox, think 0.5–1.5 s, decide one of the 20 oldest, think. */
    const approver = async (userId: string, until: number) => {
      await sleep(Math.random() * 1000);
      while (Date.now() < until) {
        const inbox = (await timed("tRPC approvals.inbox", () => trpcQuery(userId, "approvals.inbox"))) as { items: { id: string }[] } | undefined;
        await sleep(500 + Math.random() * 1000);
        const mine = inbox?.items ?? [];
        const pick = mine[Math.floor(Math.random() * Math.min(20, mine.length))];
        if (pick && Date.now() < until) {
          const decision = Math.random() < 0.15 ? "reject" : "approve";
          const t = performance.now();
          try {
            await trpcMutation(userId, "approvals.decide", { requestId: pick.id, decision, comment: decision === "reject" ? "not now" : "" }, true);
            record("tRPC approvals.decide", performance.now() - t);
            decisions[decision === "reject" ? "rejected" : "approved"]++;
          } catch (err) {
            if (err instanceof TrpcFailure && err.code === "CONFLICT") {
              record("tRPC approvals.decide", performance.now() - t);
              decisions.conflicts++; // someone was faster: expected, counted
            } else {
              errors.set("tRPC approvals.decide", (errors.get("tRPC approvals.decide") ?? 0) + 1);
              if ((errors.get("tRPC approvals.decide") ?? 0) <= 3) o.log(`  decide failed: ${(err as Error).message.slice(0, 300)}`);
            }
          }
          await sleep(500 + Math.random() * 1000);
        }
      }
    };
    const record = (kind: string, ms: number) => {
      const list = timings.get(kind) ?? [];
      list.push(ms);
      timings.set(kind, list);
      ops.set(cluster.phase, (ops.get(cluster.phase) ?? 0) + 1);
    };

    /** Calls `fn` `rate` times a second until `until`, not waiting for one to finish before the next (open loop). */
    const paced = async (rate: number, until: number, fn: () => Promise<void>) => {
      if (rate <= 0) return;
      const inflight = new Set<Promise<void>>();
      const started = Date.now();
      for (let i = 0; ; i++) {
        const due = started + (i * 1000) / rate;
        if (due >= until) break;
        if (due > Date.now()) await sleep(due - Date.now());
        const p = fn().finally(() => inflight.delete(p));
        inflight.add(p);
      }
      await Promise.all(inflight);
    };

    // Warm-up: every process compiles its code paths and opens its pool before the measurement.
    const warmUntil = Date.now() + (o.warmSeconds ?? 5) * 1000;
    await Promise.all([
      paced(Math.min(o.ingestRate, 10), warmUntil, sendCdevents),
      paced(Math.min(o.githubRate, 5), warmUntil, sendGithub),
      paced(Math.min(o.notifyRate, 10), warmUntil, emitNotification),
      ...seeded.approvers.slice(0, Math.min(10, o.mixedApprovers)).map((a) => approver(a, warmUntil)),
    ]);
    timings.clear();
    const warmArrivals = arrivals.length;

    // Phase 1: mixed load, with the kills.
    cluster.startSampling();
    cluster.enterPhase("mixed");
    const mixedStart = Date.now();
    const mixedEnd = mixedStart + o.mixedSeconds * 1000;
    const kills: string[] = [];
    const faults = (async () => {
      if (o.killWorker && o.workers > 0) {
        await sleep(o.mixedSeconds * 1000 * (o.killWorkerAt ?? 0.35));
        const victim = cluster.procs.find((p) => p.kind === "worker" && p.index === o.workers - 1 && p.ready)!;
        cluster.kill(victim);
        kills.push(`worker ${victim.index} SIGKILLed at ${((Date.now() - mixedStart) / 1000).toFixed(1)} s`);
        await sleep(1000);
        const t = Date.now();
        await cluster.start("worker", victim.index);
        kills.push(`worker ${victim.index} restarted (ready after ${((Date.now() - t) / 1000).toFixed(1)} s)`);
      }
      if (o.killWeb && o.web > 0) {
        await sleep(Math.max(0, mixedStart + o.mixedSeconds * 1000 * (o.killWebAt ?? 0.6) - Date.now()));
        const victim = cluster.procs.find((p) => p.kind === "web" && p.index === 0 && p.ready)!;
        cluster.kill(victim);
        kills.push(`web ${victim.index} SIGKILLed at ${((Date.now() - mixedStart) / 1000).toFixed(1)} s`);
        await sleep(1000);
        const t = Date.now();
        await cluster.start("web", victim.index);
        kills.push(`web ${victim.index} restarted (ready after ${((Date.now() - t) / 1000).toFixed(1)} s)`);
      }
    })();
    const steadyFrom = arrivals.length;
    await Promise.all([
      paced(o.ingestRate, mixedEnd, sendCdevents),
      paced(o.githubRate, mixedEnd, sendGithub),
      paced(o.requestRate, mixedEnd, createRequest),
      paced(o.notifyRate, mixedEnd, emitNotification),
      ...seeded.approvers.slice(0, o.mixedApprovers).map((a) => approver(a, mixedEnd)),
      faults,
    ]);
    const mixedWall = (Date.now() - mixedStart) / 1000;
    const notifyLatencies = () =>
      arrivals
        .slice(steadyFrom)
        .filter((a) => emittedAt.has(a.eventId))
        .map((a) => a.at - emittedAt.get(a.eventId)!);
    const steadyLatencies = notifyLatencies();

    // Phase 2: many paced approvers.
    cluster.enterPhase("approvers");
    const approverStart = Date.now();
    const approverTimingsFrom = { inbox: timings.get("tRPC approvals.inbox")?.length ?? 0, decide: timings.get("tRPC approvals.decide")?.length ?? 0 };
    if (o.approvers > 0 && o.approverSeconds > 0) {
      const until = approverStart + o.approverSeconds * 1000;
      await Promise.all(seeded.approvers.slice(0, o.approvers).map((a) => approver(a, until)));
    }
    const approverWall = (Date.now() - approverStart) / 1000;
    const approverPhase = {
      inbox: (timings.get("tRPC approvals.inbox") ?? []).slice(approverTimingsFrom.inbox),
      decide: (timings.get("tRPC approvals.decide") ?? []).slice(approverTimingsFrom.decide),
    };

    // Phase 3: a burst of notification events.
    cluster.enterPhase("burst");
    const burstFrom = arrivals.length;
    const burstStart = Date.now();
    const burstEmitted = new Set<string>();
    if (o.burstEvents > 0) {
      const before = new Set(emittedAt.keys());
      for (let i = 0; i < o.burstEvents; i += 100) await Promise.all(Array.from({ length: Math.min(100, o.burstEvents - i) }, emitNotification));
      for (const id of emittedAt.keys()) if (!before.has(id)) burstEmitted.add(id);
      const deadline = Date.now() + 120_000;
      while (arrivals.slice(burstFrom).filter((a) => burstEmitted.has(a.eventId)).length < burstEmitted.size * FANOUT && Date.now() < deadline)
        await sleep(100);
    }
    const burstWall = (Date.now() - burstStart) / 1000;
    const burstArrivals = arrivals.slice(burstFrom).filter((a) => burstEmitted.has(a.eventId));
    const perSecond = new Map<number, number>();
    for (const a of burstArrivals) perSecond.set(Math.floor(a.at / 1000), (perSecond.get(Math.floor(a.at / 1000)) ?? 0) + 1);
    // Peak: the busiest whole second (the first and last second of the burst are partial).
    const peak = perSecond.size > 0 ? Math.max(...perSecond.values()) : 0;

    // Settle: everything accepted gets processed; the reconciler retries a run a killed worker held.
    cluster.enterPhase("settle");
    o.log(`load done; waiting up to ${o.graceSeconds} s for the system to settle…`);
    const settleStart = Date.now();
    let pending = await backlog(appDb);
    while (Date.now() - settleStart < o.graceSeconds * 1000) {
      pending = await backlog(appDb);
      if (Object.values(pending).every((n) => n === 0)) break;
      if (o.reconcilerStaleMs !== undefined) await reconcileStalledRuns(appDb, { staleAfterMs: o.reconcilerStaleMs });
      if (o.sweeperStaleMs !== undefined) await sweepNotifications(appDb, { stuckAfterMs: o.sweeperStaleMs });
      await sleep(1000);
    }
    await sleep(500); // the last deliveries are marked delivered just after the sink answered
    await latestArrivals();
    // Why inbound events are not final (their last error), when some are not: shown with a violated check.
    const errorHead = sql<string | null>`left(error, 160)`;
    const inboundNotFinal =
      pending.inbound > 0
        ? await appDb.kysely
            .selectFrom("InboundEvent")
            .select((eb) => ["status", errorHead.as("error"), eb.fn.countAll<string>().as("n")])
            .where("status", "in", ["pending", "failed"])
            .groupBy(["status", errorHead])
            .execute()
        : [];
    cluster.enterPhase("checks");
    const settleSeconds = (Date.now() - settleStart) / 1000;

    const checks = await check(appDb, {
      acceptedCdevents,
      acceptedGithub,
      createdRequests,
      arrivals,
      emitted: new Set(emittedAt.keys()),
      fanout: FANOUT,
    });

    const cpu = Object.fromEntries(cluster.cpu);
    return {
      config: { web: o.web, workers: o.workers },
      kills,
      wall: { mixed: mixedWall, approvers: approverWall, burst: burstWall, settle: settleSeconds },
      ops: Object.fromEntries(ops),
      cpu,
      timings: Object.fromEntries(timings),
      errors: Object.fromEntries(errors),
      decisions,
      uncertainCreates,
      notify: {
        steadyLatencies,
        steadyDeliveries: arrivals.length - steadyFrom,
        warmDeliveries: warmArrivals,
        burstDeliveries: burstArrivals.length,
        burstSeconds: burstWall,
        peak,
      },
      approverPhase,
      backlogAtEnd: pending,
      inboundNotFinal: inboundNotFinal.map((r) => ({ status: r.status, error: r.error, n: Number(r.n) })),
      checks,
    };
  } finally {
    await cluster.stopAll();
    process.removeListener("exit", killOnExit);
    pool.close();
    await closeDb(appDb);
    sink.removeAllListeners("exit");
    sink.kill();
  }
}

class TrpcFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function trpcData(r: CallResult): unknown {
  let parsed: { result?: { data?: { json?: unknown } }; error?: { json?: { message?: string; data?: { code?: string } } } };
  try {
    parsed = JSON.parse(r.body);
  } catch {
    throw new Error(`tRPC answered ${r.status} without JSON: ${r.body.slice(0, 200)}`);
  }
  if (parsed.error) throw new TrpcFailure(parsed.error.json?.data?.code ?? "UNKNOWN", `${r.status} ${parsed.error.json?.message ?? ""}`);
  return parsed.result?.data?.json;
}

/** What is still in flight: outbox rows not processed, inbound events not final, deliveries not final, runs not finished. */
async function backlog(db: Db) {
  const row = await db.kysely
    .selectNoFrom((eb) => [
      eb.selectFrom("OutboxEvent").select(eb.fn.countAll<string>().as("n")).where("processedAt", "is", null).as("outbox"),
      eb.selectFrom("InboundEvent").select(eb.fn.countAll<string>().as("n")).where("status", "in", ["pending", "failed"]).as("inbound"),
      eb.selectFrom("Delivery").select(eb.fn.countAll<string>().as("n")).where("status", "in", ["pending", "retrying", "sending"]).as("deliveries"),
      eb.selectFrom("DeploymentRequest").select(eb.fn.countAll<string>().as("n")).where("status", "in", ["approved", "queued", "deploying"]).as("runs"),
    ])
    .executeTakeFirstOrThrow();
  return { outbox: Number(row.outbox), inbound: Number(row.inbound), deliveries: Number(row.deliveries), runs: Number(row.runs) };
}

const TERMINAL = ["rejected", "expired", "cancelled", "succeeded", "failed", "rolled_back"];

async function check(
  db: Db,
  seen: {
    acceptedCdevents: Set<string>;
    acceptedGithub: Map<string, string>;
    createdRequests: Set<string>;
    arrivals: Arrival[];
    emitted: Set<string>;
    fanout: number;
  },
) {
  const k = db.kysely;
  // Ingestion: every accepted event stored once and processed, and its effect (one canonical row) present once.
  const inbound = await k.selectFrom("InboundEvent").select(["source", "externalId", "status"]).execute();
  const bySource = (source: string) => new Map(inbound.filter((r) => r.source === source).map((r) => [r.externalId, r.status]));
  const cd = bySource("cdevents");
  const gh = bySource("github");
  const deployments = await k
    .selectFrom("Deployment")
    .select(["externalId", (eb) => eb.fn.countAll<string>().as("n")])
    .where("source", "=", "cdevents")
    .groupBy("externalId")
    .execute();
  const deploymentCount = new Map(deployments.map((d) => [d.externalId ?? "", Number(d.n)]));
  const changes = await k
    .selectFrom("Change")
    .select(["externalId", (eb) => eb.fn.countAll<string>().as("n")])
    .where("source", "=", "github")
    .groupBy("externalId")
    .execute();
  const changeCount = new Map(changes.map((d) => [d.externalId, Number(d.n)]));
  const ingest = {
    accepted: seen.acceptedCdevents.size + seen.acceptedGithub.size,
    missing: 0,
    notProcessed: {} as Record<string, number>,
    effectMissing: 0,
    effectDuplicated: 0,
  };
  const notProcessed = (status: string) => (ingest.notProcessed[status] = (ingest.notProcessed[status] ?? 0) + 1);
  for (const id of seen.acceptedCdevents) {
    const status = cd.get(id);
    if (status === undefined) ingest.missing++;
    else if (status !== "processed") notProcessed(status);
    const n = deploymentCount.get(id) ?? 0;
    if (n === 0) ingest.effectMissing++;
    if (n > 1) ingest.effectDuplicated++;
  }
  for (const [delivery, commit] of seen.acceptedGithub) {
    const status = gh.get(delivery);
    if (status === undefined) ingest.missing++;
    else if (status !== "processed") notProcessed(status);
    const n = changeCount.get(commit) ?? 0;
    if (n === 0) ingest.effectMissing++;
    if (n > 1) ingest.effectDuplicated++;
  }

  // Deliveries: the sink saw each key once, and exactly the keys Pier marked delivered.
  const rows = await k.selectFrom("Delivery").select(["idempotencyKey", "status", "eventId", "attempts", "lastError"]).execute();
  const atSink = new Map<string, number>();
  for (const a of seen.arrivals) atSink.set(a.key, (atSink.get(a.key) ?? 0) + 1);
  const statuses: Record<string, number> = {};
  for (const r of rows) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  const delivered = new Set(rows.filter((r) => r.status === "delivered").map((r) => r.idempotencyKey));
  const attemptsOf = new Map(rows.map((r) => [r.idempotencyKey, r.attempts]));
  const perEvent = new Map<string, number>();
  for (const r of rows) perEvent.set(r.eventId, (perEvent.get(r.eventId) ?? 0) + 1);
  const deliveries = {
    rows: rows.length,
    statuses,
    sinkRequests: seen.arrivals.length,
    /**
     * Keys the sink received more than once. The sink is an idempotent receiver (it applies a key once, as the
     * Idempotency-Key header asks), so these are not duplicated effects: a worker SIGKILLed after its request left
     * cannot know it arrived, and the retry after SENDING_LEASE_MS sends the same key again.
     */
    sentMoreThanOnce: [...atSink.values()].filter((n) => n > 1).length,
    /**
     * A key received more often than Pier claimed its row: a duplicate send that was not a crash retry (a bug; each
     * claim is one attempt, and only a claim sends).
     */
    sentMoreThanClaimed: [...atSink.entries()].filter(([key, n]) => n > 1 && n > (attemptsOf.get(key) ?? 0)).length,
    /** Up to 5 keys the sink saw more than once: when (ms since the first arrival of any), and the row's attempts. */
    duplicateExamples: [...atSink.entries()]
      .filter(([, n]) => n > 1)
      .slice(0, 5)
      .map(([key]) => ({
        key,
        arrivals: seen.arrivals.filter((a) => a.key === key).map((a) => a.at - seen.arrivals[0].at),
        row: rows.find((r) => r.idempotencyKey === key),
      })),
    deliveredNotAtSink: [...delivered].filter((key) => !atSink.has(key)).length,
    atSinkNotMarkedDelivered: [...atSink.keys()].filter((key) => !delivered.has(key)).length,
    notFinal: rows.filter((r) => !["delivered", "suppressed", "merged"].includes(r.status)).length,
    /** Notification events the driver emitted without `fanout` deliveries each. */
    eventsShort: [...seen.emitted].filter((id) => (perEvent.get(id) ?? 0) !== seen.fanout).length,
  };

  // Requests: each in one state; none left in approved/queued/deploying; at most one terminal transition each.
  const requests = await k
    .selectFrom("DeploymentRequest")
    .select(["status", (eb) => eb.fn.countAll<string>().as("n")])
    .groupBy("status")
    .execute();
  const requestStatuses = Object.fromEntries(requests.map((r) => [r.status, Number(r.n)]));
  const created = [...seen.createdRequests];
  const createdRows = created.length ? await k.selectFrom("DeploymentRequest").select(["id", "status"]).where("id", "in", created).execute() : [];
  const terminalTwice = await k
    .selectFrom("AuditEvent")
    .select(["subjectId", (eb) => eb.fn.countAll<string>().as("n")])
    .where("subjectType", "=", "deployment_request")
    .where(
      "action",
      "in",
      TERMINAL.filter((s) => s !== "rolled_back").map((s) => `deployment.${s}`),
    )
    .groupBy("subjectId")
    .having((eb) => eb(eb.fn.countAll(), ">", 1))
    .execute();
  const requestsCheck = {
    statuses: requestStatuses,
    createdByDriver: created.length,
    createdMissing: created.length - createdRows.length,
    stuck: (requestStatuses.approved ?? 0) + (requestStatuses.queued ?? 0) + (requestStatuses.deploying ?? 0),
    terminal: TERMINAL.reduce((n, s) => n + (requestStatuses[s] ?? 0), 0),
    awaitingPeople: (requestStatuses.pending_approval ?? 0) + (requestStatuses.draft ?? 0),
    moreThanOneTerminalTransition: terminalTwice.length,
  };

  const outboxUnprocessed = Number(
    (
      await k
        .selectFrom("OutboxEvent")
        .select((eb) => eb.fn.countAll<string>().as("n"))
        .where("processedAt", "is", null)
        .executeTakeFirstOrThrow()
    ).n,
  );
  const audit = await verifyAuditChain(db);

  const ok =
    ingest.missing === 0 &&
    Object.keys(ingest.notProcessed).length === 0 &&
    ingest.effectMissing === 0 &&
    ingest.effectDuplicated === 0 &&
    deliveries.sentMoreThanClaimed === 0 &&
    deliveries.deliveredNotAtSink === 0 &&
    deliveries.atSinkNotMarkedDelivered === 0 &&
    deliveries.notFinal === 0 &&
    deliveries.eventsShort === 0 &&
    requestsCheck.createdMissing === 0 &&
    requestsCheck.stuck === 0 &&
    requestsCheck.moreThanOneTerminalTransition === 0 &&
    outboxUnprocessed === 0 &&
    audit.ok;
  return {
    ok,
    ingest,
    deliveries,
    requests: requestsCheck,
    outboxUnprocessed,
    audit: audit.ok
      ? { ok: true, checked: audit.checked }
      : { ok: false, checked: audit.checked, brokenAtSeq: String(audit.brokenAtSeq), problem: audit.problem, detail: audit.detail, record: audit.record },
  };
}
