// DORA performance levels from the published State of DevOps thresholds. The reports moved the bands between
// years (2021 and 2022 even gave several levels the same change-failure band), so Pier uses one consistent set:
//   deployment frequency  elite: on demand (≥ 1 per day) · high: ≥ 1 per week · medium: ≥ 1 per month · low: less
//   lead time (median)    elite: < 1 day · high: < 1 week · medium: < 1 month · low: ≥ 1 month
//   time to restore (med) elite: < 1 hour · high: < 1 day · medium: < 1 week · low: ≥ 1 week
//   change failure rate   elite: ≤ 15 % · high: ≤ 30 % · medium: ≤ 45 % · low: > 45 %
// Sources: Accelerate State of DevOps 2019 (frequency, lead time, restore elite/high; Four Keys uses the same),
// 2021 (medium restore band "between one day and one week", change failure 16–30 %), 2019 low change failure 46–60 %.
export type DoraLevel = "elite" | "high" | "medium" | "low";

const DAY = 86_400;

export const LEVEL_THRESHOLDS = {
  deploymentFrequency: { unit: "deployments per day", elite: 1, high: 1 / 7, medium: 1 / 30 },
  leadTime: { unit: "seconds (median)", elite: DAY, high: 7 * DAY, medium: 30 * DAY },
  timeToRestore: { unit: "seconds (median)", elite: 3600, high: DAY, medium: 7 * DAY },
  changeFailureRate: { unit: "share of deployments", elite: 0.15, high: 0.3, medium: 0.45 },
} as const;

export const LEVEL_SOURCES = [
  { title: "Accelerate State of DevOps Report 2019 (DORA)", url: "https://dora.dev/research/2019/dora-report/" },
  { title: "Accelerate State of DevOps Report 2021 (DORA)", url: "https://dora.dev/research/2021/dora-report/" },
  { title: "Google Four Keys", url: "https://github.com/dora-team/fourkeys" },
];

/** Higher is better (deployments per day). null when there were no deployments to judge. */
export function frequencyLevel(perDay: number | null): DoraLevel | null {
  if (perDay === null) return null;
  const t = LEVEL_THRESHOLDS.deploymentFrequency;
  if (perDay >= t.elite) return "elite";
  if (perDay >= t.high) return "high";
  if (perDay >= t.medium) return "medium";
  return "low";
}

/** Lower is better; `value` null (nothing measured) gives null. */
function lowerIsBetter(value: number | null, t: { elite: number; high: number; medium: number }, inclusive: boolean): DoraLevel | null {
  if (value === null || Number.isNaN(value)) return null;
  const within = (limit: number) => (inclusive ? value <= limit : value < limit);
  if (within(t.elite)) return "elite";
  if (within(t.high)) return "high";
  if (within(t.medium)) return "medium";
  return "low";
}

export const leadTimeLevel = (medianSeconds: number | null) => lowerIsBetter(medianSeconds, LEVEL_THRESHOLDS.leadTime, false);
export const restoreLevel = (medianSeconds: number | null) => lowerIsBetter(medianSeconds, LEVEL_THRESHOLDS.timeToRestore, false);
export const failureRateLevel = (rate: number | null) => lowerIsBetter(rate, LEVEL_THRESHOLDS.changeFailureRate, true);
