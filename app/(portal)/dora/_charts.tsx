"use client";
// The weekly trend charts of the DORA dashboard (Tremor-style charts from app/_components/charts.tsx).
import { useRouter } from "next/navigation";
import { BarChart, LineChart } from "@/app/_components/charts";
import type { WeekPoint } from "@/server/dora/metrics";

type Week = Omit<WeekPoint, "incidents">;

export function TrendCharts({ weeks, baseHref }: { weeks: Week[]; baseHref: string }) {
  const router = useRouter();
  const data = weeks.map((w) => ({
    week: w.weekStart.slice(5),
    weekStart: w.weekStart,
    Deployments: w.deployments,
    "Failure %": w.changeFailureRate === null ? 0 : Math.round(w.changeFailureRate * 100),
    "Lead time (h)": w.leadTimeP50 === null ? 0 : Math.round((w.leadTimeP50 / 3600) * 10) / 10,
    "Restore (h)": w.restoreP50 === null ? 0 : Math.round((w.restoreP50 / 3600) * 10) / 10,
  }));
  // Clicking a week drills into the deployments of that week.
  const drill = (p: { weekStart: string }) => router.push(`${baseHref}&drill=deployments&week=${p.weekStart}#drilldown`);
  return (
    <div className="grid gap-4 lg:grid-cols-2">
      <div>
        <p className="mb-1 text-xs text-gray-500 dark:text-gray-400">Deployments per week (click a bar for its deployments)</p>
        <BarChart data={data} index="week" categories={["Deployments"]} colors={["blue"]} height={200} onValueClick={drill} />
      </div>
      <div>
        <p className="mb-1 text-xs text-gray-500 dark:text-gray-400">Change failure rate per week (%)</p>
        <LineChart data={data} index="week" categories={["Failure %"]} colors={["rose"]} height={200} onValueClick={drill} />
      </div>
      <div>
        <p className="mb-1 text-xs text-gray-500 dark:text-gray-400">Median lead time per week (hours)</p>
        <LineChart data={data} index="week" categories={["Lead time (h)"]} colors={["violet"]} height={200} />
      </div>
      <div>
        <p className="mb-1 text-xs text-gray-500 dark:text-gray-400">Median time to restore per week (hours)</p>
        <LineChart data={data} index="week" categories={["Restore (h)"]} colors={["amber"]} height={200} />
      </div>
    </div>
  );
}
