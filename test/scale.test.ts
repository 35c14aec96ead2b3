// bench:scale in small: 1 web + 2 worker processes against this file's database and Redis prefix, a short mixed load
// (ingestion over HTTP, GitHub webhooks, deployment requests and approvals through tRPC, simulator runs,
// notification deliveries to a local sink), one worker SIGKILLed early and restarted. Then: every accepted event
// processed once with its one effect, every delivery sent once (by Idempotency-Key at the sink) and marked
// delivered, no request left in approved/queued/deploying, at most one terminal transition per request, the outbox
// drained, the audit chain intact. Recovery of the killed worker's jobs waits for BullMQ's stalled-job check (30 s
// lock) and a delivery it left "sending" for the sweeper's 60 s lease, so this takes up to two minutes; the
// reconciler's 90 s wait for a run a dead worker held is shortened to 10 s (its passes run from here). Every wait is
// bounded; afterAll kills the process groups.
import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { resetEnvForTests } from "../server/env";
import { runScale, type Cluster } from "../scripts/scale/run";

describe("several web and worker processes under faults", () => {
  let cluster: Cluster | undefined;

  // runScale stops its processes itself; if the test timed out, this SIGKILLs every process group still alive.
  afterAll(() => cluster?.killAll());

  it("loses nothing and does nothing twice when a worker is SIGKILLed mid-run", async () => {
    process.env.PIER_ENCRYPTION_KEY = randomBytes(32).toString("base64");
    process.env.PIER_AUDIT_CHECKPOINT_KEY = randomBytes(32).toString("base64");
    resetEnvForTests();
    const lines: string[] = [];
    const result = await runScale({
      databaseUrl: process.env.DATABASE_URL!,
      redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
      redisPrefix: `${process.env.REDIS_PREFIX}-scale`,
      web: 1,
      workers: 2,
      warmSeconds: 2,
      mixedSeconds: 20,
      killWorkerAt: 0.2,
      mixedApprovers: 5,
      approvers: 0,
      approverSeconds: 0,
      ingestRate: 4,
      githubRate: 2,
      requestRate: 1,
      notifyRate: 10,
      burstEvents: 0,
      pendingPool: 40,
      killWorker: true,
      killWeb: false,
      graceSeconds: 100,
      reconcilerStaleMs: 10_000,
      onCluster: (c) => (cluster = c),
      log: (line) => lines.push(line),
    });
    const c = result.checks;
    const context = JSON.stringify({ checks: c, kills: result.kills, errors: result.errors, backlog: result.backlogAtEnd, log: lines.slice(-10) }, null, 1);
    expect(result.kills, context).toHaveLength(2); // killed, restarted
    expect(c.ingest.accepted, context).toBeGreaterThan(50);
    expect(c.ingest, context).toMatchObject({ missing: 0, notProcessed: {}, effectMissing: 0, effectDuplicated: 0 });
    expect(c.deliveries.sinkRequests, context).toBeGreaterThan(100);
    // A delivery in flight at the kill may reach the sink twice (same Idempotency-Key, applied once there); never more
    // often than its row was claimed.
    expect(c.deliveries.sentMoreThanOnce, context).toBeLessThanOrEqual(c.deliveries.sinkRequests / 50);
    expect(c.deliveries, context).toMatchObject({ sentMoreThanClaimed: 0, deliveredNotAtSink: 0, atSinkNotMarkedDelivered: 0, notFinal: 0, eventsShort: 0 });
    expect(c.requests.createdByDriver, context).toBeGreaterThan(5);
    expect(c.requests, context).toMatchObject({ createdMissing: 0, stuck: 0, moreThanOneTerminalTransition: 0 });
    expect(c.requests.terminal, context).toBeGreaterThan(0);
    expect(c.outboxUnprocessed, context).toBe(0);
    expect(c.audit.ok, context).toBe(true);
    expect(c.ok).toBe(true);
  }, 240_000);
});
