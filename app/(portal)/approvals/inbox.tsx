"use client";
import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { DateTime } from "@/app/_components/time";
import { useToast } from "@/app/_components/toast";
import { Badge, Button, Card, EmptyState, ErrorMessage, Input, Spinner } from "@/app/_components/ui";
import type { inferRouterOutputs } from "@trpc/server";
import { useTRPC } from "@/app/_lib/trpc";
import type { AppRouter } from "@/server/root";
import { RiskBadge } from "../deployments/_components/status-badge";
import { FailureBadge, FailureReasons } from "../deployments/_components/failure-estimate";
import { CollapsibleChangeList } from "../deployments/_components/change-list";
import { decisionMessage } from "./decision-message";

type Item = inferRouterOutputs<AppRouter>["approvals"]["inbox"]["items"][number];

function InboxCard({ item }: { item: Item }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const [comment, setComment] = useState("");
  const decide = useMutation(
    trpc.approvals.decide.mutationOptions({
      onSuccess: (result, input) => {
        // The card leaves the inbox: say what happened to it, and where to follow it.
        const request = { service: item.service.name, version: item.version, environment: item.environment.name };
        toast({ message: decisionMessage(request, { ...result, decision: input.decision }), href: `/deployments/${item.id}`, linkLabel: "View request" });
        return qc.invalidateQueries({ queryKey: trpc.approvals.inbox.pathKey() });
      },
    }),
  );
  return (
    <div data-testid="inbox-item">
      <Card>
        <div className="flex flex-col gap-2 sm:flex-row sm:items-start sm:justify-between">
          <div>
            <Link href={`/deployments/${item.id}`} className="font-medium text-brand-700 hover:underline dark:text-brand-300">
              {item.service.name} → {item.environment.name}
            </Link>
            <p className="font-mono text-xs">
              {item.currentVersion ?? "nothing"} → {item.version} · {item.strategy.replace("_", "-")}
            </p>
            <p className="text-sm text-gray-600 dark:text-gray-400">{item.summary}</p>
            <p className="text-xs text-gray-500 dark:text-gray-400">
              by {item.requester.name} · <DateTime value={item.createdAt} />
              {item.ticketKey ? ` · ${item.ticketKey}` : ""}
              {item.expiresAt && (
                <>
                  {" "}
                  · expires <DateTime value={item.expiresAt} relative />
                </>
              )}
            </p>
          </div>
          <div className="flex flex-wrap items-center gap-1">
            <Badge color="blue">
              {item.progress.approvals} of {item.progress.required} approvals
            </Badge>
            <RiskBadge score={item.risk.score} />
            {item.failure && <FailureBadge probability={item.failure.probability} />}
            {item.recentFailures > 0 && (
              <Badge color="red">
                {item.recentFailures} failure{item.recentFailures > 1 ? "s" : ""} in 30 days
              </Badge>
            )}
          </div>
        </div>
        <ul className="mt-2 flex flex-wrap gap-x-3 text-xs text-gray-600 dark:text-gray-400" aria-label="Why this risk score">
          {item.risk.reasons.map((r) => (
            <li key={r.factor}>
              +{r.points} {r.detail}
            </li>
          ))}
        </ul>
        {item.failure && <FailureReasons reasons={item.failure.reasons} className="mt-1 flex flex-wrap gap-x-3 text-xs text-gray-600 dark:text-gray-400" />}
        <div className="mt-2">
          <CollapsibleChangeList requestId={item.id} />
        </div>
        {item.approvers.length > 0 && <p className="mt-1 text-xs">Decided: {item.approvers.map((a) => `${a.name} (${a.decision})`).join(", ")}</p>}
        {item.canDecide ? (
          <div className="mt-3 flex flex-col gap-2 sm:flex-row">
            <Input
              aria-label={`Comment on ${item.service.name}`}
              placeholder="Comment (required to reject)"
              value={comment}
              onChange={(e) => setComment(e.target.value)}
            />
            <div className="flex gap-2">
              <Button disabled={decide.isPending} onClick={() => decide.mutate({ requestId: item.id, decision: "approve", comment })}>
                Approve
              </Button>
              <Button variant="danger" disabled={decide.isPending} onClick={() => decide.mutate({ requestId: item.id, decision: "reject", comment })}>
                Reject
              </Button>
            </div>
          </div>
        ) : (
          <p className="mt-2 text-xs text-gray-500 dark:text-gray-400">{item.whyNot ?? `Waiting on ${item.whoMayApprove}`}</p>
        )}
        <div className="mt-2">
          <ErrorMessage error={decide.error} />
        </div>
      </Card>
    </div>
  );
}

/** Cards per page; "Load more" adds the next page after the last card shown (a keyset cursor). */
const PAGE_SIZE = 25;

/** One list of the inbox, paged: its heading shows the total and how many are shown; "Load more" appends a page. */
function InboxList({ list, title, empty }: { list: "mine" | "others"; title: string; empty?: string }) {
  const trpc = useTRPC();
  const query = useInfiniteQuery({
    ...trpc.approvals.inbox.infiniteQueryOptions({ list, limit: PAGE_SIZE }, { getNextPageParam: (page) => page.nextCursor }),
    refetchInterval: 10_000,
  });
  if (query.isLoading) return <Spinner />;
  if (!query.data) return <ErrorMessage error={query.error} />;
  const pages = query.data.pages;
  const items = pages.flatMap((p) => p.items);
  const total = pages[pages.length - 1].counts[list];
  return (
    <section className="space-y-3" aria-label={title} data-testid={`inbox-${list}`}>
      <h2 className="text-sm font-semibold">
        {title} ({total}){items.length < total ? ` · the oldest ${items.length} shown` : ""}
      </h2>
      {items.length === 0 && empty ? <EmptyState title={empty} /> : items.map((i) => <InboxCard key={i.id} item={i} />)}
      {query.hasNextPage && (
        <div className="flex items-center gap-3">
          <Button variant="secondary" disabled={query.isFetchingNextPage} onClick={() => void query.fetchNextPage()}>
            {query.isFetchingNextPage ? "Loading…" : "Load more"}
          </Button>
          <span className="text-xs text-gray-500 dark:text-gray-400" aria-live="polite">
            {items.length} of {total} shown
          </span>
        </div>
      )}
      {query.isFetchNextPageError && <ErrorMessage error={query.error} />}
    </section>
  );
}

export function Inbox() {
  return (
    <div className="space-y-6">
      <InboxList list="mine" title="Waiting for you" empty="Nothing to approve right now" />
      <InboxList list="others" title="Waiting on others" />
    </div>
  );
}
