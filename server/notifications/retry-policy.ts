// When to try a failed delivery again. Exponential backoff with "equal jitter" (half fixed, half random) spreads
// retries of a vendor outage instead of stampeding; a vendor's Retry-After wins when it gives one.
export const MAX_ATTEMPTS = 6;
const BASE_MS = 2_000;
const CAP_MS = 10 * 60_000;

export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const exp = Math.min(CAP_MS, BASE_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}

/** Delay before the next attempt after `attempt` attempts failed; null when the delivery should be dead-lettered. */
export function retryDelayMs(attempt: number, retryAfterMs: number | undefined, random?: () => number): number | null {
  if (attempt >= MAX_ATTEMPTS) return null;
  if (retryAfterMs !== undefined) return Math.min(Math.max(retryAfterMs, 0), 60 * 60_000);
  return backoffMs(attempt, random);
}
