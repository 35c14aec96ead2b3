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
  catalogImports: "pier-catalog-imports",
  notifySlack: "pier-notify-slack",
  notifyTeams: "pier-notify-teams",
  notifyEmail: "pier-notify-email",
  notifyWebhook: "pier-notify-webhook",
  notifyDiscord: "pier-notify-discord",
  notifyGoogleChat: "pier-notify-google_chat",
  notifyPagerduty: "pier-notify-pagerduty",
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/**
 * Retries outlast an infrastructure outage: 10 attempts, the waits doubling from 1 s (1+2+…+256 s ≈ 8.5 min in
 * all), before a job counts as failed. The outbox does not rely on it: a row whose job failed or
 * vanished is dispatched again after a minute, replacing a finished job of the same id (addReplacingFinished).
 */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 10,
  backoff: { type: "exponential", delay: 1000 },
  removeOnComplete: { age: 3600, count: 10_000 },
  removeOnFail: { age: 24 * 3600 },
};

/**
 * The BullMQ key prefix. On Redis Cluster every key of a queue must live in one hash slot (BullMQ's scripts touch
 * several keys at once), so the prefix is wrapped in a hash tag: `pier` → `{pier}` (a prefix that already has a
 * `{…}` tag is used as it is). Every producer and worker must use this, not REDIS_PREFIX directly.
 */
export function queuePrefix(e: { REDIS_PREFIX: string; REDIS_CLUSTER?: boolean } = env()): string {
  const prefix = e.REDIS_PREFIX;
  if (!e.REDIS_CLUSTER || /\{[^{}]+\}/.test(prefix)) return prefix;
  return `{${prefix}}`;
}

/**
 * Adds jobs whose ids may belong to jobs that already ran: BullMQ ignores an add whose id exists, so a failed or
 * completed job of that id is removed first and the add yields a runnable job. Jobs waiting, delayed or active
 * are left alone (their add is a no-op, as it should be); their ids are returned.
 */
export async function addReplacingFinished(queue: Queue, jobs: Parameters<Queue["addBulk"]>[0]): Promise<Set<string>> {
  const live = new Set<string>();
  await Promise.all(
    jobs.map(async (j) => {
      const id = j.opts?.jobId;
      if (!id) return;
      const state = await queue.getJobState(id);
      if (state === "failed" || state === "completed") await queue.remove(id);
      else if (state !== "unknown") live.add(id);
    }),
  );
  await queue.addBulk(jobs);
  return live;
}

/**
 * A connection to REDIS_URL, or with REDIS_CLUSTER=true a cluster client seeded from it (the other nodes are
 * discovered). The cluster client is typed as IORedis: BullMQ and Pier's callers use the commands both have.
 */
function connect(url: string, options: RedisOptions, cluster = env().REDIS_CLUSTER): IORedis {
  if (!cluster) return new IORedis(url, options);
  const u = new URL(url);
  const { retryStrategy, ...redisOptions } = options;
  return new IORedis.Cluster([{ host: u.hostname, port: Number(u.port || 6379) }], {
    redisOptions: { ...redisOptions, username: u.username || undefined, password: u.password || undefined, tls: u.protocol === "rediss:" ? {} : undefined },
    clusterRetryStrategy: retryStrategy,
    enableOfflineQueue: options.enableOfflineQueue,
    lazyConnect: options.lazyConnect,
  }) as unknown as IORedis;
}

/** A connection for producers: fails fast when Redis is unreachable instead of queueing commands in memory. */
export function producerConnection(url = env().REDIS_URL, extra: RedisOptions = {}): IORedis {
  return connect(url, {
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
  return connect(url, { maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(times * 200, 2000) });
}

type QueueRegistry = { prefix: string; url: string; connection: IORedis; queues: Map<string, Queue>; ready?: Promise<void> };
const globalForQueues = globalThis as unknown as { pierQueues?: QueueRegistry };

function registry(): QueueRegistry {
  const { REDIS_URL: url } = env();
  const prefix = queuePrefix();
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
