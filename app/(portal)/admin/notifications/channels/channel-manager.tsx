"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ConfirmButton } from "@/app/_components/confirm-dialog";
import { useToast } from "@/app/_components/toast";
import { Badge, Button, Card, EmptyState, ErrorMessage, Spinner, Table, Td } from "@/app/_components/ui";
import { useTRPC } from "@/app/_lib/trpc";
import type { ChannelView } from "../_components/types";
import { ChannelForm } from "./channel-form";

export function ChannelManager() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const list = useQuery(trpc.notifications.listChannels.queryOptions());
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.notifications.listChannels.queryKey() });
  const update = useMutation(trpc.notifications.updateChannel.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.notifications.deleteChannel.mutationOptions({ onSuccess: refresh }));
  const reseal = useMutation(trpc.notifications.reEncryptSecrets.mutationOptions({ onSuccess: refresh }));
  const toast = useToast();
  const [editing, setEditing] = useState<ChannelView | "new" | null>(null);
  const saved = () => (setEditing(null), refresh());

  const toggle = (c: ChannelView) => update.mutate({ id: c.id, enabled: !c.enabled });

  return (
    <>
      <Card
        title="Channels"
        actions={<Button onClick={() => setEditing(editing === "new" ? null : "new")}>{editing === "new" ? "Close" : "Add channel"}</Button>}
      >
        {editing && (
          <div className="mb-4 border-b border-gray-200 pb-4 dark:border-gray-800">
            {editing !== "new" && (
              <div className="mb-3 flex items-center justify-between gap-2">
                <h3 className="text-sm font-semibold text-gray-700 dark:text-gray-200">Edit {editing.name}</h3>
                <Button variant="ghost" onClick={() => setEditing(null)}>
                  Cancel
                </Button>
              </div>
            )}
            <ChannelForm key={editing === "new" ? "new" : editing.id} channel={editing === "new" ? null : editing} onSaved={saved} />
          </div>
        )}
        {list.isPending ? (
          <Spinner />
        ) : list.error ? (
          <ErrorMessage error={list.error} />
        ) : list.data.length === 0 ? (
          <EmptyState title="No channels yet">Add a Slack, Teams, email, webhook, Discord, Google Chat or PagerDuty channel.</EmptyState>
        ) : (
          <Table head={["Name", "Type", "Target", "Status", ""]} caption="Channels">
            {list.data.map((c) => (
              <tr key={c.id}>
                <Td className="font-medium">{c.name}</Td>
                <Td>
                  <Badge>{c.type}</Badge>
                </Td>
                <Td className="font-mono text-xs">
                  {Object.entries(c.secretMasked)
                    .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(", ") || "—" : v || "—"}`)
                    .join(" · ")}
                </Td>
                <Td>
                  {c.enabled ? (
                    <Badge color="green">enabled</Badge>
                  ) : (
                    <Badge color={c.disabledReason ? "red" : "gray"} title={c.disabledReason ?? undefined}>
                      disabled
                    </Badge>
                  )}
                  {c.disabledReason && <span className="ml-2 text-xs text-rose-600 dark:text-rose-400">{c.disabledReason}</span>}
                </Td>
                <Td className="space-x-2 text-right">
                  <Button variant="secondary" aria-label={`Edit ${c.name}`} onClick={() => setEditing(c)}>
                    Edit
                  </Button>
                  <Button variant="secondary" onClick={() => toggle(c)} disabled={update.isPending}>
                    {c.enabled ? "Disable" : "Enable"}
                  </Button>
                  <ConfirmButton
                    variant="ghost"
                    aria-label={`Delete ${c.name}`}
                    title={`Delete the channel ${c.name}?`}
                    confirmLabel="Delete channel"
                    consequence={
                      <>
                        <p>
                          Notifications stop going to this {c.type} channel and its stored secrets are erased. A channel that routes still send to cannot be
                          deleted: remove it from those routes first.
                        </p>
                        <p>Its deliveries leave the delivery log with it. This cannot be undone.</p>
                      </>
                    }
                    onConfirm={async () => {
                      await remove.mutateAsync({ id: c.id });
                      toast({ message: `Channel ${c.name} deleted.` });
                    }}
                  >
                    Delete
                  </ConfirmButton>
                </Td>
              </tr>
            ))}
          </Table>
        )}
        <div className="mt-2 space-y-2">
          <ErrorMessage error={update.error} />
          <ErrorMessage error={reseal.error} />
        </div>
        <p className="mt-3 text-xs text-gray-500 dark:text-gray-400">
          Rotating the encryption key? Set the new PIER_ENCRYPTION_KEY, keep the old one in PIER_ENCRYPTION_KEYS_OLD, then{" "}
          <button type="button" className="text-brand-600 underline dark:text-brand-300" onClick={() => reseal.mutate()} disabled={reseal.isPending}>
            re-encrypt all channel secrets
          </button>
          {reseal.data && ` — ${reseal.data.reEncrypted} re-encrypted.`} After that the old key can be removed.
        </p>
      </Card>
    </>
  );
}
