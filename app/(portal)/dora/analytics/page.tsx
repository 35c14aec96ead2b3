// Delivery analytics (/dora/analytics): success rate, duration, rollback rate and waits of the deployments Pier ran,
// per team, service, environment or strategy, with the capacity view (runs by weekday × hour in the chosen zone).
// Every group links to the deployments behind it. Filters are a plain GET form, like the DORA dashboard.
import Link from "next/link";
import { serverCaller } from "@/app/_lib/server-caller";
import { TimeZoneSelect } from "@/app/_components/time-zone-select";
import { FilterField, FilterSelect } from "@/app/_components/filter-field";
import { RangeFields } from "../_range-fields";
import { Button, Card, EmptyState, LinkButton, Metric, PageHeader, Select, Table, Td } from "@/app/_components/ui";
import { formatDuration, formatRate } from "../_format";
import { dashboardRange } from "../_range";
import { CapacityChart, GroupCharts, WEEKDAYS } from "./_charts";

export const dynamic = "force-dynamic";
export const metadata = { title: "Delivery analytics" };

type Search = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) || undefined;
const GROUPS = { service: "Service", team: "Team", environment: "Environment", strategy: "Strategy" } as const;
type Group = keyof typeof GROUPS;
const STRATEGIES = { rolling: "Rolling", canary: "Canary", blue_green: "Blue/green" } as const;
type Strategy = keyof typeof STRATEGIES;

export default async function DeliveryAnalyticsPage({ searchParams }: { searchParams: Promise<Search> }) {
  const sp = await searchParams;
  const teamId = one(sp.team);
  const serviceId = one(sp.service);
  const environmentId = one(sp.env);
  const strategy = (one(sp.strategy) as Strategy) in STRATEGIES ? (one(sp.strategy) as Strategy) : undefined;
  const groupBy: Group = (one(sp.group) as Group) in GROUPS ? (one(sp.group) as Group) : "service";
  const trpc = await serverCaller();
  const session = await trpc.identity.session();
  const timeZone = one(sp.tz) ?? session?.timeZone ?? "UTC";
  const range = dashboardRange({ days: one(sp.days), from: one(sp.from), to: one(sp.to) }, timeZone);
  const { from, to } = range;
  const filter = { from, to, teamId, serviceId, environmentId, strategy, timeZone };
  const [filters, analytics] = await Promise.all([trpc.dora.filters(), trpc.analytics.delivery({ ...filter, groupBy })]);
  const { totals: t, groups, capacity } = analytics;
  const services = teamId ? filters.services.filter((s) => s.teamId === teamId) : filters.services;

  const current = {
    team: teamId,
    service: serviceId,
    env: environmentId,
    strategy,
    group: groupBy,
    days: range.days ? String(range.days) : undefined,
    from: range.fromDate ?? undefined,
    to: range.toDate ?? undefined,
    tz: timeZone,
  };
  const here = (over: Partial<typeof current>) =>
    `/dora/analytics?${new URLSearchParams(Object.entries({ ...current, ...over }).filter(([, v]) => v) as [string, string][])}`;
  /** The deployments list behind a group: by service/environment there; by team/strategy, this page narrowed to it. */
  const deploymentsOf = (key: string | null, status?: string) => {
    const q = new URLSearchParams({ from: from.toISOString(), to: to.toISOString() });
    const service = key && groupBy === "service" ? key : serviceId;
    const environment = key && groupBy === "environment" ? key : environmentId;
    if (service) q.set("serviceId", service);
    if (environment) q.set("environmentId", environment);
    if (status) q.set("status", status);
    return `/deployments?${q}`;
  };
  const groupHref = (key: string) =>
    groupBy === "team"
      ? here({ team: key, service: undefined, group: "service" })
      : groupBy === "strategy"
        ? here({ strategy: key as Strategy, group: "service" })
        : deploymentsOf(key);
  const busiest = capacity.reduce((m, c) => (c.runs > (m?.runs ?? 0) ? c : m), null as (typeof capacity)[number] | null);

  return (
    <div className="space-y-6">
      <PageHeader
        title="Delivery analytics"
        description={`Deployments Pier ran that started ${range.label} (${timeZone}), by ${GROUPS[groupBy].toLowerCase()}.`}
        actions={
          <>
            <LinkButton href="/dora">DORA metrics</LinkButton>
            <LinkButton href="/admin/alerts">Alert rules</LinkButton>
          </>
        }
      />
      <form
        method="get"
        action="/dora/analytics"
        className="grid grid-cols-2 gap-3 rounded-lg border border-gray-200 p-3 sm:grid-cols-4 xl:grid-cols-5 dark:border-gray-800"
        aria-label="Filters"
      >
        <FilterSelect label="Team" name="team" value={teamId ?? ""} all="All teams" options={filters.teams.map((x) => ({ value: x.id, label: x.name }))} />
        <FilterSelect
          label="Service"
          name="service"
          value={serviceId ?? ""}
          all="All services"
          options={services.map((x) => ({ value: x.id, label: x.name }))}
        />
        <FilterSelect
          label="Environment"
          name="env"
          value={environmentId ?? ""}
          all="All environments"
          options={filters.environments.map((x) => ({ value: x.id, label: x.name }))}
        />
        <FilterField label="Strategy">
          <Select name="strategy" defaultValue={strategy ?? ""} aria-label="Strategy">
            <option value="">All strategies</option>
            {Object.entries(STRATEGIES).map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </Select>
        </FilterField>
        <FilterField label="Group by">
          <Select name="group" defaultValue={groupBy} aria-label="Group by">
            {Object.entries(GROUPS).map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </Select>
        </FilterField>
        <RangeFields range={range} />
        <FilterField label="Time zone (capacity view)">
          <TimeZoneSelect name="tz" defaultValue={timeZone} aria-label="Time zone" />
        </FilterField>
        <div className="flex items-end">
          <Button type="submit" className="w-full">
            Apply
          </Button>
        </div>
      </form>

      <div className="grid grid-cols-2 gap-4 lg:grid-cols-5" data-testid="analytics-totals">
        <Metric label="Runs" value={t.runs} hint={`${t.succeeded} succeeded · ${t.failed} failed`} href={deploymentsOf(null)} />
        <Metric label="Success rate" value={formatRate(t.successRate)} hint="succeeded / runs" />
        <Metric label="Rollback rate" value={formatRate(t.rollbackRate)} hint={`${t.rolledBack} rolled back`} href={deploymentsOf(null, "rolled_back")} />
        <Metric label="Duration p50" value={formatDuration(t.durationP50)} hint={`p95 ${formatDuration(t.durationP95)} · started → finished`} />
        <Metric
          label="Queue wait p50"
          value={formatDuration(t.queueWaitP50)}
          hint={`p95 ${formatDuration(t.queueWaitP95)} · requested → started p50 ${formatDuration(t.waitP50)}`}
        />
      </div>

      <Card title={`By ${GROUPS[groupBy].toLowerCase()}`}>
        {groups.length === 0 ? (
          <EmptyState title="No finished deployments in this range">Widen the range or clear a filter.</EmptyState>
        ) : (
          <div className="space-y-4">
            <GroupCharts
              groups={groups.slice(0, 20).map((g) => ({
                label: g.label,
                runs: g.runs,
                successPercent: g.successRate === null ? null : Math.round(g.successRate * 100),
                durationMinutes: g.durationP50 === null ? null : Math.round(g.durationP50 / 6) / 10,
                href: groupHref(g.key),
              }))}
            />
            <Table
              caption={`Delivery by ${GROUPS[groupBy].toLowerCase()}`}
              head={[GROUPS[groupBy], "Runs", "Success", "Rollback", "Duration p50 / p95", "Queue wait p50 / p95", "Requested → started p50", "Failures"]}
            >
              {groups.map((g) => (
                <tr key={g.key}>
                  <Td>
                    <Link className="text-brand-700 hover:underline dark:text-brand-100" href={groupHref(g.key)}>
                      {STRATEGIES[g.label as Strategy] ?? g.label}
                    </Link>
                  </Td>
                  <Td className="tabular-nums">{g.runs}</Td>
                  <Td className="tabular-nums">{formatRate(g.successRate)}</Td>
                  <Td className="tabular-nums">{formatRate(g.rollbackRate)}</Td>
                  <Td className="tabular-nums">
                    {formatDuration(g.durationP50)} / {formatDuration(g.durationP95)}
                  </Td>
                  <Td className="tabular-nums">
                    {formatDuration(g.queueWaitP50)} / {formatDuration(g.queueWaitP95)}
                  </Td>
                  <Td className="tabular-nums">{formatDuration(g.waitP50)}</Td>
                  <Td>
                    {g.failed + g.rolledBack > 0 && (groupBy === "service" || groupBy === "environment") ? (
                      <Link className="text-brand-700 underline dark:text-brand-100" href={deploymentsOf(g.key, "failed")}>
                        {g.failed} failed
                      </Link>
                    ) : (
                      `${g.failed} failed`
                    )}
                    {` · ${g.rolledBack} rolled back`}
                  </Td>
                </tr>
              ))}
            </Table>
          </div>
        )}
      </Card>

      <Card title="Capacity: runs by hour of day and day of week">
        <CapacityChart cells={capacity} />
        <p className="mt-2 text-xs text-gray-500 dark:text-gray-400">
          Hours in {timeZone}.
          {busiest ? ` Busiest slot: ${WEEKDAYS[busiest.dayOfWeek - 1]} ${String(busiest.hour).padStart(2, "0")}:00 (${busiest.runs} runs).` : ""}
        </p>
      </Card>

      <Card title="How these are computed">
        <ul className="list-disc space-y-1 pl-5 text-sm text-gray-600 dark:text-gray-300">
          <li>Runs: deployment requests Pier ran that started in the range and finished (succeeded, failed or rolled back); rollback runs count too.</li>
          <li>Success rate: succeeded runs / runs (a run later rolled back is not a success). Rollback rate: rolled-back runs / runs.</li>
          <li>
            Duration: finished − started. Queue wait: started − queued (after approval). Requested → started: started − requested (approvals, schedules and the
            queue).
          </li>
          <li>
            Medians and p95 are Postgres percentile_cont (interpolated). Deployments reported by other tools carry no strategy or queue times and are not
            included here.
          </li>
        </ul>
      </Card>
    </div>
  );
}
