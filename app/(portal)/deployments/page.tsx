// Deployment history across services, with filters in the URL (shareable, works without JavaScript).
import Link from "next/link";
import { serverCaller } from "@/app/_lib/server-caller";
import { DateTime } from "@/app/_components/time";
import { Button, Card, EmptyState, Input, LinkButton, PageHeader, Select, Table, Td } from "@/app/_components/ui";
import { DEPLOYMENT_STATUSES } from "@/server/deployments/state-machine";
import { RiskBadge, StatusBadge, statusLabel } from "./_components/status-badge";

type Search = Promise<Record<string, string | undefined>>;

export const metadata = { title: "Deployments" };

export default async function DeploymentsPage({ searchParams }: { searchParams: Search }) {
  const sp = await searchParams;
  const caller = await serverCaller();
  const [catalog, people] = await Promise.all([caller.approvals.policies(), caller.identity.demoUsers()]);
  const services = await caller.deployments.formOptions();
  const date = (v?: string) => (v && !Number.isNaN(Date.parse(v)) ? new Date(v) : undefined);
  const status = DEPLOYMENT_STATUSES.find((s) => s === sp.status);
  const page = await caller.deployments.list({
    serviceId: sp.serviceId || undefined,
    environmentId: sp.environmentId || undefined,
    status,
    requesterId: sp.requesterId || undefined,
    from: date(sp.from),
    to: date(sp.to),
    cursor: sp.cursor || undefined,
  });
  const query = (extra: Record<string, string>) =>
    new URLSearchParams({ ...Object.fromEntries(Object.entries(sp).filter(([, v]) => v) as [string, string][]), ...extra }).toString();

  return (
    <div className="space-y-4">
      <PageHeader
        title="Deployments"
        description="Every deployment request, its approvals and its outcome."
        actions={
          <LinkButton href="/deployments/new" variant="primary">
            Request deployment
          </LinkButton>
        }
      />
      <Card>
        <form className="grid gap-2 sm:grid-cols-3 lg:grid-cols-6" method="get">
          <Select name="serviceId" defaultValue={sp.serviceId ?? ""} aria-label="Service">
            <option value="">All services</option>
            {services.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </Select>
          <Select name="environmentId" defaultValue={sp.environmentId ?? ""} aria-label="Environment">
            <option value="">All environments</option>
            {catalog.map((e) => (
              <option key={e.id} value={e.id}>
                {e.name}
              </option>
            ))}
          </Select>
          <Select name="status" defaultValue={sp.status ?? ""} aria-label="Status">
            <option value="">Any status</option>
            {DEPLOYMENT_STATUSES.map((s) => (
              <option key={s} value={s}>
                {statusLabel(s)}
              </option>
            ))}
          </Select>
          <Select name="requesterId" defaultValue={sp.requesterId ?? ""} aria-label="Requester">
            <option value="">Anyone</option>
            {people.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name}
              </option>
            ))}
          </Select>
          <Input type="date" name="from" defaultValue={sp.from ?? ""} aria-label="From date" />
          <div className="flex gap-2">
            <Input type="date" name="to" defaultValue={sp.to ?? ""} aria-label="To date" />
            <Button type="submit" variant="secondary">
              Filter
            </Button>
          </div>
        </form>
      </Card>
      {page.items.length === 0 ? (
        <EmptyState title="No deployments match">Change the filters or request a deployment.</EmptyState>
      ) : (
        <Table head={["Service", "Env", "Version", "Status", "Approvals", "Risk", "Requested by", "When"]} caption="Deployment history">
          {page.items.map((d) => (
            <tr key={d.id}>
              <Td>
                <Link href={`/deployments/${d.id}`} className="font-medium text-brand-700 hover:underline dark:text-brand-300">
                  {d.service.name}
                </Link>
                {d.breakGlass && <span className="ml-1 text-xs text-rose-600 dark:text-rose-400">break-glass</span>}
                {d.rollbackOfId && <span className="ml-1 text-xs text-amber-700 dark:text-amber-400">rollback</span>}
              </Td>
              <Td>{d.environment.name}</Td>
              <Td className="font-mono text-xs">
                {d.previousVersion ?? "—"} → {d.version}
              </Td>
              <Td>
                <StatusBadge status={d.status} />
              </Td>
              <Td>
                {d._count.approvals} of {d.approvalsRequired}
              </Td>
              <Td>
                <RiskBadge score={d.riskScore} />
              </Td>
              <Td>{d.requester.name}</Td>
              <Td>
                <DateTime value={d.createdAt} />
              </Td>
            </tr>
          ))}
        </Table>
      )}
      {page.nextCursor && <LinkButton href={`/deployments?${query({ cursor: page.nextCursor })}`}>Older</LinkButton>}
    </div>
  );
}
