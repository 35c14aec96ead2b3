// Audit events with filters (approvers and admins), plus evidence export for a date range.
import { redirect } from "next/navigation";
import { DateTime } from "@/app/_components/time";
import { Badge, Button, Card, EmptyState, Input, LinkButton, PageHeader, Table, Td } from "@/app/_components/ui";
import { plural } from "@/app/_lib/plural";
import { diffValue, type DiffEntry } from "@/server/audit/audit-diff";
import { currentUser, serverCaller } from "@/app/_lib/server-caller";
import { hasRole } from "@/server/identity/roles";
import { RangeEvidence } from "./range-evidence";

export const metadata = { title: "Audit log" };

function Diff({ entries, truncated }: { entries: DiffEntry[]; truncated: boolean }) {
  if (entries.length === 0) return <span className="text-gray-600 dark:text-gray-400">no field changes</span>;
  return (
    <ul className="space-y-0.5" data-testid="audit-diff">
      {entries.map((d) => (
        <li key={d.path} className="break-words">
          <span className="font-mono font-medium">{d.path}</span>{" "}
          {d.kind !== "added" && (
            <del className="bg-rose-50 px-0.5 text-rose-800 dark:bg-rose-950 dark:text-rose-200">
              <span className="sr-only">before: </span>
              {diffValue(d.before)}
            </del>
          )}
          {d.kind === "changed" && " → "}
          {d.kind !== "removed" && (
            <ins className="bg-emerald-50 px-0.5 text-emerald-800 no-underline dark:bg-emerald-950 dark:text-emerald-200">
              <span className="sr-only">after: </span>
              {diffValue(d.after)}
            </ins>
          )}
        </li>
      ))}
      {truncated && <li className="text-gray-600 dark:text-gray-400">more fields changed: see the evidence export</li>}
    </ul>
  );
}

export default async function AuditPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const user = await currentUser();
  if (!user || !hasRole(user, "approver")) redirect("/");
  const sp = await searchParams;
  const date = (v?: string) => (v && !Number.isNaN(Date.parse(v)) ? new Date(v) : undefined);
  const caller = await serverCaller();
  const chain = await caller.audit.chainSummary();
  const page = await caller.audit.events({
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
      <div
        data-testid="chain-state"
        className={
          chain.state === "broken"
            ? "rounded-lg border border-rose-300 bg-rose-50 p-3 text-sm text-rose-900 dark:border-rose-800 dark:bg-rose-950 dark:text-rose-100"
            : "rounded-lg border border-gray-200 bg-white p-3 text-sm dark:border-gray-800 dark:bg-gray-900"
        }
      >
        {chain.state === "verified" && (
          <p>
            <Badge color="green">chain verified</Badge> {plural(chain.checked, "record")} checked ({chain.mode} check) at <DateTime value={chain.verifiedAt} />.
          </p>
        )}
        {chain.state === "broken" && (
          <p>
            <Badge color="red">chain broken</Badge> The {chain.mode} check at <DateTime value={chain.verifiedAt} /> found the chain broken at record #
            {chain.brokenAtSeq}: records may have been changed or removed.{" "}
            {user.role === "admin" ? (
              <a className="underline" href="/admin/audit-chain">
                See the report
              </a>
            ) : (
              "An admin has the report."
            )}
          </p>
        )}
        {chain.state === "unverified" && (
          <p>
            <Badge>not verified yet</Badge> The worker verifies the chain periodically; no check has run yet.
          </p>
        )}
      </div>
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
                <span className="block text-gray-600 dark:text-gray-400">{e.subjectType.replace(/_/g, " ")}</span>
                {e.subject?.href ? (
                  <a className="break-words text-brand-700 underline dark:text-brand-300" href={e.subject.href}>
                    {e.subject.label}
                  </a>
                ) : (
                  <span className="font-mono break-all">{e.subject?.label ?? e.subjectId}</span>
                )}
              </Td>
              <Td className="max-w-md text-xs">
                <Diff entries={e.diff.entries} truncated={e.diff.truncated} />
              </Td>
            </tr>
          ))}
        </Table>
      )}
      {page.nextCursor && <LinkButton href={`/audit?${more.toString()}`}>Older</LinkButton>}
    </div>
  );
}
