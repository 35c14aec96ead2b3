// Admin → Audit chain: is the audit log intact, and if not, where and how it breaks; the signed checkpoints.
import { serverCaller } from "@/app/_lib/server-caller";
import { DateTime } from "@/app/_components/time";
import { Card, EmptyState, PageHeader, Table, Td } from "@/app/_components/ui";
import { ChainActions } from "./_actions";
import { ReportView } from "./_report";

export const dynamic = "force-dynamic";

const every = (ms: number) => (ms % 3_600_000 === 0 ? `${ms / 3_600_000} h` : ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`);

export const metadata = { title: "Audit chain" };

export default async function AuditChainPage() {
  const trpc = await serverCaller();
  const s = await trpc.audit.chainStatus();
  return (
    <div className="space-y-6">
      <PageHeader
        title="Audit chain"
        description="Every audit record carries the hash of the one before it; signed checkpoints pin the chain with a key kept outside the database."
      />
      {s.developmentKey && (
        <p
          role="alert"
          className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950/40 dark:text-amber-100"
        >
          PIER_AUDIT_CHECKPOINT_KEY is not set: checkpoints are signed with the well-known development key and prove nothing. Set a secret key (openssl rand
          -base64 32) outside the database.
        </p>
      )}
      <ChainActions />
      <div className="grid gap-4 lg:grid-cols-2">
        <Card title="Latest scheduled check since the last checkpoint">
          <ReportView report={s.incremental} />
        </Card>
        <Card title="Latest full check">
          <ReportView report={s.full} />
        </Card>
      </div>
      <Card title="Schedule">
        <p className="text-sm text-gray-700 dark:text-gray-300">
          The workers check the records added since the newest checkpoint every {every(s.intervalMs)} (PIER_AUDIT_VERIFY_INTERVAL_MS), walk the whole chain
          every {every(s.fullIntervalMs)} (PIER_AUDIT_FULL_VERIFY_INTERVAL_MS), and sign a checkpoint at the head after each successful check. A break is sent
          once as a critical <span className="font-mono">audit.chain_broken</span> event through notification routing.
        </p>
      </Card>
      <Card title="Newest signed checkpoints">
        {s.checkpoints.length === 0 ? (
          <EmptyState title="No checkpoint yet">The first successful check signs one.</EmptyState>
        ) : (
          <Table head={["Seq", "Signed", "Head hash", "Signature (HMAC-SHA256)"]} caption="Signed checkpoints">
            {s.checkpoints.map((c) => (
              <tr key={c.seq}>
                <Td className="font-mono">{c.seq}</Td>
                <Td>
                  <DateTime value={c.signedAt} />
                </Td>
                <Td className="font-mono text-xs">
                  <span title={c.hash}>{c.hash.slice(0, 16)}…</span>
                </Td>
                <Td className="font-mono text-xs">
                  <span title={c.signature}>{c.signature.slice(0, 16)}…</span>
                </Td>
              </tr>
            ))}
          </Table>
        )}
      </Card>
    </div>
  );
}
