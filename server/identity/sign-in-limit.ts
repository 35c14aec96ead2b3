// Sign-in attempts are limited per account and per source address (fixed 15-minute windows, counted in Redis so
// every web process shares them; rate-limiter-flexible). If Redis does not answer, each process counts in memory.
import type IORedis from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { env } from "../env";
import { producerConnection } from "../platform/queues";

const WINDOW_SECONDS = 15 * 60;

type SignInLimit = { ok: true } | { ok: false; retryAfterSeconds: number };

type Limiters = { key: string; client: IORedis; perAccount: RateLimiterRedis; perAddress: RateLimiterRedis };
let shared: Limiters | undefined;

function limiters(): Limiters {
  const e = env();
  const key = `${e.REDIS_URL}|${e.REDIS_PREFIX}|${e.PIER_SIGNIN_LIMIT_PER_ACCOUNT}|${e.PIER_SIGNIN_LIMIT_PER_ADDRESS}`;
  if (shared?.key === key) return shared;
  shared?.client.disconnect();
  // Offline queue on: the first attempt after start-up may come while the connection is still being set up.
  const client = producerConnection(e.REDIS_URL, { enableOfflineQueue: true });
  client.on("error", () => undefined);
  const make = (name: string, points: number) =>
    new RateLimiterRedis({
      storeClient: client,
      keyPrefix: `${e.REDIS_PREFIX}:signin-${name}`,
      points,
      duration: WINDOW_SECONDS,
      insuranceLimiter: new RateLimiterMemory({ keyPrefix: `signin-${name}`, points, duration: WINDOW_SECONDS }),
    });
  shared = { key, client, perAccount: make("account", e.PIER_SIGNIN_LIMIT_PER_ACCOUNT), perAddress: make("address", e.PIER_SIGNIN_LIMIT_PER_ADDRESS) };
  return shared;
}

async function take(limiter: RateLimiterRedis, key: string): Promise<SignInLimit> {
  try {
    await limiter.consume(key);
    return { ok: true };
  } catch (res) {
    if (res instanceof RateLimiterRes) return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)) };
    throw res;
  }
}

/** Counts one sign-in attempt from `address` (when known) for `account` (when known); refused once either is over its limit. */
export async function takeSignInAttempt(input: { address?: string | null; account?: string | null }): Promise<SignInLimit> {
  const { perAccount, perAddress } = limiters();
  if (input.address) {
    const byAddress = await take(perAddress, input.address);
    if (!byAddress.ok) return byAddress;
  }
  if (input.account) return take(perAccount, input.account);
  return { ok: true };
}

/**
 * The client's address as the nearest proxy saw it: the last X-Forwarded-For entry (a client can prepend anything,
 * but not what the proxy in front of Pier appends), else X-Real-IP. Null when neither is present.
 */
export function clientAddress(headers: Headers | undefined): string | null {
  const forwarded = headers
    ?.get("x-forwarded-for")
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .at(-1);
  const address = forwarded ?? headers?.get("x-real-ip")?.trim();
  return address ? address.slice(0, 64) : null;
}

/** The message shown on the sign-in page when an attempt was refused. */
export const SIGN_IN_RATE_LIMITED_MESSAGE = `Too many sign-in attempts for this account or from this address. Wait ${WINDOW_SECONDS / 60} minutes and try again.`;

/** Closes the limiters' Redis connection (tests, tools). */
export function closeSignInLimits() {
  shared?.client.disconnect();
  shared = undefined;
}
