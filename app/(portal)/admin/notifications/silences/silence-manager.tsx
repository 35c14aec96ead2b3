"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ConfirmButton } from "@/app/_components/confirm-dialog";
import { DateTime } from "@/app/_components/time";
import { useToast } from "@/app/_components/toast";
import { Badge, Button, Card, ErrorMessage, Field, Input, Spinner, Table, Td } from "@/app/_components/ui";
import { fieldErrors, useTRPC } from "@/app/_lib/trpc";

/** "service=checkout-api, environment=~prod|staging" → matchers. */
function parseMatchers(text: string) {
  return text
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => {
      const m = /^([^=!~\s]+)\s*(=~|!~|!=|=)\s*(.*)$/.exec(p);
      return m ? { label: m[1], op: m[2] as "=" | "!=" | "=~" | "!~", value: m[3].replace(/^"|"$/g, "") } : { label: p, op: "=" as const, value: "" };
    });
}

export function SilenceManager() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const list = useQuery(trpc.notifications.listSilences.queryOptions());
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.notifications.listSilences.queryKey() });
  const create = useMutation(trpc.notifications.createSilence.mutationOptions({ onSuccess: refresh }));
  const expire = useMutation(trpc.notifications.expireSilence.mutationOptions({ onSuccess: refresh }));
  const errors = fieldErrors(create.error);
  const toast = useToast();
  const describe = (matchers: unknown) => (matchers as { label: string; op: string; value: string }[]).map((m) => `${m.label}${m.op}"${m.value}"`).join(", ");
  return (
    <div className="space-y-4">
      <Card title="New silence">
        <form
          noValidate
          className="grid gap-3 sm:grid-cols-2"
          onSubmit={(e) => {
            e.preventDefault();
            const form = e.currentTarget;
            const f = new FormData(form);
            const hours = Number(f.get("hours") || 1);
            create.mutate(
              {
                matchers: parseMatchers(String(f.get("matchers") ?? "")),
                startsAt: new Date(),
                endsAt: new Date(Date.now() + hours * 3600_000),
                reason: String(f.get("reason") ?? ""),
              },
              { onSuccess: () => form.reset() },
            );
          }}
        >
          <Field label="Matchers" htmlFor="sil-matchers" error={errors.matchers} hint='e.g. service=checkout-api, environment=~"prod|staging"'>
            <Input id="sil-matchers" name="matchers" aria-invalid={!!errors.matchers} />
          </Field>
          <Field label="Duration (hours)" htmlFor="sil-hours" error={errors.endsAt}>
            <Input id="sil-hours" name="hours" type="number" min={0.25} step={0.25} defaultValue={2} />
          </Field>
          <div className="sm:col-span-2">
            <Field label="Reason" htmlFor="sil-reason" error={errors.reason}>
              <Input id="sil-reason" name="reason" aria-invalid={!!errors.reason} />
            </Field>
          </div>
          <div>
            <Button type="submit" disabled={create.isPending}>
              Create silence
            </Button>
            {create.error && !Object.keys(errors).length && <ErrorMessage error={create.error} />}
          </div>
        </form>
      </Card>
      {list.isPending ? (
        <Spinner />
      ) : (
        <Table head={["Matchers", "Reason", "Until", "", ""]} caption="Silences">
          {list.data?.map((s) => {
            const active = s.active;
            return (
              <tr key={s.id}>
                <Td className="font-mono text-xs">{describe(s.matchers)}</Td>
                <Td>{s.reason}</Td>
                <Td className="text-xs">
                  <DateTime value={s.endsAt} />
                </Td>
                <Td>{active ? <Badge color="yellow">active</Badge> : <Badge>expired</Badge>}</Td>
                <Td>
                  {active && (
                    <ConfirmButton
                      variant="secondary"
                      aria-label={`Expire the silence ${describe(s.matchers)}`}
                      title="End this silence now?"
                      confirmLabel="Expire silence"
                      consequence={`Notifications matching ${describe(s.matchers) || "it"} are sent again from now on, instead of being suppressed until it ends. Those it suppressed so far stay suppressed.`}
                      onConfirm={async () => {
                        await expire.mutateAsync({ id: s.id });
                        toast({ message: "Silence expired: matching notifications are sent again." });
                      }}
                    >
                      Expire now
                    </ConfirmButton>
                  )}
                </Td>
              </tr>
            );
          })}
        </Table>
      )}
    </div>
  );
}
