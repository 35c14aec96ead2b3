import { describe, expect, it } from "vitest";
import { createDb, getDb } from "../db";
import { checkHealth } from "./health";

describe("health", () => {
  it("is ok when Postgres and Redis answer", async () => {
    const h = await checkHealth(getDb(), process.env.REDIS_URL!);
    expect(h.status).toBe("ok");
    expect(h.checks.postgres.ok && h.checks.redis.ok).toBe(true);
  });

  it("is degraded, naming the failing dependency, when Redis or Postgres is unreachable", async () => {
    const h = await checkHealth(getDb(), "redis://127.0.0.1:1", 500);
    expect(h.status).toBe("degraded");
    expect(h.checks.postgres.ok).toBe(true);
    expect(h.checks.redis).toMatchObject({ ok: false });
    expect(h.checks.redis.error).toBeTruthy();

    const badDb = createDb("postgresql://postgres@127.0.0.1:1/nowhere");
    const h2 = await checkHealth(badDb, process.env.REDIS_URL!, 1000);
    expect(h2.checks.postgres.ok).toBe(false);
    expect(h2.checks.redis.ok).toBe(true);
    await badDb.$disconnect();
  });
});
