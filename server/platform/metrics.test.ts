// Who may read the Prometheus metrics: the bearer token on /api/metrics, or the separate listener; nobody otherwise.
import { afterEach, describe, expect, it } from "vitest";
import { GET as metricsRoute } from "@/app/api/metrics/route";
import { resetEnvForTests } from "../env";
import { startMetricsServer } from "./metrics";
import { closeQueues } from "./queues";

const TOKEN = "scrape-token-0123456789abcdef";
const get = (headers: Record<string, string> = {}) => metricsRoute(new Request("http://pier.test/api/metrics", { headers }));

afterEach(async () => {
  delete process.env.PIER_METRICS_TOKEN;
  resetEnvForTests();
  await closeQueues();
});

describe("GET /api/metrics", () => {
  it("is not served on the web port when PIER_METRICS_TOKEN is unset", async () => {
    const res = await get({ authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain("pier_");
  });

  it("requires the bearer token when it is set", async () => {
    process.env.PIER_METRICS_TOKEN = TOKEN;
    resetEnvForTests();
    for (const headers of [
      {} as Record<string, string>,
      { authorization: "Bearer wrong-token-0123456789abcdef" },
      { authorization: `Basic ${TOKEN}` },
      { authorization: `Bearer ${TOKEN}x` },
    ]) {
      const res = await get(headers);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toContain("Bearer");
      expect(await res.text()).not.toContain("pier_");
    }
    const ok = await get({ authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("pier_process_cpu_seconds_total");
  });

  it("refuses a too-short token at start-up", async () => {
    process.env.PIER_METRICS_TOKEN = "short";
    resetEnvForTests();
    await expect(get()).rejects.toThrow(/PIER_METRICS_TOKEN must be at least 16 characters/);
  });
});

describe("separate metrics listener", () => {
  it("serves GET /metrics on its own port, with the token when one is set", async () => {
    const open = await startMetricsServer({ port: 0, host: "127.0.0.1" });
    const guarded = await startMetricsServer({ port: 0, host: "127.0.0.1", token: TOKEN });
    const url = (s: typeof open, path = "/metrics") => `http://127.0.0.1:${(s.address() as { port: number }).port}${path}`;
    try {
      const res = await fetch(url(open));
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/plain");
      expect(await res.text()).toMatch(/pier_queue_jobs\{queue="pier-events",state="waiting"\} \d+/);
      expect((await fetch(url(open, "/other"))).status).toBe(404);
      expect((await fetch(url(guarded))).status).toBe(401);
      expect((await fetch(url(guarded), { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    } finally {
      await Promise.all([open, guarded].map((s) => new Promise((r) => (s.closeAllConnections(), s.close(r)))));
    }
  });
});
