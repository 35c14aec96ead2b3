// BullMQ queues, created lazily (never at import time, so `next build` does not touch Redis).
import { Queue, type JobsOptions } from "bullmq";
import IORedis, { type RedisOptions } from "ioredis";
import { env } from "../env";

/** Every queue Pier uses, in one place (metrics report their depth, workers consume them). */
export const QUEUES = {
  events: "pier-events",
  deployments: "pier-deployments",
  ingest: "pier-ingest",
  notifications: "pier-notifications",
  maintenance: "pier-maintenance",
  notifySlack: "pier-notify-slack",
  notifyTeams: "pier-notify-teams",
  notifyEmail: "pier-notify-email",
  notifyWebhook: "pier-notify-webhook",
  notifyDiscord: "pier-notify-discord",
  notifyGoogleChat: "pier-notify-google_chat",
  notifyPagerduty: "pier-notify-pagerduty",
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 5,
  backoff: { type: "exponential", delay: 1000 },
  removeOnComplete: { age: 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** A connection for producers: fails fast when Redis is unreachable instead of queueing commands in memory. */
export function producerConnection(url = env().REDIS_URL, extra: RedisOptions = {}): IORedis {
  return new IORedis(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    lazyConnect: false,
    ...extra,
  });
}

/** A connection for workers: BullMQ requires maxRetriesPerRequest null for blocking commands. */
export function workerConnection(url = env().REDIS_URL): IORedis {
  return new IORedis(url, { maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(times * 200, 2000) });
}

type QueueRegistry = { prefix: string; url: string; connection: IORedis; queues: Map<string, Queue>; ready?: Promise<void> };
const globalForQueues = globalThis as unknown as { pierQueues?: QueueRegistry };

function registry(): QueueRegistry {
  const { REDIS_PREFIX: prefix, REDIS_URL: url } = env();
  const current = globalForQueues.pierQueues;
  if (current && current.prefix === prefix && current.url === url) return current;
  if (current) void closeQueues();
  const created: QueueRegistry = { prefix, url, connection: producerConnection(url), queues: new Map() };
  // A producer connection that cannot reach Redis must not crash the process: callers see the failed command.
  created.connection.on("error", () => undefined);
  globalForQueues.pierQueues = created;
  return created;
}

export function getQueue(name: QueueName | string): Queue {
  const reg = registry();
  let queue = reg.queues.get(name);
  if (!queue) {
    queue = new Queue(name, {
      connection: reg.connection,
      prefix: reg.prefix,
      defaultJobOptions: DEFAULT_JOB_OPTIONS,
      skipWaitingForReady: true,
    });
    queue.on("error", () => undefined);
    reg.queues.set(name, queue);
  }
  return queue;
}

/**
 * The queue once its connection is ready, or an error within `timeoutMs`. BullMQ checks the server version when a
 * Queue is built; built on a dead connection it stays broken, so producers that must survive outages use this
 * and call closeQueues() after a failure.
 */
export async function getReadyQueue(name: QueueName | string, timeoutMs = 2000): Promise<Queue> {
  const reg = registry();
  const { connection } = reg;
  if (connection.status !== "ready") {
    // One wait shared by every caller, so a burst of producers adds one listener, not one each.
    reg.ready ??= new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        connection.off("ready", onReady);
        reg.ready = undefined;
        reject(new Error(`Redis is not reachable (${connection.status})`));
      }, timeoutMs);
      const onReady = () => {
        clearTimeout(timer);
        reg.ready = undefined;
        resolve();
      };
      connection.once("ready", onReady);
    });
    await reg.ready;
  }
  return getQueue(name);
}

export async function closeQueues() {
  const reg = globalForQueues.pierQueues;
  globalForQueues.pierQueues = undefined;
  if (!reg) return;
  await Promise.allSettled([...reg.queues.values()].map((q) => q.close()));
  reg.connection.disconnect();
}

/** Job counts per queue, for metrics and the admin queue page. Unreachable Redis → undefined. */
export async function queueDepths(): Promise<Record<string, Record<string, number>> | undefined> {
  try {
    const entries = await Promise.all(
      Object.values(QUEUES).map(async (name) => [
        name,
        await (await getReadyQueue(name, 1000)).getJobCounts("waiting", "active", "delayed", "failed", "completed"),
      ]),
    );
    return Object.fromEntries(entries);
  } catch {
    return undefined;
  }
}
