// The worker process: every BullMQ worker plus the outbox dispatcher, in one process.
// SIGTERM/SIGINT: stop taking jobs, let in-flight jobs finish (BullMQ close() waits), then exit.
// Run with `npm run workers` (tsx, CommonJS here: no top-level await).
import "./process-name";
import { createServer, type Server } from "node:http";
import { Worker } from "bullmq";
import { getDb, disconnectDb } from "../server/db";
import { env } from "../server/env";
import { logger } from "../server/logger";
import { startOutboxDispatcher } from "../server/bus/outbox";
import { closeQueues, queuePrefix, workerConnection } from "../server/platform/queues";
import { WORKER_DEFINITIONS, type WorkerDefinition } from "./definitions";

export async function startWorkers(definitions: readonly WorkerDefinition[] = WORKER_DEFINITIONS) {
  const e = env();
  const db = getDb();
  const workers: Worker[] = [];
  for (const def of definitions) {
    const worker = new Worker(def.queue, (job) => def.handle(db, job), {
      connection: workerConnection(e.REDIS_URL),
      prefix: queuePrefix(e),
      concurrency: def.concurrency ?? 4,
    });
    worker.on("failed", (job, err) => logger.warn({ queue: def.queue, jobId: job?.id, err: err.message }, "job failed"));
    worker.on("error", (err) => logger.error({ queue: def.queue, err: err.message }, "worker error"));
    workers.push(worker);
  }
  // The dispatch leader consumes a trickle of events itself rather than queueing each one (DirectOutbox).
  const direct = definitions.find((d) => d.consumeOutbox);
  const consume = direct?.consumeOutbox;
  const dispatcher = startOutboxDispatcher(db, e.OUTBOX_POLL_MS, {
    direct: direct && consume && { queue: direct.queue, consume: (data) => consume(db, data) },
  });
  const stopHooks = await Promise.all(definitions.map((d) => d.start?.(db)));
  const health = e.PIER_WORKER_HEALTH_PORT ? serveHealth(e.PIER_WORKER_HEALTH_PORT, workers) : undefined;
  logger.info({ queues: definitions.map((d) => d.queue) }, "workers started");

  return async function stop() {
    logger.info("workers stopping: draining in-flight jobs");
    health?.close();
    await dispatcher.stop();
    await Promise.all(stopHooks.map((s) => s?.()));
    await Promise.all(workers.map((w) => w.close()));
    await closeQueues();
    await disconnectDb();
    logger.info("workers stopped");
  };
}

/** Liveness for orchestrators (and Playwright): 200 while every worker runs, 503 once any has stopped. */
function serveHealth(port: number, workers: Worker[]): Server {
  const server = createServer((_req, res) => {
    const running = workers.every((w) => w.isRunning());
    res.writeHead(running ? 200 : 503, { "content-type": "application/json" });
    res.end(JSON.stringify({ status: running ? "ok" : "stopped", workers: workers.map((w) => ({ queue: w.name, running: w.isRunning() })) }));
  });
  server.listen(port, "127.0.0.1");
  return server;
}

if (require.main === module) {
  startWorkers()
    .then((stop) => {
      let stopping = false;
      const shutdown = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, "shutdown requested");
        stop()
          .then(() => process.exit(0))
          .catch((err) => {
            logger.error({ err }, "shutdown failed");
            process.exit(1);
          });
      };
      process.on("SIGTERM", () => shutdown("SIGTERM"));
      process.on("SIGINT", () => shutdown("SIGINT"));
    })
    .catch((err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    });
}
