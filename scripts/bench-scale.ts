// `npm run bench:scale`: Pier with several web and worker processes on this machine against one Postgres and one
// Redis, under a mixed load, with one worker and one web process SIGKILLed and restarted mid-run; then checks that
// nothing was lost or done twice, and compares the CPU per operation with a 1 web + 1 worker run of the same load.
//
// Web tier: there is no `.next` build to `next start` here, so each web process is a Node http server serving the
// same route handlers (scripts/scale/web.ts). Workers: `tsx workers/index.ts`, as `npm run workers`.
// Each run gets a scratch database (created, migrated, seeded, dropped) and its own Redis key prefix.
//
// Settings (environment, or --name=value flags with the part after SCALE_ in lower case, e.g. --seconds=60):
//   SCALE_SECONDS           mixed-load phase, default 120        SCALE_WEB / SCALE_WORKERS   default 2 / 3
//   SCALE_INGEST_RATE       CDEvents requests/s (5 events each), default 20
//   SCALE_GITHUB_RATE       GitHub push webhooks/s, default 10   SCALE_REQUEST_RATE          deployment requests/s, default 2
//   SCALE_NOTIFY_RATE       notification events/s (3 deliveries each), default 50
//   SCALE_MIXED_APPROVERS   paced approvers during the mixed phase, default 20
//   SCALE_APPROVERS         paced approvers in the approvers phase, default 500; SCALE_APPROVER_SECONDS default 20
//   SCALE_BURST             notification events emitted at once (peak deliveries/s), default 3000
//   SCALE_GRACE             longest wait for the system to settle, default 180 s
//   SCALE_BASELINE          1 (default): also run 1 web + 1 worker on the same load (no kills) and compare
//   SCALE_KILLS             1 (default): SIGKILL and restart a worker and a web process in the scaled run; 0: none
import { randomBytes } from "node:crypto";
import os from "node:os";
import { scratchDatabase } from "./bench-support";
import type { ScaleResult } from "./scale/run";

for (const arg of process.argv.slice(2)) {
  const m = /^--([a-z-]+)=(.*)$/.exec(arg);
  if (m) process.env[`SCALE_${m[1].replace(/-/g, "_").toUpperCase()}`] = m[2];
}
const num = (name: string, fallback: number) => Number(process.env[`SCALE_${name}`] ?? fallback);

type Result = ScaleResult;

async function runOnScratch(label: string, web: number, workers: number, kills: boolean): Promise<Result> {
  const { runScale } = await import("./scale/run");
  const scratch = scratchDatabase("scale", { name: `pier_bench_scale_${process.pid}_${label}` });
  await scratch.create();
  try {
    return await runScale({
      databaseUrl: scratch.url,
      redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
      redisPrefix: `pier-bench-scale-${process.pid}-${label}`,
      web,
      workers,
      mixedSeconds: num("SECONDS", 120),
      mixedApprovers: num("MIXED_APPROVERS", 20),
      approvers: num("APPROVERS", 500),
      approverSeconds: num("APPROVER_SECONDS", 20),
      ingestRate: num("INGEST_RATE", 20),
      githubRate: num("GITHUB_RATE", 10),
      requestRate: num("REQUEST_RATE", 2),
      notifyRate: num("NOTIFY_RATE", 50),
      burstEvents: num("BURST", 3000),
      pendingPool: num("POOL", 3000),
      killWorker: kills,
      killWeb: kills,
      graceSeconds: num("GRACE", 180),
      log: (line) => console.log(line),
    });
  } finally {
    await scratch.drop();
  }
}

const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : "–");

/** CPU and operations over the load phases (`withSettle`: also the wait afterwards, when queued runs drain and the reconciler retries). */
function totals(r: Result, withSettle = false) {
  const phases = withSettle ? ["mixed", "approvers", "burst", "settle"] : ["mixed", "approvers", "burst"];
  const cpu = { pier: 0, web: 0, worker: 0, services: 0 };
  for (const p of phases) {
    const c = r.cpu[p];
    if (!c) continue;
    cpu.pier += c.pier;
    cpu.web += c.pierWeb;
    cpu.worker += c.pierWorker;
    cpu.services += c.services;
  }
  const ops = phases.reduce((n, p) => n + (r.ops[p] ?? 0), 0);
  return { cpu, ops, perOp: cpu.pier / ops, servicesPerOp: cpu.services / ops };
}

/**
 * One phase's CPU per operation. The mixed phase offers both runs the same work at the same pace (each completes
 * it), so its figures compare the cost of the same operations; the approvers phase is saturated in both runs, and
 * the faster run completes more of its (dearer) inbox and decide calls, which moves the all-phase average.
 */
function phaseCost(r: Result, phase: string) {
  const c = r.cpu[phase] ?? { pier: 0, pierWeb: 0, pierWorker: 0, services: 0 };
  const ops = r.ops[phase] ?? 0;
  return { ops, pierPerOp: c.pier / ops, webPerOp: c.pierWeb / ops, workerPerOp: c.pierWorker / ops, servicesPerOp: c.services / ops };
}

function report(title: string, r: Result, pctOf: (v: number[], p: number) => number) {
  console.log(`\n=== ${title}: ${r.config.web} web + ${r.config.workers} worker processes ===`);
  for (const k of r.kills) console.log(`  fault: ${k}`);
  const mixedOps = r.ops.mixed ?? 0;
  console.log(
    `  mixed phase: ${mixedOps} operations in ${f1(r.wall.mixed)} s (${f1(mixedOps / r.wall.mixed)}/s); approvers phase ${r.ops.approvers ?? 0} in ${f1(r.wall.approvers)} s; settled in ${f1(r.wall.settle)} s`,
  );
  console.log(`  decisions: ${r.decisions.approved} approvals, ${r.decisions.rejected} rejections, ${r.decisions.conflicts} lost races (CONFLICT)`);
  const t = totals(r);
  const ts = totals(r, true);
  console.log(
    `  CPU during the load (${t.ops} operations): Pier processes ${f1(t.cpu.pier / 1000)} s (web ${f1(t.cpu.web / 1000)}, workers ${f1(t.cpu.worker / 1000)}) = ${t.perOp.toFixed(2)} ms per operation; Postgres + Redis (all on this machine) ${f1(t.cpu.services / 1000)} s = ${t.servicesPerOp.toFixed(2)} ms per operation`,
  );
  console.log(`  CPU including the settle wait: Pier ${f1(ts.cpu.pier / 1000)} s = ${ts.perOp.toFixed(2)} ms per operation`);
  for (const phase of ["mixed", "approvers", "burst"]) {
    const c = phaseCost(r, phase);
    if (c.ops > 0)
      console.log(
        `    ${phase.padEnd(9)} ${String(c.ops).padStart(6)} operations: Pier ${c.pierPerOp.toFixed(2)} ms per operation (web ${c.webPerOp.toFixed(2)}, workers ${c.workerPerOp.toFixed(2)}), Postgres + Redis ${c.servicesPerOp.toFixed(2)} ms, together ${(c.pierPerOp + c.servicesPerOp).toFixed(2)} ms`,
      );
  }
  console.log("  latency per call kind (whole run):");
  for (const [kind, v] of Object.entries(r.timings).sort()) {
    console.log(`    ${kind.padEnd(40)} n=${String(v.length).padStart(6)}  p50=${f1(pctOf(v, 50)).padStart(7)} ms  p95=${f1(pctOf(v, 95)).padStart(7)} ms`);
  }
  const errs = Object.entries(r.errors);
  if (errs.length > 0) console.log(`  failed calls: ${errs.map(([k, n]) => `${k} ${n}`).join(", ")}`);
  if (r.uncertainCreates > 0) console.log(`  deployment requests with no answer (connection lost mid-call): ${r.uncertainCreates}`);
  console.log(
    `  notifications: steady event → delivered p50 ${f1(pctOf(r.notify.steadyLatencies, 50))} ms, p95 ${f1(pctOf(r.notify.steadyLatencies, 95))} ms (${r.notify.steadyLatencies.length} deliveries)`,
  );
  console.log(
    `  notifications: burst ${r.notify.burstDeliveries} deliveries in ${f1(r.notify.burstSeconds)} s (${f1(r.notify.burstDeliveries / r.notify.burstSeconds)}/s average), peak ${r.notify.peak}/s`,
  );
  if (r.approverPhase.inbox.length > 0)
    console.log(
      `  approvers phase: inbox p95 ${f1(pctOf(r.approverPhase.inbox, 95))} ms (n=${r.approverPhase.inbox.length}), decide p95 ${f1(pctOf(r.approverPhase.decide, 95))} ms (n=${r.approverPhase.decide.length})`,
    );
  const c = r.checks;
  console.log(`  checks: ${c.ok ? "ALL HOLD" : "VIOLATED"}`);
  console.log(
    `    ingestion: ${c.ingest.accepted} accepted; missing ${c.ingest.missing}; not processed ${JSON.stringify(c.ingest.notProcessed)}; effect missing ${c.ingest.effectMissing}; effect twice ${c.ingest.effectDuplicated}`,
  );
  console.log(
    `    deliveries: ${c.deliveries.rows} rows ${JSON.stringify(c.deliveries.statuses)}; sink requests ${c.deliveries.sinkRequests}; same key received twice ${c.deliveries.sentMoreThanOnce} (crash retries, applied once by the idempotent sink; more sends than claims ${c.deliveries.sentMoreThanClaimed}); delivered but not at sink ${c.deliveries.deliveredNotAtSink}; at sink but not marked delivered ${c.deliveries.atSinkNotMarkedDelivered}; not final ${c.deliveries.notFinal}; events without all their deliveries ${c.deliveries.eventsShort}`,
  );
  console.log(
    `    requests: ${JSON.stringify(c.requests.statuses)}; stuck in approved/queued/deploying ${c.requests.stuck}; more than one terminal transition ${c.requests.moreThanOneTerminalTransition}; created by the driver ${c.requests.createdByDriver} (missing ${c.requests.createdMissing})`,
  );
  for (const d of c.deliveries.duplicateExamples) console.log(`    received twice: ${JSON.stringify(d)}`);
  console.log(
    `    outbox rows unprocessed ${c.outboxUnprocessed}; audit chain ${c.audit.ok ? "verifies" : `BROKEN: ${JSON.stringify(c.audit)}`} (${c.audit.checked} records)`,
  );
  if (!c.ok) console.log(`    backlog when the grace period ended: ${JSON.stringify(r.backlogAtEnd)}`);
  for (const e of r.inboundNotFinal) console.log(`    inbound events ${e.status} (${e.n}): ${e.error ?? "no error recorded"}`);
}

async function main() {
  process.env.LOG_LEVEL = "warn";
  process.env.PIER_ENCRYPTION_KEY ??= randomBytes(32).toString("base64");
  process.env.PIER_AUDIT_CHECKPOINT_KEY ??= randomBytes(32).toString("base64");
  const { resetEnvForTests } = await import("../server/env");
  resetEnvForTests();
  const { pct } = await import("./scale/run");
  const web = num("WEB", 2);
  const workers = num("WORKERS", 3);
  console.log(`bench:scale on ${os.availableParallelism()} cores; web tier: Node http server over the route handlers (no .next build)`);
  // SCALE_KILLS=0: the scaled run without its two SIGKILLs (what the faults cost, apart from more processes).
  const kills = num("KILLS", 1) === 1;
  const scaled = await runOnScratch("scaled", web, workers, kills);
  report(kills ? "scaled run with faults" : "scaled run (no faults)", scaled, pct);
  let baseline: Result | null = null;
  if (num("BASELINE", 1) === 1) {
    baseline = await runOnScratch("baseline", 1, 1, false);
    report("baseline run (same load, no faults)", baseline, pct);
  }

  console.log("\n=== goals ===");
  if (baseline) {
    const s = totals(scaled);
    const b = totals(baseline);
    const ratio = s.perOp / b.perOp;
    const withSettle = totals(scaled, true).perOp / totals(baseline, true).perOp;
    console.log(
      `CPU per operation, ${web}+${workers} vs 1+1: ${s.perOp.toFixed(2)} vs ${b.perOp.toFixed(2)} ms = ${((ratio - 1) * 100).toFixed(1)} % (goal within 15 %) ${ratio <= 1.15 ? "MET" : "NOT MET"}`,
    );
    console.log(`  (including the settle wait: ${((withSettle - 1) * 100).toFixed(1)} %)`);
    const sm = phaseCost(scaled, "mixed");
    const bm = phaseCost(baseline, "mixed");
    const pct1 = (a: number, b: number) => `${a >= b ? "+" : ""}${((a / b - 1) * 100).toFixed(1)} %`;
    console.log(
      `  same work (mixed phase): Pier ${sm.pierPerOp.toFixed(2)} vs ${bm.pierPerOp.toFixed(2)} ms per operation (${pct1(sm.pierPerOp, bm.pierPerOp)}); with Postgres + Redis ${(sm.pierPerOp + sm.servicesPerOp).toFixed(2)} vs ${(bm.pierPerOp + bm.servicesPerOp).toFixed(2)} ms (${pct1(sm.pierPerOp + sm.servicesPerOp, bm.pierPerOp + bm.servicesPerOp)})`,
    );
  }
  const p95 = pct(scaled.notify.steadyLatencies, 95);
  console.log(`notification event → delivered p95 ${f1(p95)} ms (goal < 100 ms) ${p95 < 100 ? "MET" : "NOT MET"}`);
  console.log(`peak deliveries/s with ${workers} workers: ${scaled.notify.peak} (goal ≥ 5,000) ${scaled.notify.peak >= 5000 ? "MET" : "NOT MET"}`);
  const inbox = pct(scaled.approverPhase.inbox, 95);
  const decide = pct(scaled.approverPhase.decide, 95);
  console.log(
    `${num("APPROVERS", 500)} paced approvers: inbox p95 ${f1(inbox)} ms, decide p95 ${f1(decide)} ms (goal < 100 ms) ${inbox < 100 && decide < 100 ? "MET" : "NOT MET"}`,
  );
  const ok = scaled.checks.ok && (baseline?.checks.ok ?? true);
  console.log(`exactly-once and terminal-state checks: ${ok ? "hold" : "VIOLATED (see above)"}`);
  if (!ok) process.exitCode = 1;
}

if (process.env.SCALE_ROLE === "sink") {
  import("./scale/sink").then((m) => m.serveSink());
} else if (process.env.SCALE_ROLE === "web") {
  import("./scale/web")
    .then((m) => m.serveWeb())
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
} else {
  main()
    .then(() => process.exit(process.exitCode ?? 0))
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
