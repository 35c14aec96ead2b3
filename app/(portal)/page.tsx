import Link from "next/link";
import type { ReactNode } from "react";
import { serverCaller } from "../_lib/server-caller";
import { plural } from "../_lib/plural";
import { DateTime } from "../_components/time";
import { Badge, Card, EmptyState, Metric, PageHeader } from "../_components/ui";
import { RiskBadge, StatusBadge } from "./deployments/_components/status-badge";

export const metadata = { title: "Home" };

const linkClass = "font-medium text-brand-700 hover:underline dark:text-brand-300";

function Row({ children, meta }: { children: ReactNode; meta?: ReactNode }) {
  return (
    <li className="flex flex-col gap-1 py-2 sm:flex-row sm:items-center sm:justify-between sm:gap-3">
      <div className="min-w-0 break-words">{children}</div>
      {meta && <div className="flex shrink-0 flex-wrap items-center gap-2 text-xs text-gray-600 dark:text-gray-400">{meta}</div>}
    </li>
  );
}

const List = ({ children, testId }: { children: ReactNode; testId: string }) => (
  <ul className="divide-y divide-gray-100 text-sm dark:divide-gray-800" data-testid={testId}>
    {children}
  </ul>
);

export default async function HomePage() {
  const caller = await serverCaller();
  const [{ user, teams }, approvals, attention] = await Promise.all([caller.identity.me(), caller.approvals.inbox(), caller.inbox.attention()]);
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
        <Card
          title="Approvals waiting for you"
          actions={
            <Link href="/approvals" className={`text-sm ${linkClass}`}>
              Open approvals
            </Link>
          }
        >
          {approvals.mine.length === 0 ? (
            <EmptyState title="Nothing to approve">Requests you may decide appear here as soon as they are submitted.</EmptyState>
          ) : (
            <List testId="home-approvals">
              {approvals.mine.slice(0, 8).map((a) => (
                <Row
                  key={a.id}
                  meta={
                    <>
                      <RiskBadge score={a.risk.score} />
                      <span>{a.requester.name}</span>
                      <DateTime value={a.createdAt} />
                    </>
                  }
                >
                  <Link href={`/deployments/${a.id}`} className={linkClass}>
                    {a.service.name} → {a.environment.name} {a.version}
                  </Link>
                </Row>
              ))}
            </List>
          )}
        </Card>

        <Card
          title="Your requests"
          actions={
            <Link href="/deployments/new" className={`text-sm ${linkClass}`}>
              Request a deployment
            </Link>
          }
        >
          {attention.myRequests.length === 0 ? (
            <EmptyState title="You have not requested a deployment yet">
              <Link href="/deployments/new" className={linkClass}>
                Request one
              </Link>{" "}
              and follow it here from approval to rollout.
            </EmptyState>
          ) : (
            <List testId="home-my-requests">
              {attention.myRequests.map((r) => (
                <Row
                  key={r.id}
                  meta={
                    <>
                      <StatusBadge status={r.status} />
                      <DateTime value={r.createdAt} />
                    </>
                  }
                >
                  <Link href={`/deployments/${r.id}`} className={linkClass}>
                    {r.serviceName} → {r.environmentName} {r.version}
                  </Link>
                </Row>
              ))}
            </List>
          )}
        </Card>

        <Card title={`Failed deployments on your services (${attention.failureWindowDays} days)`}>
          {attention.failures.length === 0 ? (
            <EmptyState title={teams.length ? "No failed deployments" : "You are not in a team yet"}>
              {teams.length ? "Failures and rollbacks of your teams' services show here." : "Ask an admin to add you to the team that owns your services."}
            </EmptyState>
          ) : (
            <List testId="home-failures">
              {attention.failures.map((r) => (
                <Row
                  key={r.id}
                  meta={
                    <>
                      <StatusBadge status={r.status} />
                      <span>{r.requesterName}</span>
                      <DateTime value={r.finishedAt} />
                    </>
                  }
                >
                  <Link href={`/deployments/${r.id}`} className={linkClass}>
                    {r.serviceName} → {r.environmentName} {r.version}
                  </Link>
                </Row>
              ))}
            </List>
          )}
        </Card>

        <Card title="Open incidents on your services">
          {attention.incidents.length === 0 ? (
            <EmptyState title="No open incidents">Incidents declared or paged for your teams&apos; services show here until resolved.</EmptyState>
          ) : (
            <List testId="home-incidents">
              {attention.incidents.map((i) => (
                <Row
                  key={i.id}
                  meta={
                    <>
                      <Badge color={i.severity === "critical" || i.severity === "high" ? "red" : "yellow"}>{i.severity}</Badge>
                      <DateTime value={i.detectedAt} />
                    </>
                  }
                >
                  <Link href={`/services/${i.serviceSlug}`} className={linkClass}>
                    {i.serviceName}
                  </Link>
                  {i.environmentName ? ` (${i.environmentName})` : ""}: {i.title}
                </Row>
              ))}
            </List>
          )}
        </Card>

        <Card title="Recent activity on your services" className="lg:col-span-2">
          {attention.activity.length === 0 ? (
            <EmptyState title="No activity yet">Deployment requests for your teams&apos; services show here.</EmptyState>
          ) : (
            <List testId="home-activity">
              {attention.activity.map((r) => (
                <Row
                  key={r.id}
                  meta={
                    <>
                      <StatusBadge status={r.status} />
                      <DateTime value={r.createdAt} />
                    </>
                  }
                >
                  {r.requesterName} requested{" "}
                  <Link href={`/deployments/${r.id}`} className={linkClass}>
                    {r.serviceName} → {r.environmentName} {r.version}
                  </Link>
                </Row>
              ))}
            </List>
          )}
        </Card>
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
