"use client";
// The weekly trend charts of the DORA dashboard, drawn with Tremor 4 (themed by the tremor-* tokens in
// app/globals.css, light and dark). Weeks are bucketed in the dashboard's time zone; an empty week's rates and medians
// are gaps (null, lines not joined across them), not 0; partial first/last weeks are marked "*".
import { useRouter } from "next/navigation";
import { BarChart, LineChart, type EventProps } from "@tremor/react";
import type { WeekPoint } from "@/server/dora/metrics";

const hours = (s: number | null) => (s === null ? null : Math.round((s / 3600) * 10) / 10);

export function TrendCharts({ weeks, baseHref }: { weeks: WeekPoint[]; baseHref: string }) {
  const router = useRouter();
  const data = weeks.map((w) => ({
    week: `${w.weekStart.slice(5)}${w.partial ? "*" : ""}`,
    weekStart: w.weekStart,
    Deployments: w.deployments,
    "Failure %": w.changeFailureRate === null ? null : Math.round(w.changeFailureRate * 100),
    "Lead time (h)": hours(w.leadTimeP50),
    "Restore (h)": hours(w.restoreP50),
  }));
  // Clicking a week drills into the deployments of that week.
  const drill = (e: EventProps) => {
    const week = e && typeof e.weekStart === "string" ? e.weekStart : null;
    if (week) router.push(`${baseHref}&drill=deployments&week=${week}#drilldown`);
  };
  const common = { data, index: "week", className: "h-48", showLegend: false, yAxisWidth: 40 } as const;
  return (
    <div className="grid gap-4 lg:grid-cols-2" data-testid="dora-trend">
      <div>
        <p className="mb-1 text-xs text-gray-500 dark:text-gray-400">Deployments per week (click a bar for its deployments)</p>
        <BarChart {...common} categories={["Deployments"]} colors={["blue"]} onValueChange={drill} allowDecimals={false} />
      </div>
      <div>
        <p className="mb-1 text-xs text-gray-500 dark:text-gray-400">Change failure rate per week (%)</p>
        <LineChart {...common} categories={["Failure %"]} colors={["rose"]} connectNulls={false} onValueChange={drill} />
      </div>
      <div>
        <p className="mb-1 text-xs text-gray-500 dark:text-gray-400">Median lead time per week (hours)</p>
        <LineChart {...common} categories={["Lead time (h)"]} colors={["violet"]} connectNulls={false} />
      </div>
      <div>
        <p className="mb-1 text-xs text-gray-500 dark:text-gray-400">Median time to restore per week (hours)</p>
        <LineChart {...common} categories={["Restore (h)"]} colors={["amber"]} connectNulls={false} />
      </div>
      <p className="text-xs text-gray-500 lg:col-span-2 dark:text-gray-400">
        * partial week (the range covers only part of it). Weeks without deployments, changes or incidents leave a gap.
      </p>
    </div>
  );
}
