// The dashboard's range from its query string: a preset ("last N days") or a custom from/to pair of local dates,
// both read in the dashboard's time zone (default: the user's saved zone, else UTC). Pure, so it is unit-tested.
import { zonedInputToDate } from "@/app/_lib/format";

export const PRESETS = [7, 30, 90, 180, 365] as const;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export type DashboardRange = { from: Date; to: Date; days: number | null; fromDate: string | null; toDate: string | null; label: string };

const nextDay = (d: string) => new Date(Date.parse(`${d}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

/** A preset wins when chosen; else `from`/`to` are inclusive local dates; the range runs from `from` 00:00 to the day after `to` 00:00 in `timeZone`. */
export function dashboardRange(q: { days?: string; from?: string; to?: string }, timeZone: string, now = new Date()): DashboardRange {
  if (!q.days && q.from && q.to && DATE.test(q.from) && DATE.test(q.to) && q.from <= q.to) {
    const from = zonedInputToDate(`${q.from}T00:00`, timeZone);
    const to = zonedInputToDate(`${nextDay(q.to)}T00:00`, timeZone);
    if (from && to) return { from, to, days: null, fromDate: q.from, toDate: q.to, label: `${q.from} – ${q.to}` };
  }
  const days = PRESETS.find((d) => String(d) === q.days) ?? 30;
  return { from: new Date(now.getTime() - days * 86_400_000), to: now, days, fromDate: null, toDate: null, label: `the last ${days} days` };
}
