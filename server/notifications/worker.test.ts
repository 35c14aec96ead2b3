import { afterAll, describe, expect, it } from "vitest";
import { getDb } from "../db";
import { QUEUES } from "../platform/queues";
import { closeRateLimiter, memoryRateLimiter, redisRateLimiter, windowBudget } from "./rate-limit";
import { NOTIFICATION_WORKERS } from "./worker";

afterAll(() => closeRateLimiter());

describe("notification workers", () => {
  it("consume one pier-notify-<type> queue per channel type, all listed in QUEUES; the first runs the sweeper", async () => {
    const queues = NOTIFICATION_WORKERS.map((w) => w.queue).sort();
    expect(queues).toEqual(["discord", "email", "google_chat", "pagerduty", "slack", "teams", "webhook"].map((t) => `pier-notify-${t}`));
    for (const q of queues) expect(Object.values(QUEUES)).toContain(q);
    expect(NOTIFICATION_WORKERS.filter((w) => w.start)).toHaveLength(1);
    const stop = await NOTIFICATION_WORKERS[0].start!(getDb());
    await stop();
    // A job for a delivery that does not exist finishes without sending anything.
    const job = { data: { deliveryId: "missing" } } as Parameters<(typeof NOTIFICATION_WORKERS)[number]["handle"]>[1];
    await expect(NOTIFICATION_WORKERS[1].handle(getDb(), job)).resolves.toBe("missing");
  });

  it("rate limits per channel through Redis, shared by every worker process", async () => {
    const now = 1_700_000_000_000; // start of a 10 s window
    expect(windowBudget(6)).toBe(1);
    expect(windowBudget(120)).toBe(20);
    expect(await redisRateLimiter.take("chan-a", 6, now)).toBe(0);
    expect(await redisRateLimiter.take("chan-a", 6, now + 2000)).toBe(8000);
    expect(await redisRateLimiter.take("chan-b", 6, now + 2000)).toBe(0);
    // Takes made together go to Redis in one round trip and still count one by one, in call order, per channel.
    const together = await Promise.all([
      redisRateLimiter.take("chan-c", 12, now),
      redisRateLimiter.take("chan-d", 6, now),
      redisRateLimiter.take("chan-c", 12, now + 1000),
      redisRateLimiter.take("chan-c", 12, now + 1000),
      redisRateLimiter.take("chan-d", 6, now + 4000),
    ]);
    expect(together).toEqual([0, 0, 0, 9000, 6000]);
    expect(await redisRateLimiter.take("chan-c", 12, now + 10_000)).toBe(0); // the next window
    const mem = memoryRateLimiter();
    expect(await mem.take("c", 6, now)).toBe(0);
    expect(await mem.take("c", 6, now + 9999)).toBe(1);
    expect(await mem.take("c", 6, now + 10_000)).toBe(0);
  });
});
