// Which queues the worker process consumes and what it runs for each. Handlers stay thin: they call
// server/<domain> logic. A domain adds its queue here (and, for outbox events, a row in server/subscriptions.ts).
import type { Job } from "bullmq";
import type { Db } from "../server/db";
import { processOutboxJob, type Subscriber } from "../server/bus/fanout";
import type { OutboxBatchJobData, OutboxJobData } from "../server/bus/outbox";
import { env } from "../server/env";
import { QUEUES } from "../server/platform/queues";
import { SUBSCRIBERS } from "../server/subscriptions";
import { NOTIFICATION_WORKERS } from "../server/notifications/worker";
import { handleDeploymentJob, startDeploymentMaintenance } from "../server/deployments/worker";
import { processIngestJob, startIngestSweeper } from "../server/ingest/ingest-worker";
import type { IngestJobData } from "../server/ingest/ingest";
import { runScheduledChainCheck, scheduleChainChecks } from "../server/audit/chain-check";
import { handleCatalogImportJob } from "../server/catalog/import-jobs";
import { startLocationRefresh } from "../server/catalog/discovery/refresh-loop";
import { startAlertEvaluation } from "../server/analytics/alert-evaluation";
import { startRiskModelTraining } from "../server/deployments/risk-model/training";

export type WorkerDefinition = {
  queue: string;
  concurrency?: number;
  handle: (db: Db, job: Job) => Promise<unknown>;
  /**
   * For a queue the outbox feeds: consumes a batch of its rows the way `handle` does a job's. The dispatching process
   * then consumes a trickle of fresh rows itself instead of queueing them (server/bus/outbox.ts, DirectOutbox).
   */
  consumeOutbox?: (db: Db, data: OutboxBatchJobData) => Promise<void>;
  /** Optional background loop (reconcilers, schedulers); returns its stop function. */
  start?: (db: Db) => Promise<() => Promise<void>> | (() => Promise<void>);
};

/** The worker process's queues; the events queue delivers to `subscribers` (the registry, or a test's list). */
export const workerDefinitions = (subscribers: readonly Subscriber[] = SUBSCRIBERS): WorkerDefinition[] => [
  {
    queue: QUEUES.events,
    // High on purpose: fan-out gathers concurrent jobs into micro-batches (server/bus/fanout.ts), one
    // transaction per subscriber per batch; bench:notify runs with the same setting.
    concurrency: 32,
    handle: (db, job) => processOutboxJob(db, job.data as OutboxJobData | OutboxBatchJobData, subscribers),
    consumeOutbox: (db, data) => processOutboxJob(db, data, subscribers),
  },
  {
    // Deployment runs (simulator runs hold a slot for their duration) + schedules/expiry/stalled-run reconciler.
    queue: QUEUES.deployments,
    concurrency: 4,
    handle: (db, job) => handleDeploymentJob(db, job.data as OutboxJobData),
    start: (db) => startDeploymentMaintenance(db),
  },
  {
    // Inbound CDEvents/GitHub/PagerDuty events → canonical DORA rows (intake batches of up to 50 events per job);
    // the sweeper re-enqueues lost jobs. An event is a transaction of a dozen statements, so a process's ingest
    // throughput is its concurrency over their round trips and commit (PIER_INGEST_CONCURRENCY, read at start).
    queue: QUEUES.ingest,
    get concurrency() {
      return env().PIER_INGEST_CONCURRENCY;
    },
    handle: (db, job) => processIngestJob(db, job.data as IngestJobData),
    start: (db) => startIngestSweeper(db),
  },
  {
    // Audit chain verification every PIER_AUDIT_VERIFY_INTERVAL_MS (a job scheduler: one job per interval across
    // worker processes; each check holds an advisory-lock lease), signing checkpoints; a break → audit.chain_broken.
    queue: QUEUES.maintenance,
    concurrency: 1,
    handle: (db) => runScheduledChainCheck(db),
    // Plus the alert rules' evaluation every 5 minutes (server/analytics: a leased loop, one run across processes)
    // and the change-risk model's retraining when it is 6 hours old (server/deployments/risk-model: leased too).
    start: async (db) => {
      const stops = [await scheduleChainChecks(), startAlertEvaluation(db), startRiskModelTraining(db)];
      return async () => void (await Promise.all(stops.map((stop) => stop())));
    },
  },
  {
    // Background catalog imports (POST /api/catalog/import?async=1): chunks of entities, one transaction each; a
    // run that dies resumes from the job's cursor. One at a time per process: each holds a parsed file in memory.
    queue: QUEUES.catalogImports,
    concurrency: 1,
    handle: (db, job) => handleCatalogImportJob(db, job.data as OutboxJobData),
    // Registered catalog locations read again every few minutes (leased loop): server/catalog/discovery/.
    start: (db) => startLocationRefresh(db),
  },
  // Notification delivery: one queue per channel type (pier-notify-<type>) + the sweeper.
  ...NOTIFICATION_WORKERS,
];

export const WORKER_DEFINITIONS: readonly WorkerDefinition[] = workerDefinitions();
