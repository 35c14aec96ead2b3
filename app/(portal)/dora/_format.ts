// Display helpers for DORA numbers (durations, rates, level colours), shared by the dashboard and service panel.
import type { BadgeColor } from "@/app/_components/ui";

// Durations are formatted by the portal's one formatting module.
export { formatDuration } from "@/app/_lib/format";

export const formatRate = (r: number | null | undefined) => (r === null || r === undefined ? "—" : `${Math.round(r * 100)} %`);

export const LEVEL_COLOR: Record<string, BadgeColor> = { elite: "green", high: "blue", medium: "yellow", low: "red" };

/** "+12 % vs previous" style comparison; `lowerIsBetter` flips the good/bad reading. */
export function delta(current: number | null, previous: number | null, lowerIsBetter: boolean) {
  if (current === null || previous === null || previous === 0) return null;
  const change = (current - previous) / previous;
  const better = lowerIsBetter ? change < 0 : change > 0;
  return { text: `${change > 0 ? "+" : ""}${Math.round(change * 100)} %`, better: Math.abs(change) < 0.005 ? null : better };
}
