// The simulator's fake metrics, so a demo can show verification passing and failing without a Prometheus: one
// value per target of the wave, from the target's (or the service's) executorConfig:
//   fakeMetrics: { "<version>": { error_rate: 0.12 }, default: { error_rate: 0.01 } }
// A version with no entry gets `default`, else these baseline values.
const BASELINE: Record<string, number> = { error_rate: 0.01, latency_p95_seconds: 0.2, availability: 0.999 };

type FakeMetrics = Record<string, Record<string, number> | undefined>;

export function simulatedMetrics(configs: readonly Record<string, unknown>[], version: string, metric: string): number[] {
  return configs.map((c) => {
    const fake = (c.fakeMetrics ?? {}) as FakeMetrics;
    return fake[version]?.[metric] ?? fake.default?.[metric] ?? BASELINE[metric] ?? 0;
  });
}
