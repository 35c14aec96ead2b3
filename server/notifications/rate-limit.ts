// Per-channel rate limits, shared by every worker process through Redis: a fixed 10-second window holding a sixth
// of the per-minute budget, so a burst is spread instead of spending a whole minute's budget at once.
import { env } from "../env";
import type IORedis from "ioredis";
import { producerConnection } from "../platform/queues";

export type RateLimiter = {
  /** 0 when a request may go now; otherwise milliseconds until the channel's next window. */
  take(channelId: string, perMinute: number, now: number): Promise<number>;
};

const WINDOW_MS = 10_000;

export function windowBudget(perMinute: number) {
  return Math.max(1, Math.floor((perMinute * WINDOW_MS) / 60_000));
}

let shared: { url: string; client: IORedis } | undefined;
function redis() {
  const url = env().REDIS_URL;
  if (!shared || shared.url !== url) {
    shared?.client.disconnect();
    // Offline queue on: the first command may be sent while the connection is still being set up.
    const client = producerConnection(url, { enableOfflineQueue: true });
    client.on("error", () => undefined);
    shared = { url, client };
  }
  return shared.client;
}

export function closeRateLimiter() {
  shared?.client.disconnect();
  shared = undefined;
}

export const redisRateLimiter: RateLimiter = {
  async take(channelId, perMinute, now) {
    const client = redis();
    const window = Math.floor(now / WINDOW_MS);
    const key = `${env().REDIS_PREFIX}:notify-rate:${channelId}:${window}`;
    const [[, count]] = (await client
      .multi()
      .incr(key)
      .pexpire(key, WINDOW_MS * 2)
      .exec()) as [[unknown, number]];
    return count <= windowBudget(perMinute) ? 0 : (window + 1) * WINDOW_MS - now;
  },
};

/** For tests and single-process tools. */
export function memoryRateLimiter(): RateLimiter {
  const counts = new Map<string, number>();
  return {
    async take(channelId, perMinute, now) {
      const window = Math.floor(now / WINDOW_MS);
      const key = `${channelId}:${window}`;
      const n = (counts.get(key) ?? 0) + 1;
      counts.set(key, n);
      return n <= windowBudget(perMinute) ? 0 : (window + 1) * WINDOW_MS - now;
    },
  };
}
