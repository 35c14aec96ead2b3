"use client";
// Tremor-style chart components on recharts 3 (@tremor/react 3 refuses React 19; Tremor 4 beta needs its own
// theme tokens and pulls recharts 2, so Pier renders recharts directly with Tremor's API shape and look).
import {
  Area,
  AreaChart as RAreaChart,
  Bar,
  BarChart as RBarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart as RLineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";

const PALETTE: Record<string, string> = {
  blue: "#3b82f6",
  emerald: "#10b981",
  amber: "#f59e0b",
  rose: "#f43f5e",
  violet: "#8b5cf6",
  cyan: "#06b6d4",
  gray: "#6b7280",
};

export type ChartProps<T extends Record<string, unknown>> = {
  data: T[];
  index: keyof T & string;
  categories: (keyof T & string)[];
  colors?: (keyof typeof PALETTE)[];
  valueFormatter?: (v: number) => string;
  height?: number;
  showLegend?: boolean;
  /** Called with the clicked data point (drill-down). */
  onValueClick?: (point: T) => void;
};

const axisProps = { stroke: "currentColor", tick: { fontSize: 12, fill: "currentColor" }, tickLine: false, axisLine: false } as const;

function Frame({ height, children }: { height: number; children: React.ReactElement }) {
  return (
    <div className="w-full text-gray-500 dark:text-gray-400" style={{ height }}>
      <ResponsiveContainer width="100%" height="100%">
        {children}
      </ResponsiveContainer>
    </div>
  );
}

const tooltipStyle = { contentStyle: { borderRadius: 8, fontSize: 12, background: "rgba(17,24,39,0.92)", border: "none", color: "#f9fafb" } };

type Kind = "area" | "bar" | "line";

/** The one cartesian chart behind AreaChart, BarChart and LineChart: same axes, grid, tooltip and legend. */
function CartesianChart<T extends Record<string, unknown>>({ kind, stack, ...p }: ChartProps<T> & { kind: Kind; stack?: boolean }) {
  const colors = p.colors ?? ["blue", "emerald", "amber", "rose"];
  const Chart = kind === "area" ? RAreaChart : kind === "bar" ? RBarChart : RLineChart;
  const format = (v: unknown) => (p.valueFormatter ? p.valueFormatter(Number(v)) : String(v));
  return (
    <Frame height={p.height ?? 240}>
      <Chart data={p.data} onClick={(state: unknown) => clickPoint(state, p)}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} strokeOpacity={0.2} />
        <XAxis dataKey={p.index as string} {...axisProps} />
        <YAxis {...axisProps} width={48} tickFormatter={p.valueFormatter} />
        <Tooltip {...tooltipStyle} formatter={format} />
        {p.showLegend !== false && p.categories.length > 1 && <Legend />}
        {p.categories.map((c, i) => {
          const color = PALETTE[colors[i % colors.length]];
          if (kind === "area") return <Area key={c} type="monotone" dataKey={c as string} stroke={color} fill={color} fillOpacity={0.15} strokeWidth={2} />;
          if (kind === "bar") return <Bar key={c} dataKey={c as string} stackId={stack ? "s" : undefined} fill={color} radius={[3, 3, 0, 0]} />;
          return <Line key={c} type="monotone" dataKey={c as string} stroke={color} strokeWidth={2} dot={false} />;
        })}
      </Chart>
    </Frame>
  );
}

export const BarChart = <T extends Record<string, unknown>>(p: ChartProps<T> & { stack?: boolean }) => <CartesianChart kind="bar" {...p} />;
export const LineChart = <T extends Record<string, unknown>>(p: ChartProps<T>) => <CartesianChart kind="line" {...p} />;

function clickPoint<T extends Record<string, unknown>>(state: unknown, p: ChartProps<T>) {
  const idx = (state as { activeTooltipIndex?: number | string | null } | null)?.activeTooltipIndex;
  if (p.onValueClick && idx !== undefined && idx !== null) {
    const point = p.data[Number(idx)];
    if (point) p.onValueClick(point);
  }
}
