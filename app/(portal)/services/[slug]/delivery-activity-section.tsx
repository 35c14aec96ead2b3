// This service's CI runs (GitLab pipelines and jobs) and environment changes (Terraform runs, Argo CD health
// degraded) as the delivery tools reported them, newest first. Links come from the tools' payloads: only http(s)
// ones are rendered as links.
import type { ReactNode } from "react";
import { serverCaller } from "@/app/_lib/server-caller";
import { DateTime } from "@/app/_components/time";
import { Badge, Card, EmptyState, Table, Td, type BadgeColor } from "@/app/_components/ui";

const RUN_COLORS: Record<string, BadgeColor> = { succeeded: "green", failed: "red", running: "blue", queued: "gray", canceled: "yellow", skipped: "gray" };

function When({ at }: { at: Date | null }) {
  if (!at) return <>—</>;
  // In the user's time zone (their preference, else their browser's), like every date in the portal.
  return <DateTime value={at} />;
}

const safeUrl = (url: string) => (/^https?:\/\//i.test(url) ? url : null);

function MaybeLink({ url, children }: { url: string; children: ReactNode }) {
  const href = safeUrl(url);
  return href ? (
    <a className="underline" href={href} rel="noreferrer noopener" target="_blank">
      {children}
    </a>
  ) : (
    <>{children}</>
  );
}

export async function DeliveryActivitySection({ serviceId, serviceName }: { serviceId: string; serviceName: string }) {
  const { runs, environmentChanges } = await (await serverCaller()).dora.deliveryActivity({ serviceId });
  return (
    <Card id="delivery-activity" title="Pipelines and environment changes">
      {runs.length === 0 && environmentChanges.length === 0 ? (
        <EmptyState title="Nothing reported yet">
          GitLab pipelines and jobs, Terraform runs and Argo CD health signals for {serviceName} are listed here once the tools send them (Admin →
          Integrations).
        </EmptyState>
      ) : (
        <div className="space-y-4">
          {runs.length > 0 && (
            <Table head={["Run", "Status", "Ref", "Commit", "Started", "Finished"]} caption={`CI runs of ${serviceName}`}>
              {runs.map((r) => (
                <tr key={r.id}>
                  <Td className="max-w-xs truncate">
                    <MaybeLink url={r.url}>{r.name || r.kind}</MaybeLink> <span className="text-xs text-gray-500 dark:text-gray-400">{r.source}</span>
                  </Td>
                  <Td>
                    <Badge color={RUN_COLORS[r.status] ?? "gray"}>{r.status}</Badge>
                  </Td>
                  <Td className="font-mono text-xs">{r.ref || "—"}</Td>
                  <Td className="font-mono text-xs">{r.sha ? r.sha.slice(0, 10) : "—"}</Td>
                  <Td className="text-gray-500 dark:text-gray-400">
                    <When at={r.startedAt} />
                  </Td>
                  <Td className="text-gray-500 dark:text-gray-400">
                    <When at={r.finishedAt} />
                  </Td>
                </tr>
              ))}
            </Table>
          )}
          {environmentChanges.length > 0 && (
            <Table head={["Change", "Kind", "Environment", "Status", "When"]} caption={`Environment changes of ${serviceName}`}>
              {environmentChanges.map((c) => (
                <tr key={c.id}>
                  <Td className="max-w-xs truncate">
                    <MaybeLink url={c.url}>{c.summary || c.revision}</MaybeLink> <span className="text-xs text-gray-500 dark:text-gray-400">{c.source}</span>
                  </Td>
                  <Td>
                    <Badge color={c.kind === "health_degraded" ? "red" : c.kind === "feature_flag" ? "yellow" : "purple"}>
                      {c.kind === "health_degraded" ? "health degraded" : c.kind === "feature_flag" ? `flag ${c.revision}` : "infrastructure"}
                    </Badge>
                  </Td>
                  <Td>{c.environmentName}</Td>
                  <Td>{c.status}</Td>
                  <Td className="text-gray-500 dark:text-gray-400">
                    <When at={c.occurredAt} />
                  </Td>
                </tr>
              ))}
            </Table>
          )}
        </div>
      )}
    </Card>
  );
}
