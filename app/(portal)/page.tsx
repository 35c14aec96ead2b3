import Link from "next/link";
import { serverCaller } from "../_lib/server-caller";
import { plural } from "../_lib/plural";
import { DateTime } from "../_components/time";
import { ListCard } from "../_components/list-card";
import { Badge, Card, EmptyState, Metric, PageHeader } from "../_components/ui";
import { RiskBadge, StatusBadge } from "./deployments/_components/status-badge";

export const metadata = { title: "Home" };

const linkClass = "font-medium text-brand-700 hover:underline dark:text-brand-300";

/** "checkout-api → prod 1.4.2", linking to the request. */
const requestLink = (r: { id: string; serviceName: string; environmentName: string; version: string }) => (
  <Link href={`/deployments/${r.id}`} className={linkClass}>
    {r.serviceName} → {r.environmentName} {r.version}
  </Link>
);
const byId = (r: { id: string }) => r.id;

export default async function HomePage() {
  const caller = await serverCaller();
  const [{ user, teams }, approvals, attention] = await Promise.all([
    caller.identity.me(),
    caller.approvals.inbox({ list: "mine", limit: 8 }),
    caller.inbox.attention(),
  ]);
  const activeRequests = attention.myRequests.filter((r) => ["pending_approval", "approved", "queued", "deploying"].includes(r.status)).length;
  return (
    <>
      <PageHeader title={`Welcome, ${user.name}`} description="What needs your attention: approvals, your requests, and trouble on your teams' services." />

      <div className="mb-6 grid grid-cols-2 gap-3 lg:grid-cols-4">
        <Metric
          label="Approvals for you"
          value={approvals.counts.mine}
          hint={plural(approvals.counts.others, "waiting on others", "waiting on others")}
          href="/approvals"
        />
        <Metric label="Your requests in flight" value={activeRequests} href="/deployments" />
        <Metric label="Failed deployments" value={attention.failures.length} hint={`your services, ${attention.failureWindowDays} days`} />
        <Metric label="Open incidents" value={attention.incidents.length} hint="your services" href="/incidents" />
      </div>

      <div className="grid gap-4 lg:grid-cols-2">
        <ListCard
          title="Approvals waiting for you"
          actions={
            <Link href="/approvals" className={`text-sm ${linkClass}`}>
              Open approvals
            </Link>
          }
          testId="home-approvals"
          rows={approvals.items}
          rowKey={byId}
          columns={[
            {
              key: "request",
              cell: (a) => requestLink({ id: a.id, serviceName: a.service.name, environmentName: a.environment.name, version: a.version }),
            },
            { key: "risk", cell: (a) => <RiskBadge score={a.risk.score} /> },
            { key: "requester", cell: (a) => <span>{a.requester.name}</span> },
            { key: "created", cell: (a) => <DateTime value={a.createdAt} /> },
          ]}
          empty={{ title: "Nothing to approve", body: "Requests you may decide appear here as soon as they are submitted." }}
        />

        <ListCard
          title="Your requests"
          actions={
            <Link href="/deployments/new" className={`text-sm ${linkClass}`}>
              Request a deployment
            </Link>
          }
          testId="home-my-requests"
          rows={attention.myRequests}
          rowKey={byId}
          columns={[
            { key: "request", cell: requestLink },
            { key: "status", cell: (r) => <StatusBadge status={r.status} /> },
            { key: "created", cell: (r) => <DateTime value={r.createdAt} /> },
          ]}
          empty={{
            title: "You have not requested a deployment yet",
            body: (
              <>
                <Link href="/deployments/new" className={linkClass}>
                  Request one
                </Link>{" "}
                and follow it here from approval to rollout.
              </>
            ),
          }}
        />

        <ListCard
          title={`Failed deployments on your services (${attention.failureWindowDays} days)`}
          testId="home-failures"
          rows={attention.failures}
          rowKey={byId}
          columns={[
            { key: "request", cell: requestLink },
            { key: "status", cell: (r) => <StatusBadge status={r.status} /> },
            { key: "requester", cell: (r) => <span>{r.requesterName}</span> },
            { key: "finished", cell: (r) => <DateTime value={r.finishedAt} /> },
          ]}
          empty={
            teams.length
              ? { title: "No failed deployments", body: "Failures and rollbacks of your teams' services show here." }
              : { title: "You are not in a team yet", body: "Ask an admin to add you to the team that owns your services." }
          }
        />

        <ListCard
          title="Open incidents on your services"
          testId="home-incidents"
          rows={attention.incidents}
          rowKey={byId}
          columns={[
            {
              key: "incident",
              cell: (i) => (
                <>
                  <Link href={`/services/${i.serviceSlug}`} className={linkClass}>
                    {i.serviceName}
                  </Link>
                  {i.environmentName ? ` (${i.environmentName})` : ""}: {i.title}
                </>
              ),
            },
            { key: "severity", cell: (i) => <Badge color={i.severity === "critical" || i.severity === "high" ? "red" : "yellow"}>{i.severity}</Badge> },
            { key: "detected", cell: (i) => <DateTime value={i.detectedAt} /> },
          ]}
          empty={{ title: "No open incidents", body: "Incidents declared or paged for your teams' services show here until resolved." }}
        />

        <ListCard
          title="Recent activity on your services"
          className="lg:col-span-2"
          testId="home-activity"
          rows={attention.activity}
          rowKey={byId}
          columns={[
            {
              key: "request",
              cell: (r) => (
                <>
                  {r.requesterName} requested {requestLink(r)}
                </>
              ),
            },
            { key: "status", cell: (r) => <StatusBadge status={r.status} /> },
            { key: "created", cell: (r) => <DateTime value={r.createdAt} /> },
          ]}
          empty={{ title: "No activity yet", body: "Deployment requests for your teams' services show here." }}
        />
      </div>

      <Card title="Your teams" className="mt-4">
        {teams.length === 0 ? (
          <EmptyState title="You are not in any team yet">Ask an admin to add you to the team that owns your services.</EmptyState>
        ) : (
          <ul className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3" data-testid="my-teams">
            {teams.map((t) => (
              <li key={t.id} className="rounded-lg border border-gray-200 p-4 dark:border-gray-800">
                <Link href={`/teams/${t.slug}`} className="font-medium text-brand-600 hover:underline dark:text-brand-100">
                  {t.name}
                </Link>
                <p className="mt-1 line-clamp-2 text-sm text-gray-600 dark:text-gray-400">{t.description}</p>
                <div className="mt-3 flex flex-wrap gap-2 text-xs">
                  <Badge>{plural(t._count.members, "member")}</Badge>
                  <Badge color="blue">{plural(t._count.services, "service")}</Badge>
                  {t.onCallName ? <Badge color="green">on-call: {t.onCallName}</Badge> : <Badge color="yellow">no on-call</Badge>}
                </div>
              </li>
            ))}
          </ul>
        )}
      </Card>
    </>
  );
}
