// "How is this computed?" for the selected definition mode and band set (README "DORA definitions" has the sources).
import { Card } from "@/app/_components/ui";

const FOURKEYS = "https://github.com/dora-team/fourkeys/tree/main/queries";
const DEVLAKE = "https://github.com/apache/incubator-devlake/blob/main/grafana/dashboards/DORA.json";

export function Definitions({ mode, bands, timeZone }: { mode: "pier" | "fourkeys" | "devlake"; bands: "2023" | "2021"; timeZone: string }) {
  const cfrBands = bands === "2023" ? "elite ≤ 5 %, high ≤ 10 %, medium ≤ 15 %, low above" : "elite ≤ 15 %, high ≤ 30 %, medium ≤ 45 %, low above";
  return (
    <Card title="How is this computed?" id="definitions">
      <div className="space-y-2 text-sm text-gray-700 dark:text-gray-300">
        {mode === "pier" && (
          <>
            <p>
              <strong>Deployment frequency</strong>: successful deployments to the environment in the range (later rolled back ones count; rollback deployments
              and failed rollouts do not), per week.
            </p>
            <p>
              <strong>Lead time for changes</strong>: each change ships with the first successful deployment to the environment whose content contains it — the
              commits or changes the deployment listed, or everything merged up to its deployed revision; a redeploy of the same revision ships nothing. Only
              when a deployment names neither does Pier fall back to merge order (counted on the card and on the data-quality page). Lead time = deployment −
              the change&apos;s first commit when the source sent it (CDEvents <code>customData.firstCommitAt</code>, a pushed commit&apos;s time), else − its
              merge; median and p90.
            </p>
            <p>
              <strong>Change failure rate</strong>: of those deployments, the share rolled back or with an incident linked to them. Incidents link by evidence
              first (the incident names the deployment, version or root-cause commit), else to the service&apos;s last deployment in the same environment up to
              24 hours before (configurable: <code>DORA_INCIDENT_LINK_HOURS</code>).
            </p>
            <p>
              <strong>Time to restore</strong>: incidents detected in the range: resolved − detected, median and p90 (no environment named: production).{" "}
              <strong>Failed deployment recovery</strong>: from each failed deployment to the service&apos;s next good one.{" "}
              <strong>Deployment rework rate</strong>: rollback deployments and hotfixes (deployed while an incident caused by an earlier deployment was open)
              over all deployments.
            </p>
          </>
        )}
        {mode === "fourkeys" && (
          <p>
            <strong>Four Keys</strong> (
            <a className="underline" href={FOURKEYS}>
              queries/*.sql
            </a>{" "}
            and its dashboard): a deployment counts only when it carries known changes (the commits pushed with the deployed commit, plus listed ones), and a
            redeploy carries them again. Lead time is the median of deployment − commit time over every (deployment, change) pair, ignoring pairs ≤ 0. Change
            failure rate = (deployment, change, incident) rows whose incident names the change as root cause (&quot;root cause: &lt;sha&gt;&quot;) ÷
            deployments. Time to restore runs from the earlier of the incident and the deployment of its root cause to resolution.
          </p>
        )}
        {mode === "devlake" && (
          <p>
            <strong>DevLake</strong> (
            <a className="underline" href={DEVLAKE}>
              DORA dashboard
            </a>
            , dora plugin): every successful deployment to the environment counts, rollbacks included. Changes are those in the commit diff between a deployment
            and the previous successful one (no merge-order fallback; the first deployment ships nothing); lead time is PR cycle time, first commit (else PR
            opened) → deployment, lower median. Each incident is attributed to the service&apos;s last successful deployment before it, without a time limit;
            change failure rate = deployments with an incident ÷ deployments. Time to restore: incidents resolved in the range; failed deployment recovery:
            resolution − the causing deployment.
          </p>
        )}
        <p className="text-xs text-gray-500 dark:text-gray-400">
          Levels: {bands === "2023" ? "Accelerate State of DevOps 2023 (current)" : "State of DevOps 2019/2021"} bands — deployments per day elite ≥ 1, high ≥
          1/week, medium ≥ 1/month; lead time elite &lt; 1 day, high &lt; 1 week, medium &lt; 1 month; change failure rate {cfrBands}; restore and recovery
          elite &lt; 1 hour, high &lt; 1 day, medium &lt; 1 week. See{" "}
          <a className="underline" href="https://dora.dev/research/">
            dora.dev/research
          </a>
          . Weeks start on Monday in {timeZone}; the previous period is the same length, immediately before.
        </p>
      </div>
    </Card>
  );
}
