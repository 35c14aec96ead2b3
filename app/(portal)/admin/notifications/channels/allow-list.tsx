"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ConfirmButton } from "@/app/_components/confirm-dialog";
import { useToast } from "@/app/_components/toast";
import { Button, Card, ErrorMessage, Field, Input } from "@/app/_components/ui";
import { fieldErrors, useTRPC } from "@/app/_lib/trpc";

/** Hosts the SSRF guard would refuse (loopback, private ranges, http) that an admin explicitly trusts. */
export function AllowList() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const list = useQuery(trpc.notifications.listAllowList.queryOptions());
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.notifications.listAllowList.queryKey() });
  const add = useMutation(trpc.notifications.addAllowEntry.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.notifications.removeAllowEntry.mutationOptions({ onSuccess: refresh }));
  const errors = fieldErrors(add.error);
  const toast = useToast();
  return (
    <Card title="Outbound allow-list">
      <p className="mb-3 text-sm text-gray-600 dark:text-gray-400">
        Pier only calls https URLs on public addresses. Hosts listed here may use http and private or loopback addresses.
      </p>
      <ul className="mb-3 divide-y divide-gray-100 text-sm dark:divide-gray-800">
        {list.data?.map((e) => (
          <li key={e.id} className="flex items-center justify-between gap-2 py-1.5">
            <span>
              <code>{e.pattern}</code> <span className="text-gray-500 dark:text-gray-400">— {e.reason}</span>
            </span>
            <ConfirmButton
              variant="ghost"
              aria-label={`Remove ${e.pattern} from the allow-list`}
              title={`Stop allowing ${e.pattern}?`}
              confirmLabel="Remove from allow-list"
              consequence="Channels and executors whose URLs point at this host are refused from now on: their deliveries and runs fail until it is allowed again."
              onConfirm={async () => {
                await remove.mutateAsync({ id: e.id });
                toast({ message: `${e.pattern} is no longer allowed.` });
              }}
            >
              Remove
            </ConfirmButton>
          </li>
        ))}
      </ul>
      <form
        noValidate
        className="grid gap-3 sm:grid-cols-[1fr_2fr_auto] sm:items-end"
        onSubmit={(e) => {
          e.preventDefault();
          const form = e.currentTarget;
          const f = new FormData(form);
          add.mutate({ pattern: String(f.get("pattern") ?? ""), reason: String(f.get("reason") ?? "") }, { onSuccess: () => form.reset() });
        }}
      >
        <Field label="Host or host:port" htmlFor="allow-pattern" error={errors.pattern}>
          <Input id="allow-pattern" name="pattern" placeholder="127.0.0.1:8080" aria-invalid={!!errors.pattern} />
        </Field>
        <Field label="Reason" htmlFor="allow-reason" error={errors.reason}>
          <Input id="allow-reason" name="reason" aria-invalid={!!errors.reason} />
        </Field>
        <Button type="submit" disabled={add.isPending}>
          Allow host
        </Button>
      </form>
      {add.error && !Object.keys(errors).length && <ErrorMessage error={add.error} />}
    </Card>
  );
}
