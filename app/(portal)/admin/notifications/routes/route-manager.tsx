"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ConfirmButton } from "@/app/_components/confirm-dialog";
import { useToast } from "@/app/_components/toast";
import { Badge, Button, Card, EmptyState, ErrorMessage, Spinner } from "@/app/_components/ui";
import { formatMinutes } from "@/app/_lib/format";
import { useTRPC } from "@/app/_lib/trpc";
import type { RouteView } from "../_components/types";
import { RouteForm } from "./route-form";

export function RouteManager() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const routes = useQuery(trpc.notifications.listRoutes.queryOptions());
  const channels = useQuery(trpc.notifications.listChannels.queryOptions());
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.notifications.listRoutes.queryKey() });
  const move = useMutation(trpc.notifications.moveRoute.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.notifications.deleteRoute.mutationOptions({ onSuccess: refresh }));
  const toast = useToast();
  const [editing, setEditing] = useState<RouteView | "new" | null>(null);
  const channelName = (id: string) => channels.data?.find((c) => c.id === id)?.name ?? "(deleted)";

  if (routes.isPending || channels.isPending) return <Spinner />;
  if (routes.error || channels.error) return <ErrorMessage error={routes.error ?? channels.error} />;
  return (
    <div className="space-y-4">
      <div>
        <Button onClick={() => setEditing(editing === "new" ? null : "new")}>{editing === "new" ? "Close" : "Add route"}</Button>
      </div>
      {editing && (
        <Card title={editing === "new" ? "New route" : `Edit ${editing.name}`}>
          <RouteForm
            key={editing === "new" ? "new" : editing.id}
            route={editing === "new" ? null : editing}
            channels={channels.data}
            onSaved={() => (setEditing(null), refresh())}
          />
        </Card>
      )}
      {routes.data.length === 0 ? (
        <EmptyState title="No routes yet">Without routes, events are not sent anywhere.</EmptyState>
      ) : (
        <ol className="space-y-2" aria-label="Routes in evaluation order">
          {routes.data.map((r, i) => (
            <li key={r.id} className="rounded-lg border border-gray-200 bg-white p-3 text-sm dark:border-gray-800 dark:bg-gray-900">
              <div className="flex flex-wrap items-center gap-2">
                <span className="font-mono text-xs text-gray-500 dark:text-gray-400">{i + 1}.</span>
                <span className="font-medium">{r.name}</span>
                {!r.enabled && <Badge>disabled</Badge>}
                {r.continue && <Badge color="blue">continue</Badge>}
                {r.groupBy.length > 0 && <Badge color="purple">group by {r.groupBy.join(", ")}</Badge>}
                {r.quietHours && (
                  <Badge color="yellow">
                    quiet {r.quietHours.start}–{r.quietHours.end} {r.quietHours.timeZone} ({r.quietHours.action})
                  </Badge>
                )}
                {r.escalation && <Badge color="red">escalate after {formatMinutes(r.escalation.afterMinutes)}</Badge>}
                <span className="ml-auto flex gap-1">
                  <Button variant="ghost" aria-label={`Move ${r.name} up`} disabled={i === 0} onClick={() => move.mutate({ id: r.id, direction: "up" })}>
                    ↑
                  </Button>
                  <Button
                    variant="ghost"
                    aria-label={`Move ${r.name} down`}
                    disabled={i === routes.data.length - 1}
                    onClick={() => move.mutate({ id: r.id, direction: "down" })}
                  >
                    ↓
                  </Button>
                  <Button variant="secondary" onClick={() => setEditing(r)}>
                    Edit
                  </Button>
                  <ConfirmButton
                    variant="ghost"
                    aria-label={`Delete route ${r.name}`}
                    title={`Delete the route ${r.name}?`}
                    confirmLabel="Delete route"
                    consequence={
                      <p>
                        Events it matches ({r.matchers.length ? r.matchers.map((m) => `${m.label}${m.op}"${m.value}"`).join(", ") : "every event"}) stop going
                        to {r.channelIds.map(channelName).join(", ") || "its channels"} through it
                        {r.continue ? "" : "; the routes after it get the chance to match them instead"}.
                      </p>
                    }
                    onConfirm={async () => {
                      await remove.mutateAsync({ id: r.id });
                      toast({ message: `Route ${r.name} deleted.` });
                    }}
                  >
                    Delete
                  </ConfirmButton>
                </span>
              </div>
              <p className="mt-1 font-mono text-xs text-gray-600 dark:text-gray-400">
                {r.matchers.length ? r.matchers.map((m) => `${m.label}${m.op}"${m.value}"`).join(", ") : "matches every event"}
              </p>
              <p className="mt-1 text-xs text-gray-600 dark:text-gray-400">
                → {r.channelIds.map(channelName).join(", ")}
                {r.roleRecipients.length > 0 && ` · recipients: ${r.roleRecipients.join(", ").replaceAll("_", " ")}`}
              </p>
            </li>
          ))}
        </ol>
      )}
      <ErrorMessage error={move.error} />
    </div>
  );
}
