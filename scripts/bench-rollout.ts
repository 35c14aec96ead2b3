// `npm run bench:rollout`: 200 concurrent deployment requests to one environment of 20 simulator targets rolled
// out in 4 waves (5 targets each, all 5 at once), against a scratch database (created, migrated, dropped).
// Everything runs the production path in this process: requests created by the domain (no approval needed),
// outbox rows dispatched by dispatchOutbox every OUTBOX_POLL_MS (default 250 ms, as the workers) into a stand-in
// queue that runs deployments-queue jobs as one worker process does — at most its concurrency at once
// (workers/definitions.ts; events-queue jobs are only marked processed: notifications and DORA are not what is
// measured) —, the worker's step runner (steps claimed by the transaction that queues them, with room for every
// step: the runner's room is a worker setting, not orchestration) and the rollout loop every 2 s.
// Until 2 Dec 2026 the stand-in queue ran every deployments job at once: the 200 requests' starts then took all
// BENCH_POOL connections together, and the first wave's step ends waited behind them for a connection (up to
// 1.6 s), an artefact of the stand-in, not of Pier's worker (4 deployments jobs at a time).
//
// Figures:
//   overhead per target step = (finishedAt - queuedAt) - time inside the executor: dispatch (incl. the commit of
//     the transaction that queued it), claim, loading its context, the start of its finish transaction; by wave:
//     queued → claimed, and claimed → finished beyond the executor (the queueing transaction's commit, the start
//     of the executor, the wait for the end's batch and its rollout lock)
//   end-to-end beyond the simulator = request finishedAt - startedAt - waves x simulator duration
//   double deploys: steps whose executor run of the new version finished more than once (must be 0)
// Settings: BENCH_REQUESTS (200), BENCH_TARGETS (20), BENCH_WAVES (4), BENCH_STEP_MS simulator duration per
// target (1000), BENCH_POOL (20), OUTBOX_POLL_MS (250). Goal: overhead p95 < 50 ms.
import { Client } from "pg";
import { scratchDatabase } from "./bench-support";
import type { Queue } from "bullmq";
import { closeDb, createDb, transaction, type Db } from "../server/db";
import { dispatchOutbox, markOutboxProcessed, type OutboxJobData } from "../server/bus/outbox";
import { QUEUES } from "../server/platform/queues";
import { createRequest } from "../server/deployments/requests";
import { handleDeploymentJob } from "../server/deployments/worker";
import { rolloutTick } from "../server/deployments/rollouts/loop";
import { upsertPlan } from "../server/deployments/rollouts/fleet-store";
import { runQueuedStepsInProcess } from "../server/deployments/rollouts/runner";
import { workerDefinitions } from "../workers/definitions";
import { cpuMeter } from "./bench-cpu";

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200);
const TARGETS = Number(process.env.BENCH_TARGETS ?? 20);
const WAVES = Number(process.env.BENCH_WAVES ?? 4);
const STEP_MS = Number(process.env.BENCH_STEP_MS ?? 1000);
const POOL = Number(process.env.BENCH_POOL ?? 20);
const POLL_MS = Number(process.env.OUTBOX_POLL_MS ?? 250);

const scratch = scratchDatabase("rollout");
const scratchUrl = scratch.url;

async function generate(c: Client) {
  const perWave = Math.ceil(TARGETS / WAVES);
  await c.query(`INSERT INTO "Environment" (id, name, rank, "isProduction") VALUES ('env-prod', 'prod', 30, true)`);
  await c.query(`INSERT INTO "Team" (id, slug, name, "updatedAt") VALUES ('team-1', 'team-1', 'Team 1', now())`);
  await c.query(`INSERT INTO "User" (id, email, name, role, "updatedAt") VALUES ('dev-1', 'dev1@bench', 'Dev 1', 'developer', now())`);
  await c.query(`INSERT INTO "TeamMember" ("teamId", "userId") VALUES ('team-1', 'dev-1')`);
  await c.query(
    `INSERT INTO "Service" (id, slug, name, "teamId", tier, "updatedAt") SELECT 'svc-' || i, 'svc-' || i, 'Service ' || i, 'team-1', 2, now() FROM generate_series(1, ${REQUESTS}) i`,
  );
  await c.query(
    `INSERT INTO "ServiceEnvironment" ("serviceId", "environmentId", "currentVersion", "executorConfig")
     SELECT id, 'env-prod', '1.0.0', $1::jsonb FROM "Service"`,
    [JSON.stringify({ durationMs: STEP_MS, failureRate: 0 })],
  );
  await c.query(
    `INSERT INTO "ApprovalPolicy" (id, name, "environmentId", "requiredApprovals", "approverRole", "updatedAt") VALUES ('pol-prod', 'Prod', 'env-prod', 0, 'approver', now())`,
  );
  await c.query(
    `INSERT INTO "DeploymentTarget" (id, "environmentId", name, labels)
     SELECT 'tgt-' || i, 'env-prod', 'prod-' || i, jsonb_build_object('wave', 'w' || (1 + (i - 1) / ${perWave}))
     FROM generate_series(1, ${TARGETS}) i`,
  );
  await c.query("ANALYZE");
}

function pct(values: number[], p: number) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
}
const fmt = (v: number[]) => `p50=${pct(v, 50).toFixed(1)} ms  p95=${pct(v, 95).toFixed(1)} ms  max=${Math.max(...v).toFixed(1)} ms (n=${v.length})`;

/** How many deployments-queue jobs a worker process runs at once (workers/definitions.ts). */
const DEPLOYMENT_CONCURRENCY = workerDefinitions([]).find((d) => d.queue === QUEUES.deployments)?.concurrency ?? 4;

/**
 * A stand-in for BullMQ: deployments jobs run here as one worker process would take them (at most its
 * concurrency at once, in order), events are only acknowledged.
 */
function inProcessQueues(db: Db, running: Set<Promise<unknown>>) {
  const waiting: (() => Promise<unknown>)[] = [];
  let busy = 0;
  const next = () => {
    while (busy < DEPLOYMENT_CONCURRENCY && waiting.length) {
      const w = waiting.shift()!;
      busy++;
      const p = w()
        .catch((err: unknown) => console.error("job failed", err))
        .finally(() => {
          busy--;
          running.delete(p);
          next();
        });
      running.add(p);
    }
  };
  return async (name: string) =>
    ({
      // Dispatching a row again (seen before) first asks for its job's state: this queue keeps none.
      getJobState: async () => "unknown",
      remove: async () => 0,
      addBulk: async (jobs: { data: OutboxJobData | { batch: OutboxJobData[] } }[]) => {
        const rows = jobs.flatMap((j) => ("batch" in j.data ? j.data.batch : [j.data]));
        if (name === QUEUES.deployments) {
          // Taken after the dispatch transaction (which holds these rows locked) commits, as a worker would.
          waiting.push(...rows.map((row) => () => handleDeploymentJob(db, row)));
          setImmediate(next);
        } else {
          const p = new Promise((res) => setImmediate(res))
            .then(() =>
              markOutboxProcessed(
                db.kysely,
                rows.map((r) => r.outboxId),
              ),
            )
            .catch((err: unknown) => console.error("job failed", err));
          running.add(p);
          void p.finally(() => running.delete(p));
        }
        return [];
      },
    }) as unknown as Queue;
}

async function main() {
  await scratch.create();
  const c = new Client({ connectionString: scratchUrl });
  await c.connect();
  // Connections are waited for as long as a step may take: 1,000 steps run at once on BENCH_POOL connections.
  const db = createDb(scratchUrl, POOL, { connectTimeoutMs: 60_000 });
  const running = new Set<Promise<unknown>>();
  let stopFast: (() => void) | undefined;
  try {
    await generate(c);
    const waves = Array.from({ length: WAVES }, (_, i) => ({ name: `wave ${i + 1}`, match: { wave: `w${i + 1}` } }));
    const perWave = Math.ceil(TARGETS / WAVES);
    await transaction(db, (tx) =>
      upsertPlan(tx, "env-prod", { waves, maxParallel: perWave, soakSeconds: 0, onUnhealthy: "hold", onFailure: "rollback_failed", analysis: null }),
    );
    console.log(
      `${REQUESTS} requests × ${TARGETS} simulator targets in ${WAVES} waves (${perWave} at a time), ${STEP_MS} ms per target; outbox poll ${POLL_MS} ms`,
    );
    const user = { id: "dev-1", email: "dev1@bench", name: "Dev 1", role: "developer" as const, teamIds: ["team-1"] };
    const creating = performance.now();
    // Created first (20 at a time), while nothing dispatches their jobs: then all of them start at once.
    const ids: string[] = [];
    for (let i = 0; i < REQUESTS; i += 20) {
      const batch = Array.from({ length: Math.min(20, REQUESTS - i) }, (_, k) => i + k + 1);
      ids.push(
        ...(await Promise.all(
          batch.map((n) =>
            createRequest(db, user, { serviceId: `svc-${n}`, environmentId: "env-prod", version: "1.1.0", strategy: "rolling", summary: `Bench ${n}` }),
          ),
        )),
      );
    }
    console.log(`created ${ids.length} queued requests in ${(performance.now() - creating).toFixed(0)} ms`);
    stopFast = runQueuedStepsInProcess(db, REQUESTS * TARGETS);
    let dispatching = true;
    const queueFor = inProcessQueues(db, running);
    const dispatcher = (async () => {
      while (dispatching) {
        let r;
        do r = await dispatchOutbox(db, { queueFor, batchSize: 500 });
        while (r.dispatched > 0);
        await new Promise((res) => setTimeout(res, POLL_MS));
      }
    })();
    const loop = setInterval(() => void rolloutTick(db).catch((err: unknown) => console.error("rollout loop", err)), 2000);
    const cpu = cpuMeter();
    const started = performance.now();
    const deadline = Date.now() + 10 * 60_000;
    for (;;) {
      const { rows } = await c.query<{ n: string }>(`SELECT count(*) AS n FROM "DeploymentRequest" WHERE status IN ('queued','deploying')`);
      if (Number(rows[0].n) === 0 || Date.now() > deadline) break;
      await new Promise((res) => setTimeout(res, 250));
    }
    const wall = performance.now() - started;
    const used = cpu.stop();
    dispatching = false;
    clearInterval(loop);
    await dispatcher;
    await Promise.all([...running]);

    const steps = await c.query<{ overhead: number; executor: number; claim: number; deploys: number; status: string }>(
      `SELECT extract(epoch FROM ("finishedAt" - "queuedAt")) * 1000 - "executorMs" AS overhead, "executorMs" AS executor,
              extract(epoch FROM ("startedAt" - "queuedAt")) * 1000 AS claim, "deployCount" AS deploys, status
       FROM "RolloutStep"`,
    );
    const byWave = await c.query<{ wave: number; claim50: number; claim95: number; rest50: number; rest95: number }>(
      `SELECT wave, percentile_disc(0.5) WITHIN GROUP (ORDER BY c) AS claim50, percentile_disc(0.95) WITHIN GROUP (ORDER BY c) AS claim95,
              percentile_disc(0.5) WITHIN GROUP (ORDER BY r) AS rest50, percentile_disc(0.95) WITHIN GROUP (ORDER BY r) AS rest95
       FROM (SELECT wave, extract(epoch FROM ("startedAt" - "queuedAt")) * 1000 AS c,
                    extract(epoch FROM ("finishedAt" - "startedAt")) * 1000 - "executorMs" AS r FROM "RolloutStep") x GROUP BY wave ORDER BY wave`,
    );
    const requests = await c.query<{ e2e: number; status: string }>(
      `SELECT extract(epoch FROM ("finishedAt" - "startedAt")) * 1000 AS e2e, status::text FROM "DeploymentRequest"`,
    );
    const statuses = new Map<string, number>();
    for (const r of requests.rows) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    const stepStatuses = new Map<string, number>();
    for (const s of steps.rows) stepStatuses.set(s.status, (stepStatuses.get(s.status) ?? 0) + 1);
    const twice = steps.rows.filter((s) => Number(s.deploys) > 1).length;
    const never = steps.rows.filter((s) => Number(s.deploys) === 0).length;
    const overhead = steps.rows.filter((s) => s.status === "succeeded").map((s) => Number(s.overhead));
    console.log(`\nrequests: ${[...statuses].map(([k, v]) => `${v} ${k}`).join(", ")}; steps: ${[...stepStatuses].map(([k, v]) => `${v} ${k}`).join(", ")}`);
    console.log(`wall ${(wall / 1000).toFixed(1)} s; CPU of this process ${(used.ownMs / 1000).toFixed(1)} s`);
    console.log(`overhead per target step        ${fmt(overhead)}   goal: p95 < 50 ms → ${pct(overhead, 95) < 50 ? "met" : "NOT met"}`);
    console.log(`  of which queued → claimed     ${fmt(steps.rows.map((s) => Number(s.claim)))}`);
    for (const w of byWave.rows)
      console.log(
        `  wave ${w.wave + 1}: queued → claimed p50/p95 ${Number(w.claim50).toFixed(0)}/${Number(w.claim95).toFixed(0)} ms; claimed → finished beyond the executor ${Number(w.rest50).toFixed(0)}/${Number(w.rest95).toFixed(0)} ms`,
      );
    console.log(`time inside the simulator       ${fmt(steps.rows.map((s) => Number(s.executor)))}`);
    console.log(`end-to-end beyond ${WAVES} × ${STEP_MS} ms  ${fmt(requests.rows.map((r) => Number(r.e2e) - WAVES * STEP_MS))}`);
    console.log(`targets deployed twice: ${twice}; never deployed: ${never}`);
    if (twice > 0) process.exitCode = 1;
  } finally {
    stopFast?.();
    await c.end();
    await closeDb(db);
    await scratch.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
