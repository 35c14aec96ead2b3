// One release: its members in rollout order (and why: what each waits for), approvals, and the timeline of the
// release and its members' requests.
import type { Metadata } from "next";
import Link from "next/link";
import { findRelease, orNotFound } from "@/app/_lib/page-records";
import { Badge, Card, PageHeader, Table, Td } from "@/app/_components/ui";
import { DateTime } from "@/app/_components/time";
import { plural } from "@/app/_lib/plural";
import { releaseColor } from "../release-status";
import { ReleaseActions } from "./release-actions";

type Props = { params: Promise<{ id: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const r = await findRelease((await params).id);
  return { title: r ? `Release ${r.name}` : "Not found" };
}

export default async function ReleasePage({ params }: Props) {
  const r = orNotFound(await findRelease((await params).id));
  return (
    <div className="max-w-5xl space-y-4">
      <PageHeader
        title={`Release ${r.name}`}
        description={
          <>
            {r.members.length} services to {r.environment}, by {r.creator ?? "someone"}, <DateTime value={r.createdAt} relative />. On a failure:{" "}
            {r.onFailure === "hold" ? "hold" : "roll back together"}.
          </>
        }
        actions={<Badge color={releaseColor(r.status)}>{r.status.replace("_", " ")}</Badge>}
      />
      {r.message && <p className="text-sm text-gray-700 dark:text-gray-300">{r.message}</p>}
      <Card title="Approval">
        <p className="text-sm">
          Under the strictest member&apos;s policy, &ldquo;{r.policy.name}&rdquo; (from {r.policy.fromService}): {r.approvedBy.length} of{" "}
          {plural(r.policy.requiredApprovals, "approval")}
          {r.approvedBy.length ? `, by ${r.approvedBy.join(", ")}` : ""}.
        </p>
        {r.status === "pending_approval" && !r.can.approve && r.can.whyNotApprove && (
          <p className="mt-1 text-xs text-gray-500 dark:text-gray-400">{r.can.whyNotApprove}</p>
        )}
        <ReleaseActions id={r.id} name={r.name} can={r.can} status={r.status} />
      </Card>
      <Table head={["#", "Service", "Version", "Waits for", "Status", "Rollback"]} caption="Members in rollout order">
        {r.members.map((m) => (
          <tr key={m.requestId}>
            <Td>{m.position + 1}</Td>
            <Td>
              <Link className="underline" href={`/deployments/${m.requestId}`}>
                {m.service}
              </Link>
            </Td>
            <Td className="font-mono">
              {m.previousVersion ?? "none"} → {m.version}
            </Td>
            <Td>{m.after.length ? m.after.join(", ") : "—"}</Td>
            <Td>
              <Badge color={releaseColor(m.status)}>{m.status.replace("_", " ")}</Badge>
            </Td>
            <Td>
              {m.rollbacks.map((b) => (
                <Link key={b.id} className="underline" href={`/deployments/${b.id}`}>
                  to {b.version}: {b.status.replace("_", " ")}
                </Link>
              ))}
            </Td>
          </tr>
        ))}
      </Table>
      <Card title="Timeline">
        <ol className="space-y-1 text-sm">
          {r.timeline.map((t) => (
            <li key={t.seq} className="flex gap-2">
              <DateTime value={t.at} className="w-40 shrink-0 text-gray-500 dark:text-gray-400" />
              <span>
                {t.service ? <span className="font-medium">{t.service}: </span> : null}
                {t.action.replace(/^(release|deployment)\./, "").replaceAll("_", " ")}
                <span className="text-gray-500 dark:text-gray-400"> · {t.actor}</span>
              </span>
            </li>
          ))}
        </ol>
      </Card>
    </div>
  );
}
