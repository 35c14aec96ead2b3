"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Badge, Button, Card, ErrorMessage, Field, Input, Spinner, Table, Td, formatDateTime } from "@/app/_components/ui";
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
                <Td className="font-mono text-xs">
                  {(s.matchers as { label: string; op: string; value: string }[]).map((m) => `${m.label}${m.op}"${m.value}"`).join(", ")}
                </Td>
                <Td>{s.reason}</Td>
                <Td className="text-xs">{formatDateTime(s.endsAt)}</Td>
                <Td>{active ? <Badge color="yellow">active</Badge> : <Badge>expired</Badge>}</Td>
                <Td>
                  {active && (
                    <Button variant="secondary" onClick={() => expire.mutate({ id: s.id })}>
                      Expire now
                    </Button>
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
