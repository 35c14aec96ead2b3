// Per-channel rate limits, shared by every worker process through Redis: a fixed 10-second window holding a sixth
// of the per-minute budget, so a burst is spread instead of spending a whole minute's budget at once.
import { env } from "../env";
import type IORedis from "ioredis";
import { producerConnection } from "../platform/queues";
import { microBatcher } from "../bus/micro-batch";

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

type Take = { channelId: string; perMinute: number; now: number };

/**
 * The takes of one tick, one round trip: an INCRBY per channel window for all of its takes (and the key's expiry),
 * then each take gets its own place in the window's count, in call order — as if each had sent its own INCR.
 */
const takeBatch = microBatcher(async (takes: Take[]) => {
  const prefix = env().REDIS_PREFIX;
  const keyOf = (t: Take) => `${prefix}:notify-rate:${t.channelId}:${Math.floor(t.now / WINDOW_MS)}`;
  const counts = new Map<string, number>();
  for (const t of takes) counts.set(keyOf(t), (counts.get(keyOf(t)) ?? 0) + 1);
  const keys = [...counts.keys()];
  const multi = redis().multi();
  for (const key of keys) multi.incrby(key, counts.get(key)!).pexpire(key, WINDOW_MS * 2);
  const replies = (await multi.exec()) as [Error | null, number][];
  // The count each key had before this batch: its places follow on from there.
  const next = new Map<string, number>();
  keys.forEach((key, i) => {
    const [err, total] = replies[2 * i];
    if (err) throw err;
    next.set(key, total - counts.get(key)!);
  });
  return takes.map((t) => {
    const key = keyOf(t);
    const place = next.get(key)! + 1;
    next.set(key, place);
    const window = Math.floor(t.now / WINDOW_MS);
    return place <= windowBudget(t.perMinute) ? 0 : (window + 1) * WINDOW_MS - t.now;
  });
});

/** Shared by every worker process through Redis; a process's takes of one tick go in one round trip. */
export const redisRateLimiter: RateLimiter = {
  take: (channelId, perMinute, now) => takeBatch({ channelId, perMinute, now }),
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
