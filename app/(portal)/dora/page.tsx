// DORA dashboard: the keys with level (selectable band set), previous-period comparison, weekly trend, drill-down to
// the rows behind every number, the counts and definition behind each number, and the definitions ("how is this
// computed?") in the chosen mode (Pier, Four Keys, DevLake), and all three modes side by side ("compare definitions").
// Filters are a plain GET form.
import { serverCaller } from "@/app/_lib/server-caller";
import { TimeZoneSelect } from "@/app/_components/time-zone-select";
import { FilterField, FilterSelect } from "@/app/_components/filter-field";
import { RangeFields } from "./_range-fields";
import { Button, Card, LinkButton, PageHeader, Select } from "@/app/_components/ui";
import { TrendCharts } from "./_charts";
import { Drilldown, type DrillKind } from "./_drilldown";
import { delta, formatDuration, formatRate } from "./_format";
import { KpiCards, type Kpi } from "./_kpi-cards";
import { dashboardRange } from "./_range";
import { Definitions } from "./_definitions";
import { CompareDefinitions } from "./_compare";

export const dynamic = "force-dynamic";

type Search = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) || undefined;
const MODES = { pier: "Pier", fourkeys: "Four Keys", devlake: "DevLake" } as const;
type Mode = keyof typeof MODES;
const share = (n: number, total: number) => (total === 0 ? "—" : `${Math.round((n / total) * 100)} %`);

export const metadata = { title: "DORA metrics" };

export default async function DoraPage({ searchParams }: { searchParams: Promise<Search> }) {
  const sp = await searchParams;
  const teamId = one(sp.team);
  const serviceId = one(sp.service);
  const environment = one(sp.env);
  const target = one(sp.target);
  const mode: Mode = (one(sp.mode) as Mode) in MODES ? (one(sp.mode) as Mode) : "pier";
  const bands = one(sp.bands) === "2021" ? "2021" : "2023";
  const drill = one(sp.drill) as DrillKind | undefined;
  const week = one(sp.week);
  // The drill-down's page (1-based); anything else (absent, "x", "0") is the first page.
  const drillPage = Math.min(Math.max(Math.trunc(Number(one(sp.page))) || 1, 1), 10_000);
  const trpc = await serverCaller();
  const session = await trpc.identity.session();
  const timeZone = one(sp.tz) ?? session?.timeZone ?? "UTC";
  const range = dashboardRange({ days: one(sp.days), from: one(sp.from), to: one(sp.to) }, timeZone);
  const { from, to } = range;
  const filter = { from, to, teamId, serviceId, environment, target, timeZone };
  // Target/region scopes exist in Pier's definitions only, so the definitions comparison is left out for them.
  const [filters, summary, trend, comparison] = await Promise.all([
    trpc.dora.filters(),
    trpc.dora.summary({ ...filter, mode, bands }),
    trpc.dora.trend(filter),
    target ? Promise.resolve(null) : trpc.dora.compare({ from, to, teamId, serviceId, environment, timeZone, bands }),
  ]);
  const query = new URLSearchParams(
    Object.entries({
      team: teamId,
      service: serviceId,
      env: environment,
      target,
      days: range.days ? String(range.days) : undefined,
      from: range.fromDate ?? undefined,
      to: range.toDate ?? undefined,
      tz: timeZone,
      mode,
      bands,
    }).filter(([, v]) => v) as [string, string][],
  );
  const base = `/dora?${query.toString()}`;
  const { current: c, previous: p, levels, details } = summary;
  const services = teamId ? filters.services.filter((s) => s.teamId === teamId) : filters.services;
  const fleet = filters.targets.filter((t) => t.environment === summary.filter.environment);
  const regions = [...new Set(fleet.map((t) => t.region).filter((r): r is string => !!r))];
  // Drill-down lists the rows of Pier's definition (the canonical rows); other modes explain their own counting.
  const link = (kind: DrillKind) => (mode === "pier" ? `${base}&drill=${kind}#drilldown` : null);
  const prevLabel = `the ${range.days ?? Math.round((to.getTime() - from.getTime()) / 86_400_000)} days before`;

  const kpis: Kpi[] = [
    {
      key: "deploymentFrequency",
      title: "Deployment frequency",
      value: `${c.deploymentsPerWeek.toFixed(1)} / week`,
      hint: `${c.deployments} deployments`,
      notes: [],
      level: levels.deploymentFrequency,
      cmp: delta(c.deployments, p.deployments, false),
      href: link("deployments"),
      active: drill === "deployments",
    },
    {
      key: "leadTime",
      title: "Lead time for changes",
      value: formatDuration(c.leadTimeP50),
      hint: `median · p90 ${formatDuration(c.leadTimeP90)} · ${c.changes} changes`,
      notes: details
        ? [
            `from first commit: ${share(details.leadTimeStart.firstCommit, c.changes)} · from merge: ${share(details.leadTimeStart.merge, c.changes)}`,
            `linked by deployed revision/list: ${details.linkage.revision + details.linkage.listed} · by merge order (fallback): ${details.linkage.mergeOrder}`,
          ]
        : [],
      level: levels.leadTime,
      cmp: delta(c.leadTimeP50, p.leadTimeP50, true),
      href: link("changes"),
      active: drill === "changes",
    },
    {
      key: "changeFailureRate",
      title: "Change failure rate",
      value: formatRate(c.changeFailureRate),
      hint: `${c.failures} of ${c.deployments} deployments`,
      notes: details ? [`incidents linked by evidence: ${details.incidentLinks.evidence} · by time window: ${details.incidentLinks.heuristic}`] : [],
      level: levels.changeFailureRate,
      cmp: delta(c.changeFailureRate, p.changeFailureRate, true),
      href: link("failures"),
      active: drill === "failures",
    },
    {
      key: "timeToRestore",
      title: "Time to restore",
      value: formatDuration(c.restoreP50),
      hint: `median · p90 ${formatDuration(c.restoreP90)} · ${c.resolvedIncidents}/${c.incidents} resolved`,
      notes: [],
      level: levels.timeToRestore,
      cmp: delta(c.restoreP50, p.restoreP50, true),
      href: link("incidents"),
      active: drill === "incidents",
    },
    {
      key: "recovery",
      title: "Failed deployment recovery",
      value: formatDuration(c.recoveryP50),
      hint: details ? `median over ${details.recoveries} failed deployments` : "median",
      notes: [],
      level: levels.recovery,
      cmp: delta(c.recoveryP50, p.recoveryP50, true),
      href: link("failures"),
      active: false,
    },
    {
      key: "reworkRate",
      title: "Deployment rework rate",
      value: details ? formatRate(details.reworkRate) : "—",
      hint: details ? `${details.reworkDeployments} of ${details.allDeployments} deployments were rollbacks or hotfixes` : "not defined in this mode",
      notes: [],
      level: null,
      cmp: null,
      href: null,
      active: false,
    },
  ];

  return (
    <div className="space-y-6">
      <PageHeader
        title="DORA metrics"
        description={`The keys for ${summary.filter.environment}, ${range.label} (${timeZone}), by ${MODES[mode]}'s definitions and the ${bands} bands, compared with the period before.`}
        actions={<LinkButton href="/dora/analytics">Delivery analytics</LinkButton>}
      />
      <form
        method="get"
        action="/dora"
        className="grid grid-cols-2 gap-3 rounded-lg border border-gray-200 p-3 sm:grid-cols-4 xl:grid-cols-6 dark:border-gray-800"
        aria-label="Filters"
      >
        <FilterSelect label="Team" name="team" value={teamId ?? ""} all="All teams" options={filters.teams.map((t) => ({ value: t.id, label: t.name }))} />
        <FilterSelect
          label="Service"
          name="service"
          value={serviceId ?? ""}
          all="All services"
          options={services.map((s) => ({ value: s.id, label: s.name }))}
        />
        <FilterField label="Environment">
          <Select name="env" defaultValue={summary.filter.environment} aria-label="Environment">
            {filters.environments.map((e) => (
              <option key={e.id} value={e.name}>
                {e.name}
              </option>
            ))}
          </Select>
        </FilterField>
        {fleet.length > 0 && (
          <FilterField label="Target / region">
            <Select name="target" defaultValue={target ?? ""} aria-label="Target or region">
              <option value="">All targets</option>
              {regions.map((r) => (
                <option key={r} value={`region:${r}`}>
                  Region {r}
                </option>
              ))}
              {fleet.map((t) => (
                <option key={t.name} value={`target:${t.name}`}>
                  {t.name}
                </option>
              ))}
            </Select>
          </FilterField>
        )}
        <RangeFields range={range} />
        <FilterField label="Time zone (weeks, dates)">
          <TimeZoneSelect name="tz" defaultValue={timeZone} aria-label="Time zone" />
        </FilterField>
        <FilterField label="Definitions">
          <Select name="mode" defaultValue={mode} aria-label="Definitions">
            {Object.entries(MODES).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </Select>
        </FilterField>
        <FilterField label="Level bands">
          <Select name="bands" defaultValue={bands} aria-label="Level bands">
            <option value="2023">DORA 2023 (current)</option>
            <option value="2021">DORA 2019/2021</option>
          </Select>
        </FilterField>
        <div className="flex items-end">
          <Button type="submit" className="w-full">
            Apply
          </Button>
        </div>
      </form>

      <KpiCards kpis={kpis} previousLabel={prevLabel} />

      <Card title="Weekly trend">
        <TrendCharts weeks={trend} baseHref={base} />
      </Card>

      {drill && mode === "pier" && (
        <Drilldown
          kind={drill}
          filter={filter}
          week={week}
          page={drillPage}
          closeHref={base}
          pageHref={(n) => `${base}&drill=${drill}${week ? `&week=${week}` : ""}${n > 1 ? `&page=${n}` : ""}#drilldown`}
        />
      )}

      {comparison && <CompareDefinitions comparison={comparison} />}

      <Definitions mode={mode} bands={bands} timeZone={timeZone} />
    </div>
  );
}
