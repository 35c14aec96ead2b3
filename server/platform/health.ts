// Liveness/readiness: Postgres and Redis each answer within a short timeout, or the instance is not ready.
import IORedis from "ioredis";
import { getDb, sql, type Db } from "../db";
import { env } from "../env";

type CheckResult = { ok: boolean; latencyMs: number; error?: string };
export type Health = { status: "ok" | "degraded"; checks: { postgres: CheckResult; redis: CheckResult }; time: string };

async function timed(fn: () => Promise<unknown>, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    return { ok: false, latencyMs: Math.round(performance.now() - started), error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

async function pingRedis(url: string, timeoutMs: number) {
  const redis = new IORedis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  redis.on("error", () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } finally {
    redis.disconnect();
  }
}

export async function checkHealth(db: Db, redisUrl: string, timeoutMs = 2000): Promise<Health> {
  const [postgres, redis] = await Promise.all([
    timed(() => sql`SELECT 1`.execute(db.kysely), timeoutMs),
    timed(() => pingRedis(redisUrl, timeoutMs), timeoutMs),
  ]);
  return { status: postgres.ok && redis.ok ? "ok" : "degraded", checks: { postgres, redis }, time: new Date().toISOString() };
}

/** This instance's readiness: its own database and Redis (what /api/health reports). */
export function checkInstanceHealth(): Promise<Health> {
  return checkHealth(getDb(), env().REDIS_URL);
}
