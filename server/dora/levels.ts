// DORA performance levels, versioned by the report that published the bands (selectable per view and API call):
//   "2023" (default, the current bands; Accelerate State of DevOps Report 2023, as also implemented by Apache
//          DevLake's dora_benchmarks 2023 rows, backend/plugins/dora/models/migrationscripts/20240223_add_dora_2023_benchmark.go)
//     deployment frequency  elite: on demand (≥ 1 per day) · high: ≥ 1 per week · medium: ≥ 1 per month · low: less
//     lead time (median)    elite: < 1 day · high: < 1 week · medium: < 1 month · low: ≥ 1 month
//     change failure rate   elite: ≤ 5 % · high: ≤ 10 % · medium: ≤ 15 % · low: > 15 %
//     recovery (median)     elite: < 1 hour · high: < 1 day · medium: < 1 week · low: ≥ 1 week (failed deployment
//                           recovery time; the same bands judge incident time to restore)
//   "2021" (Pier's earlier set, from the 2019 and 2021 reports; Four Keys' dashboard uses the same CFR 15 % cut)
//     deployment frequency  ≥ 1 per day · ≥ 1 per week · ≥ 1 per month     lead time  < 1 day · < 1 week · < 1 month
//     time to restore       < 1 hour · < 1 day · < 1 week                   change failure rate  ≤ 15 % · ≤ 30 % · ≤ 45 %
// The 2024 report gives cluster medians rather than bands (its medium cluster's change failure rate, 10 %, is below
// high's 20 %), so it cannot rank a single value; Pier keeps the 2023 bands as current until a report publishes new ones.
// The fifth key, deployment rework rate, has no published bands (2024 report introduced it): no level.
export type DoraLevel = "elite" | "high" | "medium" | "low";
export type BandSet = "2023" | "2021";
export const BAND_SETS = ["2023", "2021"] as const;
export const DEFAULT_BANDS: BandSet = "2023";

const DAY = 86_400;
type Limits = { elite: number; high: number; medium: number };
type Thresholds = {
  deploymentFrequency: Limits & { unit: string };
  leadTime: Limits & { unit: string };
  timeToRestore: Limits & { unit: string };
  changeFailureRate: Limits & { unit: string };
};

export const BANDS: Record<BandSet, Thresholds> = {
  "2023": {
    deploymentFrequency: { unit: "deployments per day", elite: 1, high: 1 / 7, medium: 1 / 30 },
    leadTime: { unit: "seconds (median)", elite: DAY, high: 7 * DAY, medium: 30 * DAY },
    timeToRestore: { unit: "seconds (median)", elite: 3600, high: DAY, medium: 7 * DAY },
    changeFailureRate: { unit: "share of deployments", elite: 0.05, high: 0.1, medium: 0.15 },
  },
  "2021": {
    deploymentFrequency: { unit: "deployments per day", elite: 1, high: 1 / 7, medium: 1 / 30 },
    leadTime: { unit: "seconds (median)", elite: DAY, high: 7 * DAY, medium: 30 * DAY },
    timeToRestore: { unit: "seconds (median)", elite: 3600, high: DAY, medium: 7 * DAY },
    changeFailureRate: { unit: "share of deployments", elite: 0.15, high: 0.3, medium: 0.45 },
  },
};

export const LEVEL_SOURCES = [
  { title: "Accelerate State of DevOps Report 2023 (DORA) — current bands", url: "https://dora.dev/research/2023/dora-report/" },
  {
    title: "Apache DevLake: DORA benchmarks 2021/2023",
    url: "https://github.com/apache/incubator-devlake/blob/main/backend/plugins/dora/models/migrationscripts/20240223_add_dora_2023_benchmark.go",
  },
  { title: "Accelerate State of DevOps Report 2021 (DORA)", url: "https://dora.dev/research/2021/dora-report/" },
  { title: "Accelerate State of DevOps Report 2019 (DORA)", url: "https://dora.dev/research/2019/dora-report/" },
  { title: "Google Four Keys", url: "https://github.com/dora-team/fourkeys" },
];

/** Higher is better (deployments per day). null when there were no deployments to judge. */
export function frequencyLevel(perDay: number | null, set: BandSet = DEFAULT_BANDS): DoraLevel | null {
  if (perDay === null) return null;
  const t = BANDS[set].deploymentFrequency;
  if (perDay >= t.elite) return "elite";
  if (perDay >= t.high) return "high";
  if (perDay >= t.medium) return "medium";
  return "low";
}

/** Lower is better; `value` null (nothing measured) gives null. */
function lowerIsBetter(value: number | null, t: Limits, inclusive: boolean): DoraLevel | null {
  if (value === null || Number.isNaN(value)) return null;
  const within = (limit: number) => (inclusive ? value <= limit : value < limit);
  if (within(t.elite)) return "elite";
  if (within(t.high)) return "high";
  if (within(t.medium)) return "medium";
  return "low";
}

export const leadTimeLevel = (medianSeconds: number | null, set: BandSet = DEFAULT_BANDS) => lowerIsBetter(medianSeconds, BANDS[set].leadTime, false);
export const restoreLevel = (medianSeconds: number | null, set: BandSet = DEFAULT_BANDS) => lowerIsBetter(medianSeconds, BANDS[set].timeToRestore, false);
export const failureRateLevel = (rate: number | null, set: BandSet = DEFAULT_BANDS) => lowerIsBetter(rate, BANDS[set].changeFailureRate, true);
