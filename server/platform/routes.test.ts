// The operational route handlers, called as Next calls them (real Postgres and Redis).
import { describe, expect, it } from "vitest";
import { GET as health } from "@/app/api/health/route";
import { GET as metricsRoute } from "@/app/api/metrics/route";
import { resetEnvForTests } from "../env";
import { closeQueues } from "./queues";

describe("GET /api/health", () => {
  it("answers 200 with each check when Postgres and Redis are up", async () => {
    const res = await health(new Request("http://pier.test/api/health"));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok", checks: { postgres: { ok: true }, redis: { ok: true } } });
  });

  it("answers 503 naming Redis when Redis is unreachable", async () => {
    const saved = process.env.REDIS_URL;
    process.env.REDIS_URL = "redis://127.0.0.1:1";
    resetEnvForTests();
    try {
      const res = await health(new Request("http://pier.test/api/health"));
      expect(res.status).toBe(503);
      const body = await res.json();
      expect(body.status).toBe("degraded");
      expect(body.checks.redis.ok).toBe(false);
      expect(body.checks.postgres.ok).toBe(true);
    } finally {
      process.env.REDIS_URL = saved;
      resetEnvForTests();
      await closeQueues();
    }
  });
});

describe("GET /api/metrics", () => {
  it("exposes request counts by route and status, latency histograms and queue depths", async () => {
    await health(new Request("http://pier.test/api/health"));
    process.env.PIER_METRICS_TOKEN = "scrape-token-0123456789";
    resetEnvForTests();
    const res = await metricsRoute(new Request("http://pier.test/api/metrics", { headers: { authorization: "Bearer scrape-token-0123456789" } })).finally(
      () => {
        delete process.env.PIER_METRICS_TOKEN;
        resetEnvForTests();
      },
    );
    const text = await res.text();
    expect(res.headers.get("content-type")).toContain("text/plain");
    expect(text).toMatch(/pier_http_requests_total\{route="\/api\/health",method="GET",status="200"\} \d+/);
    expect(text).toContain("pier_http_request_duration_seconds_bucket");
    expect(text).toMatch(/pier_queue_jobs\{queue="pier-events",state="waiting"\} 0/);
    expect(text).toContain("pier_process_cpu_seconds_total");
  });
});
