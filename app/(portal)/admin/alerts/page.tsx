import { PageHeader } from "@/app/_components/ui";
import { serverCaller } from "@/app/_lib/server-caller";
import { AlertRulesAdmin } from "./alert-rules-admin";

export const metadata = { title: "Alert rules" };
export const dynamic = "force-dynamic";

// The admin layout lets only admins in; every procedure checks the role again.
export default async function AlertRulesPage() {
  const trpc = await serverCaller();
  const filters = await trpc.dora.filters();
  return (
    <div className="space-y-4">
      <PageHeader
        title="Alert rules"
        description="Thresholds and anomalies on the DORA keys and delivery analytics, evaluated every 5 minutes by the workers. Firing and resolved alerts are the events alert.firing and alert.resolved: route them under Notifications (labels type, team, service, environment, severity, alert_rule, metric, alert_kind)."
      />
      <AlertRulesAdmin teams={filters.teams} services={filters.services} environments={filters.environments} />
      <section className="rounded-lg border border-gray-200 p-4 text-sm text-gray-600 dark:border-gray-800 dark:text-gray-300">
        <h2 className="mb-2 font-semibold">How rules are judged</h2>
        <ul className="list-disc space-y-1 pl-5">
          <li>Threshold: the metric over the trailing window (days) above or below the threshold. Ratios are fractions: 0.2 is 20 %; durations are seconds.</li>
          <li>
            Anomaly: the metric over each of the last N + 1 whole weeks (Monday to Monday, UTC). The newest week fires when it lies outside mean ± k·stddev of
            the N weeks before (weeks without data are skipped; at least 4 are needed; stddev is at least 5 % of the mean).
          </li>
          <li>A rule fires once per episode, however many workers run; muting keeps evaluating but sends nothing.</li>
        </ul>
      </section>
    </div>
  );
}
