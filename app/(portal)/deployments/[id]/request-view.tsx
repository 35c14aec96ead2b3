"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { DateTime, useTimeZone } from "@/app/_components/time";
import { useToast } from "@/app/_components/toast";
import { Badge, Button, Card, ErrorMessage, Field, LinkButton, PageHeader, Spinner, Textarea } from "@/app/_components/ui";
import { formatTime } from "@/app/_lib/format";
import { fieldErrors, useTRPC } from "@/app/_lib/trpc";
import { decisionMessage } from "../../approvals/decision-message";
import { JiraTicketStatus } from "../_components/jira-ticket-status";
import { MigrationWarning } from "../_components/migration-warning";
import { RiskBadge, StatusBadge } from "../_components/status-badge";
import { FailureBadge, FailureReasons, failurePercent } from "../_components/failure-estimate";
import { ChangeList } from "../_components/change-list";
import { RISK_SCALE_TEXT } from "@/server/deployments/risk-scale";
import { EvidenceButtons } from "./evidence-buttons";
import { CancelRequestButton, RollbackButton } from "./request-actions";
import { ImpactCard } from "./impact-card";
import { RolloutCard } from "./rollout-card";

const ACTIVE = ["pending_approval", "approved", "queued", "deploying"];

export function RequestView({ id, next }: { id: string; next: { id: string; name: string } | null }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const detail = useQuery({
    ...trpc.deployments.get.queryOptions({ id }),
    refetchInterval: (q) => (q.state.data && ACTIVE.includes(q.state.data.status) ? 2000 : false),
  });
  const running = detail.data?.status === "deploying" || detail.data?.status === "queued";
  const logs = useQuery({ ...trpc.deployments.logs.queryOptions({ id }), refetchInterval: running ? 1500 : false });
  const refresh = () =>
    Promise.all([
      qc.invalidateQueries({ queryKey: trpc.deployments.get.queryKey({ id }) }),
      qc.invalidateQueries({ queryKey: trpc.deployments.logs.queryKey({ id }) }),
    ]);
  const timeZone = useTimeZone();
  const toast = useToast();
  const [comment, setComment] = useState("");
  const decide = useMutation(
    trpc.approvals.decide.mutationOptions({
      onSuccess: (result, input) => {
        setComment("");
        const d = detail.data;
        if (d)
          toast({
            message: decisionMessage({ service: d.service.name, version: d.version, environment: d.environment.name }, { ...result, decision: input.decision }),
          });
        void refresh();
      },
    }),
  );
  const review = useMutation(trpc.deployments.reviewBreakGlass.mutationOptions({ onSuccess: refresh }));

  if (detail.isLoading) return <Spinner />;
  if (detail.error || !detail.data) return <ErrorMessage error={detail.error ?? "Not found"} />;
  const r = detail.data;
  const decideErrors = fieldErrors(decide.error);

  return (
    <div className="space-y-4">
      <PageHeader
        title={
          <span>
            {r.service.name} → {r.environment.name}
          </span>
        }
        description={
          <span className="font-mono">
            {r.previousVersion ?? "nothing"} → {r.version}
          </span>
        }
        actions={
          <>
            <StatusBadge status={r.status} />
            <RiskBadge score={r.riskScore} />
            {r.breakGlass && <Badge color="red">break-glass{r.reviewedAfterAt ? " · reviewed" : " · needs review"}</Badge>}
          </>
        }
      />
      <div className="grid gap-4 lg:grid-cols-3">
        <div className="space-y-4 lg:col-span-2">
          <Card title="Change">
            <dl className="grid grid-cols-1 gap-2 text-sm sm:grid-cols-2">
              <div>
                <dt className="text-gray-500 dark:text-gray-400">Requested by</dt>
                <dd>
                  {r.requester.name} · <DateTime value={r.createdAt} />
                </dd>
              </div>
              <div>
                <dt className="text-gray-500 dark:text-gray-400">Strategy</dt>
                <dd>
                  {r.strategy.replace("_", "-")}
                  {r.canarySteps.length ? ` (${r.canarySteps.join("% → ")}%)` : ""}
                </dd>
              </div>
              <div className="sm:col-span-2">
                <dt className="text-gray-500 dark:text-gray-400">Summary</dt>
                <dd>{r.summary || "—"}</dd>
              </div>
              {r.ticketKey && (
                <div>
                  <dt className="text-gray-500 dark:text-gray-400">Ticket</dt>
                  <dd>
                    {r.ticketKey}
                    <JiraTicketStatus ticketKey={r.ticketKey} />
                  </dd>
                </div>
              )}
              {r.breakGlassReason && (
                <div className="sm:col-span-2">
                  <dt className="text-gray-500 dark:text-gray-400">Break-glass reason</dt>
                  <dd>{r.breakGlassReason}</dd>
                </div>
              )}
              {r.rollbackOf && (
                <div>
                  <dt className="text-gray-500 dark:text-gray-400">Rolls back</dt>
                  <dd>
                    <Link className="underline" href={`/deployments/${r.rollbackOf.id}`}>
                      {r.rollbackOf.version}
                    </Link>
                  </dd>
                </div>
              )}
              {r.waitingFor && (
                <div className="sm:col-span-2" data-testid="waiting-for">
                  <dt className="text-gray-500 dark:text-gray-400">Queued — waiting for</dt>
                  <dd>
                    <Link className="underline" href={`/deployments/${r.waitingFor.id}`}>
                      {r.waitingFor.rollback ? "rollback to " : ""}
                      {r.waitingFor.version}
                    </Link>
                    {r.waitingFor.status === "deploying"
                      ? ` to finish deploying to ${r.waitingFor.environment}`
                      : `, ahead in the queue for ${r.waitingFor.environment}`}
                  </dd>
                </div>
              )}
              {r.notBefore && r.status === "approved" && (
                <div>
                  <dt className="text-gray-500 dark:text-gray-400">Starts after</dt>
                  <dd>
                    <DateTime value={r.notBefore} relative />
                  </dd>
                </div>
              )}
              {r.expiresAt && r.status === "pending_approval" && (
                <div>
                  <dt className="text-gray-500 dark:text-gray-400">Approval expires</dt>
                  <dd>
                    <DateTime value={r.expiresAt} relative />
                  </dd>
                </div>
              )}
            </dl>
          </Card>

          <RolloutCard requestId={id} requestActive={ACTIVE.includes(r.status)} onChange={refresh} />
          <ImpactCard requestId={id} serviceId={r.serviceId} />
          <Card title="What this brings">
            <ChangeList requestId={r.id} />
          </Card>

          <Card title={`Progress${r.status === "deploying" ? ` · ${r.progress}%` : ""}`}>
            {(r.status === "deploying" || r.status === "succeeded") && (
              <div className="mb-3 h-2 w-full overflow-hidden rounded bg-gray-100 dark:bg-gray-800">
                <div className="h-2 bg-brand-600 transition-all" style={{ width: `${r.progress}%` }} />
              </div>
            )}
            {/* A long log scrolls in its box: focusable, so a keyboard can scroll it (axe: scrollable-region-focusable). */}
            <ol className="max-h-72 space-y-1 overflow-y-auto font-mono text-xs" aria-label="Deployment log" tabIndex={0}>
              {(logs.data?.logs ?? []).map((l) => (
                <li
                  key={l.id}
                  className={l.level === "error" ? "text-rose-600 dark:text-rose-400" : l.level === "warn" ? "text-amber-700 dark:text-amber-400" : ""}
                >
                  <span className="text-gray-500 dark:text-gray-400">{formatTime(l.at, timeZone, { seconds: true })}</span> {l.message}
                </li>
              ))}
              {logs.data?.logs.length === 0 && <li className="text-gray-500 dark:text-gray-400">No log lines yet.</li>}
            </ol>
          </Card>

          <Card title="Timeline">
            <ol className="space-y-2 text-sm" data-testid="timeline">
              {r.timeline.map((t, i) => (
                <li key={i} className="flex flex-col sm:flex-row sm:gap-3">
                  <span className="w-48 shrink-0 text-gray-500 dark:text-gray-400">
                    <DateTime value={t.at} />
                  </span>
                  <span>
                    <strong>{t.label}</strong> · {t.actor}
                    {t.detail ? ` — ${t.detail}` : ""}
                  </span>
                </li>
              ))}
            </ol>
          </Card>
        </div>

        <div className="space-y-4">
          <Card title="Approvals">
            <p className="text-sm" data-testid="approval-progress">
              {r.approvedCount} of {r.approvalsRequired} approvals
            </p>
            <p className="mt-1 text-xs text-gray-500 dark:text-gray-400">
              Policy “{r.policy.name}”: {r.approversDescription} may approve; requesters never approve their own.
            </p>
            <ul className="mt-2 space-y-1 text-sm">
              {r.approvals.map((a) => (
                <li key={a.id}>
                  <Badge color={a.decision === "approve" ? "green" : "red"}>{a.decision === "approve" ? "approved" : "rejected"}</Badge> {a.approver.name}
                  {a.comment && <span className="text-gray-500 dark:text-gray-400"> — {a.comment}</span>}
                </li>
              ))}
            </ul>
            {r.can.decide ? (
              <div className="mt-3 space-y-2">
                <Field label="Comment" htmlFor="comment" error={decideErrors.comment}>
                  <Textarea id="comment" rows={2} value={comment} onChange={(e) => setComment(e.target.value)} />
                </Field>
                {decide.error && !decideErrors.comment && <ErrorMessage error={decide.error} />}
                <div className="flex gap-2">
                  <Button disabled={decide.isPending} onClick={() => decide.mutate({ requestId: id, decision: "approve", comment })}>
                    Approve
                  </Button>
                  <Button variant="danger" disabled={decide.isPending} onClick={() => decide.mutate({ requestId: id, decision: "reject", comment })}>
                    Reject
                  </Button>
                </div>
              </div>
            ) : (
              r.status === "pending_approval" && r.can.decideReason && <p className="mt-2 text-xs text-gray-500 dark:text-gray-400">{r.can.decideReason}</p>
            )}
          </Card>

          <Card
            title="Risk"
            actions={
              <span className="flex flex-wrap gap-1">
                <RiskBadge score={r.riskScore} />
                {r.failureProbability !== null && <FailureBadge probability={r.failureProbability} />}
              </span>
            }
          >
            <p className="mb-2 text-xs text-gray-600 dark:text-gray-400">{RISK_SCALE_TEXT}.</p>
            <ul className="space-y-1 text-sm">
              {r.riskReasons.map((x) => (
                <li key={x.factor}>
                  +{x.points} {x.detail}
                </li>
              ))}
              {r.riskReasons.length === 0 && <li className="text-gray-500 dark:text-gray-400">No risk factors.</li>}
            </ul>
            {r.failureProbability !== null ? (
              <>
                <p className="mt-3 text-xs text-gray-600 dark:text-gray-400">
                  Learned from Pier&apos;s finished requests: P(failure) ≈ {failurePercent(r.failureProbability)}. Main reasons:
                </p>
                <FailureReasons reasons={r.failureReasons} className="mt-1 space-y-1 text-sm" />
              </>
            ) : (
              <p className="mt-3 text-xs text-gray-500 dark:text-gray-400">No learned estimate for this request: the hand-set score applies.</p>
            )}
          </Card>

          <Card title="Actions">
            {r.status === "succeeded" && <MigrationWarning serviceId={r.serviceId} environmentId={r.environmentId} version={r.version} />}
            <div className="mt-2 flex flex-wrap gap-2">
              {r.can.cancel && <CancelRequestButton request={r} onDone={refresh} />}
              {r.can.rollback && <RollbackButton request={r} onDone={refresh} />}
              {r.status === "succeeded" && next && (
                <LinkButton
                  variant="primary"
                  href={`/deployments/new?serviceId=${r.serviceId}&environmentId=${next.id}&version=${encodeURIComponent(r.version)}`}
                >
                  Promote to {next.name}
                </LinkButton>
              )}
              {r.can.review && (
                <Button variant="secondary" onClick={() => review.mutate({ id, note: "Reviewed after the emergency" })}>
                  Mark break-glass reviewed
                </Button>
              )}
              {r.rollbacks.map((rb) => (
                <Link key={rb.id} className="text-sm underline" href={`/deployments/${rb.id}`}>
                  Rollback to {rb.version} ({rb.status})
                </Link>
              ))}
            </div>
            <ErrorMessage error={review.error} />
            <EvidenceButtons requestId={id} />
          </Card>
        </div>
      </div>
    </div>
  );
}
