"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { DateTime } from "@/app/_components/time";
import { Badge, Button, EmptyState, ErrorMessage, Field, Select, Spinner, Table, Td, type BadgeColor } from "@/app/_components/ui";
import { useTRPC } from "@/app/_lib/trpc";

const STATUSES = ["pending", "retrying", "sending", "delivered", "dead", "suppressed", "held", "grouped", "merged", "scheduled"] as const;
type Status = (typeof STATUSES)[number];
const COLOR: Partial<Record<Status, BadgeColor>> = {
  delivered: "green",
  dead: "red",
  retrying: "yellow",
  pending: "blue",
  sending: "blue",
  held: "yellow",
  grouped: "purple",
  merged: "purple",
};

export function DeliveryLog({ initialStatus }: { initialStatus: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [status, setStatus] = useState<Status | "">((STATUSES as readonly string[]).includes(initialStatus) ? (initialStatus as Status) : "");
  const [cursor, setCursor] = useState<string | undefined>();
  const input = { status: status || undefined, cursor, limit: 50 };
  // Refreshes while the page is open so a test event shows up without reloading.
  const list = useQuery({ ...trpc.notifications.listDeliveries.queryOptions(input), refetchInterval: 2000 });
  const retry = useMutation(
    trpc.notifications.retryDelivery.mutationOptions({ onSuccess: () => qc.invalidateQueries({ queryKey: trpc.notifications.listDeliveries.queryKey() }) }),
  );

  return (
    <div className="space-y-3">
      <div className="max-w-xs">
        <Field label="Status" htmlFor="dl-status">
          <Select id="dl-status" value={status} onChange={(e) => (setStatus(e.target.value as Status | ""), setCursor(undefined))}>
            <option value="">All</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </Select>
        </Field>
      </div>
      {list.isPending ? (
        <Spinner />
      ) : list.error ? (
        <ErrorMessage error={list.error} />
      ) : list.data.items.length === 0 ? (
        <EmptyState title="No deliveries">Send a test event from the route test page.</EmptyState>
      ) : (
        <Table head={["When", "Event", "Route", "Channel", "Status", "Attempts", "Last answer", ""]} caption="Deliveries">
          {list.data.items.map((d) => (
            <tr key={d.id}>
              <Td className="text-xs">
                <DateTime value={d.createdAt} />
              </Td>
              <Td className="font-mono text-xs">{d.eventType}</Td>
              <Td>{d.routeName ?? "—"}</Td>
              <Td>
                {d.channel.name} <span className="text-xs text-gray-500 dark:text-gray-400">{d.recipient.startsWith("user:") ? d.recipient : ""}</span>
              </Td>
              <Td>
                <Badge color={COLOR[d.status as Status] ?? "gray"}>{d.status}</Badge>
                {d.nextAttemptAt && ["retrying", "held", "grouped", "scheduled"].includes(d.status) && (
                  <span className="ml-1 text-xs text-gray-500 dark:text-gray-400">
                    next <DateTime value={d.nextAttemptAt} />
                  </span>
                )}
              </Td>
              <Td className="tabular-nums">{d.attempts}</Td>
              <Td className="max-w-xs truncate text-xs">
                <span title={d.lastError ?? undefined}>{[d.lastStatusCode, d.lastError].filter((x) => x !== null && x !== undefined).join(" · ") || "—"}</span>
              </Td>
              <Td>
                {/* Suppressed ones were held back on purpose (silence, quiet hours, mutes): the server refuses to retry them. */}
                {d.status === "dead" && (
                  <Button variant="secondary" disabled={retry.isPending} onClick={() => retry.mutate({ id: d.id })}>
                    Retry
                  </Button>
                )}
              </Td>
            </tr>
          ))}
        </Table>
      )}
      <ErrorMessage error={retry.error} />
      <div className="flex gap-2">
        {cursor && (
          <Button variant="secondary" onClick={() => setCursor(undefined)}>
            First page
          </Button>
        )}
        {list.data?.nextCursor && (
          <Button variant="secondary" onClick={() => setCursor(list.data.nextCursor ?? undefined)}>
            Older
          </Button>
        )}
      </div>
    </div>
  );
}
