// DORA dashboard: the four keys with level, previous-period comparison, weekly trend, drill-down to the rows
// behind every number, and the definitions ("how is this computed?"). Filters are a plain GET form.
import Link from "next/link";
import { serverCaller } from "@/app/_lib/server-caller";
import { Badge, Button, Card, PageHeader, Select, cx } from "@/app/_components/ui";
import { TrendCharts } from "./_charts";
import { Drilldown, type DrillKind } from "./_drilldown";
import { LEVEL_COLOR, delta, formatDuration, formatRate } from "./_format";

export const dynamic = "force-dynamic";

type Search = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) || undefined;
const RANGES = [7, 30, 90, 180];

export const metadata = { title: "DORA metrics" };

export default async function DoraPage({ searchParams }: { searchParams: Promise<Search> }) {
  const sp = await searchParams;
  const teamId = one(sp.team);
  const serviceId = one(sp.service);
  const environment = one(sp.env);
  const days = RANGES.includes(Number(one(sp.days))) ? Number(one(sp.days)) : 30;
  const drill = one(sp.drill) as DrillKind | undefined;
  const week = one(sp.week);
  const to = new Date();
  const from = new Date(to.getTime() - days * 86_400_000);
  const trpc = await serverCaller();
  const filter = { from, to, teamId, serviceId, environment };
  const [filters, summary, trend] = await Promise.all([trpc.dora.filters(), trpc.dora.summary(filter), trpc.dora.trend(filter)]);
  const query = new URLSearchParams(
    Object.entries({ team: teamId, service: serviceId, env: environment, days: String(days) }).filter(([, v]) => v) as [string, string][],
  );
  const base = `/dora?${query.toString()}`;
  const { current: c, previous: p, levels } = summary;
  const services = teamId ? filters.services.filter((s) => s.teamId === teamId) : filters.services;

  const keys = [
    {
      key: "deploymentFrequency",
      title: "Deployment frequency",
      value: `${c.deploymentsPerWeek.toFixed(1)} / week`,
      hint: `${c.deployments} deployments`,
      cmp: delta(c.deployments, p.deployments, false),
      drill: "deployments" as const,
    },
    {
      key: "leadTime",
      title: "Lead time for changes",
      value: formatDuration(c.leadTimeP50),
      hint: `median · p90 ${formatDuration(c.leadTimeP90)} · ${c.changes} changes`,
      cmp: delta(c.leadTimeP50, p.leadTimeP50, true),
      drill: "changes" as const,
    },
    {
      key: "changeFailureRate",
      title: "Change failure rate",
      value: formatRate(c.changeFailureRate),
      hint: `${c.failures} of ${c.deployments} deployments`,
      cmp: delta(c.changeFailureRate, p.changeFailureRate, true),
      drill: "failures" as const,
    },
    {
      key: "timeToRestore",
      title: "Time to restore",
      value: formatDuration(c.restoreP50),
      hint: `median · p90 ${formatDuration(c.restoreP90)} · ${c.resolvedIncidents}/${c.incidents} resolved`,
      cmp: delta(c.restoreP50, p.restoreP50, true),
      drill: "incidents" as const,
    },
  ];

  return (
    <div className="space-y-6">
      <PageHeader
        title="DORA metrics"
        description={`The four keys for ${summary.filter.environment}, last ${days} days, compared with the ${days} days before.`}
      />
      <form
        method="get"
        action="/dora"
        className="grid grid-cols-2 gap-3 rounded-lg border border-gray-200 p-3 sm:grid-cols-5 dark:border-gray-800"
        aria-label="Filters"
      >
        <label className="text-sm">
          <span className="mb-1 block text-xs font-medium text-gray-500 dark:text-gray-400">Team</span>
          <Select name="team" defaultValue={teamId ?? ""} aria-label="Team">
            <option value="">All teams</option>
            {filters.teams.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
          </Select>
        </label>
        <label className="text-sm">
          <span className="mb-1 block text-xs font-medium text-gray-500 dark:text-gray-400">Service</span>
          <Select name="service" defaultValue={serviceId ?? ""} aria-label="Service">
            <option value="">All services</option>
            {services.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </Select>
        </label>
        <label className="text-sm">
          <span className="mb-1 block text-xs font-medium text-gray-500 dark:text-gray-400">Environment</span>
          <Select name="env" defaultValue={summary.filter.environment} aria-label="Environment">
            {filters.environments.map((e) => (
              <option key={e.id} value={e.name}>
                {e.name}
              </option>
            ))}
          </Select>
        </label>
        <label className="text-sm">
          <span className="mb-1 block text-xs font-medium text-gray-500 dark:text-gray-400">Range</span>
          <Select name="days" defaultValue={String(days)} aria-label="Range">
            {RANGES.map((d) => (
              <option key={d} value={d}>
                Last {d} days
              </option>
            ))}
          </Select>
        </label>
        <div className="flex items-end">
          <Button type="submit" className="w-full">
            Apply
          </Button>
        </div>
      </form>

      <div className="grid gap-4 sm:grid-cols-2 xl:grid-cols-4">
        {keys.map((k) => {
          const level = levels[k.key as keyof typeof levels];
          return (
            <Link
              key={k.key}
              href={`${base}&drill=${k.drill}#drilldown`}
              data-testid={`dora-${k.key}`}
              className={cx(
                "block rounded-lg border bg-white p-4 shadow-sm hover:border-brand-500 dark:bg-gray-900",
                drill === k.drill ? "border-brand-500" : "border-gray-200 dark:border-gray-800",
              )}
            >
              <div className="flex items-start justify-between gap-2">
                <p className="text-xs font-medium tracking-wide text-gray-500 uppercase dark:text-gray-400">{k.title}</p>
                {level ? <Badge color={LEVEL_COLOR[level]}>{level}</Badge> : <Badge>no data</Badge>}
              </div>
              <p className="mt-1 text-2xl font-semibold tabular-nums">{k.value}</p>
              <p className="mt-1 text-xs text-gray-500 dark:text-gray-400">{k.hint}</p>
              {k.cmp && (
                <p
                  className={cx(
                    "mt-1 text-xs",
                    k.cmp.better === null
                      ? "text-gray-500 dark:text-gray-400"
                      : k.cmp.better
                        ? "text-emerald-700 dark:text-emerald-400"
                        : "text-rose-600 dark:text-rose-400",
                  )}
                >
                  {k.cmp.text} vs previous {days} days
                </p>
              )}
            </Link>
          );
        })}
      </div>

      <Card title="Weekly trend">
        <TrendCharts weeks={trend} baseHref={base} />
      </Card>

      {drill && <Drilldown kind={drill} filter={filter} week={week} closeHref={base} />}

      <Card title="How is this computed?" id="definitions">
        <div className="space-y-2 text-sm text-gray-700 dark:text-gray-300">
          <p>
            <strong>Deployment frequency</strong>: successful deployments to the environment in the range (deployments later rolled back count; rollback
            deployments themselves and failed rollouts do not), per week. Level by deployments per day: elite ≥ 1/day (on demand), high ≥ 1/week, medium ≥
            1/month, low less.
          </p>
          <p>
            <strong>Lead time for changes</strong>: for each change (commit or merged PR) shipped by a deployment in the range, deployment time − commit time;
            we show the median and p90 (Postgres percentile_cont). A change ships with the first successful deployment of its service after its merge. Level by
            median: elite &lt; 1 day, high &lt; 1 week, medium &lt; 1 month, low ≥ 1 month.
          </p>
          <p>
            <strong>Change failure rate</strong>: of those deployments, the share that were rolled back or have an incident linked to them (the incident names
            the version, or it was detected within 7 days after the service&apos;s last deployment). Level: elite ≤ 15 %, high ≤ 30 %, medium ≤ 45 %, low above.
          </p>
          <p>
            <strong>Time to restore</strong>: incidents detected in the range and resolved: resolved − detected, median and p90. Incidents without an
            environment count as production. Level by median: elite &lt; 1 hour, high &lt; 1 day, medium &lt; 1 week, low ≥ 1 week.
          </p>
          <p className="text-xs text-gray-500 dark:text-gray-400">
            Thresholds: Accelerate State of DevOps reports 2019 and 2021 (DORA; the bands Google&apos;s Four Keys uses), see{" "}
            <a className="underline" href="https://dora.dev/research/">
              dora.dev/research
            </a>
            . Weeks start on Monday (UTC). The previous period is the same length, immediately before.
          </p>
        </div>
      </Card>
    </div>
  );
}
