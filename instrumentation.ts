// Runs once when the server starts: validate configuration so a bad value fails fast with a clear message.
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { env } = await import("./server/env");
    const e = env();
    if (e.PIER_METRICS_PORT) {
      const { startMetricsServer } = await import("./server/platform/metrics");
      await startMetricsServer({ port: e.PIER_METRICS_PORT, host: e.PIER_METRICS_HOST, token: e.PIER_METRICS_TOKEN });
    }
  }
}
