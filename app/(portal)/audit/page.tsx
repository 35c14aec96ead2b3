// Audit events with filters (approvers and admins), plus evidence export for a date range.
import { redirect } from "next/navigation";
import { DateTime } from "@/app/_components/time";
import { Button, Card, EmptyState, Input, LinkButton, PageHeader, Table, Td } from "@/app/_components/ui";
import { currentUser, serverCaller } from "@/app/_lib/server-caller";
import { hasRole } from "@/server/identity/roles";
import { RangeEvidence } from "./range-evidence";

export const metadata = { title: "Audit log" };

export default async function AuditPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const user = await currentUser();
  if (!user || !hasRole(user, "approver")) redirect("/");
  const sp = await searchParams;
  const date = (v?: string) => (v && !Number.isNaN(Date.parse(v)) ? new Date(v) : undefined);
  const page = await (
    await serverCaller()
  ).audit.events({
    action: sp.action || undefined,
    subjectType: sp.subjectType || undefined,
    subjectId: sp.subjectId || undefined,
    actor: sp.actor || undefined,
    from: date(sp.from),
    to: date(sp.to),
    cursor: sp.cursor && /^\d+$/.test(sp.cursor) ? sp.cursor : undefined,
  });
  const more = new URLSearchParams({
    ...(Object.fromEntries(Object.entries(sp).filter(([, v]) => v)) as Record<string, string>),
    cursor: page.nextCursor ?? "",
  });
  return (
    <div className="space-y-4">
      <PageHeader title="Audit log" description="Every state change, hash-chained. Export the change record of a period as evidence." />
      <Card title="Evidence export">
        <RangeEvidence />
      </Card>
      <Card>
        <form method="get" className="grid gap-2 sm:grid-cols-3 lg:grid-cols-6">
          <Input name="action" placeholder="Action (prefix), e.g. deployment." defaultValue={sp.action ?? ""} aria-label="Action" />
          <Input name="subjectType" placeholder="Subject type" defaultValue={sp.subjectType ?? ""} aria-label="Subject type" />
          <Input name="subjectId" placeholder="Subject id" defaultValue={sp.subjectId ?? ""} aria-label="Subject id" />
          <Input name="actor" placeholder="Actor" defaultValue={sp.actor ?? ""} aria-label="Actor" />
          <Input name="from" type="date" defaultValue={sp.from ?? ""} aria-label="From date" />
          <div className="flex gap-2">
            <Input name="to" type="date" defaultValue={sp.to ?? ""} aria-label="To date" />
            <Button type="submit" variant="secondary">
              Filter
            </Button>
          </div>
        </form>
      </Card>
      {page.items.length === 0 ? (
        <EmptyState title="No audit events match" />
      ) : (
        <Table head={["#", "When", "Actor", "Action", "Subject", "Change"]} caption="Audit events">
          {page.items.map((e) => (
            <tr key={e.seq}>
              <Td className="text-gray-500 tabular-nums dark:text-gray-400">{e.seq}</Td>
              <Td>
                <DateTime value={e.createdAt} />
              </Td>
              <Td>{e.actorLabel}</Td>
              <Td className="font-mono text-xs">{e.action}</Td>
              <Td className="text-xs">
                {e.subjectType === "deployment_request" ? (
                  <a className="underline" href={`/deployments/${e.subjectId}`}>
                    {e.subjectId}
                  </a>
                ) : (
                  `${e.subjectType} ${e.subjectId}`
                )}
              </Td>
              <Td className="max-w-md truncate font-mono text-xs">{e.after ? JSON.stringify(e.after) : ""}</Td>
            </tr>
          ))}
        </Table>
      )}
      {page.nextCursor && <LinkButton href={`/audit?${more.toString()}`}>Older</LinkButton>}
    </div>
  );
}
