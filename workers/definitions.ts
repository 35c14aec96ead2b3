// Which queues the worker process consumes and what it runs for each. Handlers stay thin: they call
// server/<domain> logic. A domain adds its queue here (and, for outbox events, a subscriber in server/events).
import type { Job } from "bullmq";
import type { Db } from "../server/db";
import { processOutboxJob } from "../server/events/fanout";
import type { OutboxJobData } from "../server/outbox/outbox";
import { QUEUES } from "../server/platform/queues";
import "../server/events/subscriptions";

export type WorkerDefinition = {
  queue: string;
  concurrency?: number;
  handle: (db: Db, job: Job) => Promise<unknown>;
  /** Optional background loop (reconcilers, schedulers); returns its stop function. */
  start?: (db: Db) => Promise<() => Promise<void>> | (() => Promise<void>);
};

export const WORKER_DEFINITIONS: WorkerDefinition[] = [
  {
    queue: QUEUES.events,
    concurrency: 8,
    handle: (db, job) => processOutboxJob(db, job.data as OutboxJobData),
  },
];
