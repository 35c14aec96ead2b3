"use client";
// Delivery analytics charts (Tremor 4 BarChart, themed like the DORA trend): runs and success rate per group, and the
// capacity view as runs per local hour of day stacked by day of week. Clicking a group's bar opens its deployments.
import { useRouter } from "next/navigation";
import { BarChart, type EventProps } from "@tremor/react";

export type GroupBar = { label: string; runs: number; successPercent: number | null; durationMinutes: number | null; href: string };
export const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] as const;

export function GroupCharts({ groups }: { groups: GroupBar[] }) {
  const router = useRouter();
  const data = groups.map((g) => ({ group: g.label, href: g.href, Runs: g.runs, "Success %": g.successPercent, "Duration p50 (min)": g.durationMinutes }));
  const open = (e: EventProps) => {
    if (e && typeof e.href === "string") router.push(e.href);
  };
  const common = { data, index: "group", className: "h-56", showLegend: false, yAxisWidth: 40, onValueChange: open } as const;
  return (
    <div className="grid gap-4 lg:grid-cols-3" data-testid="analytics-groups-chart">
      <div>
        <p className="mb-1 text-xs text-gray-500 dark:text-gray-400">Runs (click a bar for its deployments)</p>
        <BarChart {...common} categories={["Runs"]} colors={["blue"]} allowDecimals={false} />
      </div>
      <div>
        <p className="mb-1 text-xs text-gray-500 dark:text-gray-400">Success rate (%)</p>
        <BarChart {...common} categories={["Success %"]} colors={["emerald"]} maxValue={100} />
      </div>
      <div>
        <p className="mb-1 text-xs text-gray-500 dark:text-gray-400">Median duration (minutes)</p>
        <BarChart {...common} categories={["Duration p50 (min)"]} colors={["violet"]} />
      </div>
    </div>
  );
}

export function CapacityChart({ cells }: { cells: { dayOfWeek: number; hour: number; runs: number }[] }) {
  const data = Array.from({ length: 24 }, (_, hour) => {
    const row: Record<string, number | string> = { hour: `${String(hour).padStart(2, "0")}h` };
    WEEKDAYS.forEach((d, i) => (row[d] = cells.find((c) => c.hour === hour && c.dayOfWeek === i + 1)?.runs ?? 0));
    return row;
  });
  return (
    <>
      <BarChart
        data={data}
        index="hour"
        categories={[...WEEKDAYS]}
        colors={["blue", "cyan", "teal", "emerald", "violet", "amber", "rose"]}
        stack
        className="h-64"
        yAxisWidth={40}
        allowDecimals={false}
        // Tremor's legend is a role="list" of divs (axe: serious): the days are named in a real list below.
        showLegend={false}
        data-testid="analytics-capacity-chart"
      />
      <ul className="mt-2 flex flex-wrap gap-3 text-xs text-gray-600 dark:text-gray-300" aria-label="Days">
        {WEEKDAYS.map((d, i) => (
          <li key={d} className="flex items-center gap-1">
            <span aria-hidden className={`inline-block h-2.5 w-2.5 rounded-sm ${DAY_SWATCH[i]}`} /> {d}
          </li>
        ))}
      </ul>
    </>
  );
}

/** The legend swatches, in the chart's colour order (Tremor's blue … rose at 500). */
const DAY_SWATCH = ["bg-blue-500", "bg-cyan-500", "bg-teal-500", "bg-emerald-500", "bg-violet-500", "bg-amber-500", "bg-rose-500"];
