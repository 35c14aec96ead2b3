"use client";
// The DORA key cards (Tremor 4 Card + Badge): value, level in the selected band set, the counts behind the number,
// and the comparison with the previous period. Each card links to the rows behind it.
import Link from "next/link";
import { Badge, Card } from "@tremor/react";

export type Kpi = {
  key: string;
  title: string;
  value: string;
  /** What the number is made of ("12 deployments", "3 of 20 deployments"). */
  hint: string;
  /** Further lines: the counts behind the number and which definition applied. */
  notes: string[];
  level: string | null;
  cmp: { text: string; better: boolean | null } | null;
  href: string | null;
  active: boolean;
};

const LEVEL_TREMOR = { elite: "emerald", high: "blue", medium: "amber", low: "rose" } as const;
/** Tremor's badge text (-700 on -100) is under 4.5:1 for amber (4.48, axe): one shade darker for every level. */
const LEVEL_TEXT = { elite: "text-emerald-800", high: "text-blue-800", medium: "text-amber-800", low: "text-rose-800" } as const;

export function KpiCards({ kpis, previousLabel }: { kpis: Kpi[]; previousLabel: string }) {
  return (
    <div className="grid gap-4 sm:grid-cols-2 xl:grid-cols-3">
      {kpis.map((k) => {
        const body = (
          <Card className={k.active ? "ring-2 ring-brand-500" : "hover:ring-brand-400"} decoration={k.active ? "top" : ""} decorationColor="blue">
            <div className="flex items-start justify-between gap-2">
              <p className="text-xs font-medium tracking-wide text-gray-500 uppercase dark:text-gray-400">{k.title}</p>
              {k.level ? (
                <Badge color={LEVEL_TREMOR[k.level as keyof typeof LEVEL_TREMOR]} className={LEVEL_TEXT[k.level as keyof typeof LEVEL_TEXT]}>
                  {k.level}
                </Badge>
              ) : (
                <Badge color="gray">no level</Badge>
              )}
            </div>
            <p className="mt-1 text-2xl font-semibold text-gray-900 tabular-nums dark:text-gray-100">{k.value}</p>
            <p className="mt-1 text-xs text-gray-600 dark:text-gray-300">{k.hint}</p>
            {k.notes.map((n) => (
              <p key={n} className="text-xs text-gray-500 dark:text-gray-400">
                {n}
              </p>
            ))}
            {k.cmp && (
              <p
                className={
                  k.cmp.better === null
                    ? "mt-1 text-xs text-gray-500 dark:text-gray-400"
                    : k.cmp.better
                      ? "mt-1 text-xs text-emerald-700 dark:text-emerald-400"
                      : "mt-1 text-xs text-rose-600 dark:text-rose-400"
                }
              >
                {k.cmp.text} vs {previousLabel}
              </p>
            )}
          </Card>
        );
        return k.href ? (
          <Link key={k.key} href={k.href} data-testid={`dora-${k.key}`} className="block rounded-tremor-default">
            {body}
          </Link>
        ) : (
          <div key={k.key} data-testid={`dora-${k.key}`}>
            {body}
          </div>
        );
      })}
    </div>
  );
}
