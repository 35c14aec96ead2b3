// One environment's fleet: its targets with labels, health and health history, drained state, and the default
// rollout plan (admins ask to drain targets, approvers decide, admins edit the plan).
import type { Metadata } from "next";
import { findEnvironmentFleet, orNotFound } from "@/app/_lib/page-records";
import { Badge, Card, EmptyState, PageHeader, Table, Td } from "@/app/_components/ui";
import { DateTime } from "@/app/_components/time";
import { plural } from "@/app/_lib/plural";
import { DrainButton, DrainDecision, PlanEditor } from "./fleet-admin";

type Props = { params: Promise<{ name: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const fleet = await findEnvironmentFleet(decodeURIComponent((await params).name));
  return { title: fleet ? `Environment ${fleet.environment.name}` : "Not found" };
}

const healthColor = (h: string) => (h === "healthy" ? "green" : h === "unhealthy" ? "red" : "gray");

export default async function EnvironmentPage({ params }: Props) {
  const name = decodeURIComponent((await params).name);
  const fleet = orNotFound(await findEnvironmentFleet(name));
  const { plan } = fleet;
  return (
    <div className="max-w-5xl space-y-4">
      <PageHeader
        title={`Environment ${fleet.environment.name}`}
        description={fleet.implicit ? "One implicit target: requests run through each service's own executor." : `${fleet.targets.length} deployment targets`}
        actions={fleet.environment.isProduction ? <Badge color="red">production</Badge> : undefined}
      />
      {fleet.implicit ? (
        <EmptyState title="No deployment targets">This environment is a single implicit target; add targets to roll out in waves.</EmptyState>
      ) : (
        <Table head={["Target", "Labels", "Executor", "Health", "History (newest first)", ""]} caption="Deployment targets">
          {fleet.targets.map((t) => (
            <tr key={t.id}>
              <Td className="font-mono">{t.name}</Td>
              <Td>
                {Object.entries(t.labels).map(([k, v]) => (
                  <Badge key={k}>
                    {k}={v}
                  </Badge>
                ))}
              </Td>
              <Td>{t.executor}</Td>
              <Td>
                <span title={t.healthMessage}>
                  <Badge color={healthColor(t.health)}>{t.health}</Badge>
                </span>{" "}
                {t.drained && <Badge color="yellow">drained{t.drainedReason ? `: ${t.drainedReason}` : ""}</Badge>}
                {t.failoverTo && <span className="block text-xs text-gray-600 dark:text-gray-300">fails over to {t.failoverTo}</span>}
                {t.healthCheckedAt && (
                  <span className="block text-xs text-gray-500 dark:text-gray-400">
                    checked <DateTime value={t.healthCheckedAt} relative />
                  </span>
                )}
              </Td>
              <Td>
                <span className="flex gap-0.5" aria-label={`Health history of ${t.name}`}>
                  {t.history.map((h, i) => (
                    <span
                      key={i}
                      title={`${h.status}: ${h.message}`}
                      className={`inline-block h-4 w-1.5 rounded-sm ${h.status === "healthy" ? "bg-emerald-500" : "bg-rose-500"}`}
                    />
                  ))}
                  {t.history.length === 0 && <span className="text-xs text-gray-500">not polled yet</span>}
                </span>
              </Td>
              <Td>{fleet.can.administer && <DrainButton targetId={t.id} name={t.name} drained={t.drained} />}</Td>
            </tr>
          ))}
        </Table>
      )}
      {fleet.drainRequests.length > 0 && (
        <Card title="Drain requests">
          <Table head={["Target", "Asked", "By", "Status", ""]} caption="Drain requests">
            {fleet.drainRequests.map((r) => (
              <tr key={r.id}>
                <Td className="font-mono">{r.target}</Td>
                <Td>
                  {r.drain ? "drain" : "put back"}
                  {r.reason ? `: ${r.reason}` : ""} <DateTime value={r.createdAt} relative />
                </Td>
                <Td>{r.requestedBy}</Td>
                <Td>
                  <Badge color={r.status === "pending" ? "yellow" : r.status === "applied" ? "green" : "gray"}>
                    {r.status === "pending" ? "waiting for approval" : r.status}
                  </Badge>
                  {r.decidedBy && <span className="block text-xs text-gray-600 dark:text-gray-300">by {r.decidedBy}</span>}
                  {r.failoverMessage && <span className="block text-xs text-gray-600 dark:text-gray-300">failover: {r.failoverMessage}</span>}
                </Td>
                <Td>{r.can.decide && <DrainDecision drainRequestId={r.id} target={r.target} />}</Td>
              </tr>
            ))}
          </Table>
        </Card>
      )}
      <Card title="Default rollout plan">
        <ol className="list-decimal space-y-1 pl-5 text-sm">
          {plan.waves.map((w, i) => (
            <li key={i}>
              {w.name}
              {w.match
                ? ` — targets with ${Object.entries(w.match)
                    .map(([k, v]) => `${k}=${v}`)
                    .join(", ")}`
                : ""}
              {w.percent ? ` — up to ${w.percent}% of the fleet` : ""}
            </li>
          ))}
          {plan.waves.length === 0 && <li>every target in one wave</li>}
        </ol>
        <p className="mt-2 text-sm text-gray-600 dark:text-gray-300">
          At most {plural(plan.maxParallel, "target")} at a time; soak {plan.soakSeconds} s between waves; unhealthy targets: {plan.onUnhealthy}; on failure:{" "}
          {plan.onFailure.replace(/_/g, " ")}; verification: {plan.analysis ? plan.analysis.metrics.map((m) => m.name).join(", ") : "none"}.
        </p>
        {fleet.can.administer && <PlanEditor environmentId={fleet.environment.id} plan={plan} />}
      </Card>
    </div>
  );
}
