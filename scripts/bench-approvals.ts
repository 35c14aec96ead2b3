// `npm run bench:approvals`: 50 concurrent approvers reading their inbox and approving/rejecting over HTTP through the
// real tRPC route of one web process, each signed in (scripts/bench-approvals-http.ts; BENCH_DIRECT=1: through the
// tRPC caller in this process instead, which skips the session, the HTTP exchange and the answer's serialisation),
// against a scratch database (created, migrated, dropped).
// 2,000 pending prod requests (2 approvals each) and 5,000 finished ones for the failure counts. Two measured
// phases after a warm-up: "paced" (each user acts about once a second: the goal, p95 < 100 ms on a 2-core
// machine) and "closed loop" (no think time: capacity, where latency is queueing). Prints p50/p95 per call and the
// CPU per call. Lost races (CONFLICT) are expected and counted, not errors.
import { Client } from "pg";
import { scratchDatabase } from "./bench-support";
import { TRPCError } from "@trpc/server";
import { closeDb, createDb } from "../server/db";
import { createCaller } from "../server/root";
import { defaultPolicy } from "../server/deployments/approval-policy";
import { serializeAnswer } from "../server/platform/wire-format";
import { startWeb, TrpcHttpError, type WebProcess } from "./bench-approvals-http";
import { cpuMeter, postgresBackends, processGroupsMeter } from "./bench-cpu";

const USERS = Number(process.env.BENCH_USERS ?? 50);
const WARMUP_ROUNDS = 3;
const PACED_ROUNDS = Number(process.env.BENCH_PACED_ROUNDS ?? 12);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const INBOX_ROUNDS = Number(process.env.BENCH_INBOX_ROUNDS ?? 10);
const POOL = Number(process.env.BENCH_POOL ?? 10);
const PENDING = Number(process.env.BENCH_PENDING ?? 2000);
const FINISHED = 5000;
const SERVICES = 60;
const DIRECT = process.env.BENCH_DIRECT === "1";

const scratch = scratchDatabase("approvals");
const scratchUrl = scratch.url;

async function generate(c: Client) {
  await c.query(
    `INSERT INTO "Environment" (id, name, rank, "isProduction") VALUES ('env-dev','dev',10,false),('env-staging','staging',20,false),('env-prod','prod',30,true)`,
  );
  await c.query(`INSERT INTO "Team" (id, slug, name, "updatedAt") SELECT 'team-' || i, 'team-' || i, 'Team ' || i, now() FROM generate_series(1, 6) i`);
  await c.query(
    `INSERT INTO "Service" (id, slug, name, "teamId", tier, "updatedAt") SELECT 'svc-' || i, 'svc-' || i, 'Service ' || i, 'team-' || (1 + i % 6), 1 + i % 3, now() FROM generate_series(1, ${SERVICES}) i`,
  );
  await c.query(
    `INSERT INTO "ServiceEnvironment" ("serviceId", "environmentId", "currentVersion") SELECT s.id, e.id, '1.0.' || (random() * 9)::int FROM "Service" s CROSS JOIN "Environment" e`,
  );
  await c.query(
    `INSERT INTO "User" (id, email, name, role, "updatedAt") SELECT 'dev-' || i, 'dev' || i || '@bench', 'Dev ' || i, 'developer', now() FROM generate_series(1, 10) i`,
  );
  await c.query(
    `INSERT INTO "User" (id, email, name, role, "updatedAt") SELECT 'approver-' || i, 'a' || i || '@bench', 'Approver ' || i, 'approver', now() FROM generate_series(1, ${USERS}) i`,
  );
  await c.query(
    `INSERT INTO "ApprovalPolicy" (id, name, "environmentId", "requiredApprovals", "approverRole", "updatedAt") VALUES ('pol-prod', 'Prod', 'env-prod', 2, 'approver', now())`,
  );
  const snapshot = JSON.stringify({ ...defaultPolicy(true), policyId: "pol-prod", name: "Prod", scope: "environment", requiredApprovals: 2 });
  await c.query(
    `INSERT INTO "DeploymentRequest" (id, "serviceId", "environmentId", version, "previousVersion", status, "requesterId", "approvalsRequired", "policySnapshot", "riskScore", "riskReasons", summary, "createdAt", "updatedAt")
     SELECT 'req-' || i, 'svc-' || (1 + i % ${SERVICES}), 'env-prod', '1.1.' || i, '1.0.0', 'pending_approval', 'dev-' || (1 + i % 10), 2, $1::jsonb, 40,
            '[{"factor":"environment","points":30,"detail":"prod is a production environment"}]'::jsonb, 'Change ' || i, now() - (i || ' seconds')::interval, now()
     FROM generate_series(1, ${PENDING}) i`,
    [snapshot],
  );
  await c.query(
    `INSERT INTO "DeploymentRequest" (id, "serviceId", "environmentId", version, status, "requesterId", "approvalsRequired", "createdAt", "finishedAt", "updatedAt")
     SELECT 'old-' || i, 'svc-' || (1 + i % ${SERVICES}), 'env-' || (ARRAY['dev','staging','prod'])[1 + i % 3], '0.9.' || i,
            (ARRAY['succeeded','succeeded','succeeded','failed','rolled_back'])[1 + i % 5]::"DeploymentStatus", 'dev-' || (1 + i % 10), 1,
            now() - (i || ' minutes')::interval, now() - (i || ' minutes')::interval, now()
     FROM generate_series(1, ${FINISHED}) i`,
  );
  await c.query("ANALYZE");
}

function pct(values: number[], p: number) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
}

async function main() {
  await scratch.create();
  const c = new Client({ connectionString: scratchUrl });
  await c.connect();
  const db = createDb(scratchUrl, POOL);
  let web: WebProcess | null = null;
  try {
    await generate(c);
    const users = Array.from({ length: USERS }, (_, i) => ({
      id: `approver-${i + 1}`,
      email: `a${i + 1}@bench`,
      name: `Approver ${i + 1}`,
      role: "approver" as const,
      teamIds: [],
    }));
    let errors = 0;
    type InboxAnswer = { items: { id: string }[] };
    type DecideInput = { requestId: string; decision: "approve" | "reject"; comment: string };
    /** One approver's two calls: over HTTP with their session, or through the in-process caller. */
    let approver: (user: (typeof users)[number]) => { inbox: () => Promise<InboxAnswer>; decide: (input: DecideInput) => Promise<unknown> };
    if (DIRECT) {
      approver = (user) => {
        const caller = createCaller({ db, user });
        return { inbox: () => caller.approvals.inbox(), decide: (input) => caller.approvals.decide(input) };
      };
    } else {
      const w = (web = await startWeb(scratchUrl, `pier-bench-approvals-${process.pid}`));
      const sessions = new Map<string, string>();
      for (let i = 0; i < users.length; i += 25) await Promise.all(users.slice(i, i + 25).map(async (u) => sessions.set(u.id, await w.signIn(u.id))));
      approver = (user) => {
        const session = sessions.get(user.id)!;
        return {
          inbox: () => w.query(session, "approvals.inbox", { list: "mine" }) as Promise<InboxAnswer>,
          decide: (input) => w.mutation(session, "approvals.decide", input),
        };
      };
    }
    /** CPU of the processes serving the calls: the web process (over HTTP) and this database's Postgres backends. */
    const servingMeter = () =>
      processGroupsMeter({
        ...(web ? { "web process": () => [web!.pid] } : {}),
        "Postgres (this database)": () => postgresBackends(scratch.name),
      });

    /** Every user reads the inbox `rounds` times, no think time: the CPU of an inbox call alone. */
    const inboxOnly = async (rounds: number) => {
      const times: number[] = [];
      const cpu = cpuMeter();
      const pg = servingMeter();
      await Promise.all(
        users.map(async (user) => {
          const calls = approver(user);
          for (let round = 0; round < rounds; round++) {
            const t = performance.now();
            await calls.inbox();
            times.push(performance.now() - t);
          }
        }),
      );
      console.log(`\ninbox only: ${USERS} users × ${rounds} reads, no think time`);
      console.log(`  approvals.inbox    n=${String(times.length).padStart(5)}  p50=${pct(times, 50).toFixed(1)} ms  p95=${pct(times, 95).toFixed(1)} ms`);
      console.log(`  ${cpu.stop().describe(times.length, "inbox call")}; ${pg.stop().describe(times.length, "inbox call")}`);
      // What an HTTP answer adds (not in the calls above: the caller skips it): serialising one answer to JSON text.
      const answer = await createCaller({ db, user: users[0] }).approvals.inbox();
      const t = performance.now();
      let bytes = 0;
      for (let i = 0; i < 100; i++) bytes = JSON.stringify(serializeAnswer(answer)).length;
      console.log(`  an answer over HTTP: ${(bytes / 1024).toFixed(1)} KB of JSON, ${((performance.now() - t) / 100).toFixed(2)} ms to serialise`);
    };

    /** Every user: read the inbox, decide one of the 20 oldest requests they may decide, `thinkMs()` between calls. */
    const phase = async (rounds: number, thinkMs: () => number) => {
      const timings: Record<string, number[]> = { "approvals.inbox": [], "approvals.decide": [] };
      const outcomes = { approved: 0, rejected: 0, conflicts: 0 };
      const timed = async <T>(name: string, fn: () => Promise<T>) => {
        const t = performance.now();
        try {
          return await fn();
        } finally {
          timings[name].push(performance.now() - t);
        }
      };
      const pause = () => new Promise((r) => setTimeout(r, thinkMs()));
      const cpu = cpuMeter();
      const pg = servingMeter();
      const started = performance.now();
      await Promise.all(
        users.map(async (user) => {
          const calls = approver(user);
          await pause(); // users do not all start in the same millisecond
          for (let round = 0; round < rounds; round++) {
            const inbox = await timed("approvals.inbox", () => calls.inbox());
            // Pick among the 20 oldest: approvers often collide on the same request, as on a busy morning.
            const pick = inbox.items[Math.floor(Math.random() * Math.min(20, inbox.items.length))];
            if (!pick) continue;
            await pause();
            const decision = Math.random() < 0.15 ? "reject" : "approve";
            try {
              await timed("approvals.decide", () => calls.decide({ requestId: pick.id, decision, comment: decision === "reject" ? "not now" : "" }));
              outcomes[decision === "reject" ? "rejected" : "approved"]++;
            } catch (err) {
              if ((err instanceof TRPCError || err instanceof TrpcHttpError) && err.code === "CONFLICT") outcomes.conflicts++;
              else {
                errors++;
                console.error(err);
              }
            }
            await pause();
          }
        }),
      );
      const wall = performance.now() - started;
      return { timings, outcomes, wall, used: cpu.stop(), pg: pg.stop() };
    };

    const report = (title: string, r: Awaited<ReturnType<typeof phase>>) => {
      console.log(`\n${title}`);
      for (const [name, v] of Object.entries(r.timings)) {
        console.log(
          `  ${name.padEnd(18)} n=${String(v.length).padStart(5)}  p50=${pct(v, 50).toFixed(1)} ms  p95=${pct(v, 95).toFixed(1)} ms  max=${Math.max(...v).toFixed(1)} ms`,
        );
      }
      const calls = Object.values(r.timings).reduce((n, v) => n + v.length, 0);
      console.log(`  decisions: ${r.outcomes.approved} approvals, ${r.outcomes.rejected} rejections, ${r.outcomes.conflicts} lost races (CONFLICT)`);
      console.log(
        `  throughput: ${calls} calls in ${(r.wall / 1000).toFixed(1)} s = ${((calls * 1000) / r.wall).toFixed(0)} calls/s; ${r.used.describe(calls, "call")}`,
      );
      console.log(`  ${r.pg.describe(calls, "call")} (what "elsewhere" spent on this benchmark, whatever else runs)`);
    };

    console.log(`${USERS} concurrent approvers, ${PENDING} pending + ${FINISHED} finished requests, pool of ${POOL} connections`);
    // Warm-up: connections opened, code compiled, the inbox's view loaded.
    await phase(WARMUP_ROUNDS, () => 0);
    // The goal's load: 50 people approving at once, each acting about once a second (already far busier than any
    // real approver: think times 0.5–1.5 s between reading the inbox and deciding, and before the next read).
    report(
      `paced: ${USERS} users × ${PACED_ROUNDS} rounds, 0.5–1.5 s between actions (goal: p95 < 100 ms)`,
      await phase(PACED_ROUNDS, () => 500 + Math.random() * 1000),
    );
    // Stress: no think time at all, so latency is mostly queueing (≈ users ÷ throughput): it shows capacity.
    report(`closed loop: ${USERS} users × ${ROUNDS} rounds, no think time (capacity)`, await phase(ROUNDS, () => 0));
    await inboxOnly(INBOX_ROUNDS);
    const { rows } = await c.query(`SELECT status, count(*)::int AS n FROM "DeploymentRequest" WHERE id LIKE 'req-%' GROUP BY status ORDER BY status`);
    console.log("pending pool afterwards:", rows.map((r) => `${r.status}=${r.n}`).join(", "));
    if (errors > 0) process.exitCode = 1;
  } finally {
    await web?.stop();
    await c.end();
    await closeDb(db);
    await scratch.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
