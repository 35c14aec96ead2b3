"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { ConfirmButton } from "@/app/_components/confirm-dialog";
import { useTimeZone } from "@/app/_components/time";
import { TimeZoneSelect } from "@/app/_components/time-zone-select";
import { useToast } from "@/app/_components/toast";
import { Badge, Button, Card, ErrorMessage, Field, Input, Select, Spinner, type BadgeColor } from "@/app/_components/ui";
import { formatDateTime, formatMinutes, zonedInputToDate } from "@/app/_lib/format";
import { fieldErrors, useTRPC } from "@/app/_lib/trpc";
import { plural } from "@/app/_lib/plural";
import { PolicyForm } from "./policy-form";

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
type Option = { id: string; name: string };
type FreezeState = "active" | "upcoming" | "expired" | "recurring";
const FREEZE_BADGE: Record<FreezeState, { color: BadgeColor; label: string } | null> = {
  active: { color: "red", label: "freezing now" },
  upcoming: { color: "blue", label: "upcoming" },
  expired: { color: "gray", label: "expired" },
  recurring: null,
};

function FreezeForm({ environmentId, onDone }: { environmentId: string; onDone: () => void }) {
  const trpc = useTRPC();
  const myZone = useTimeZone();
  const [kind, setKind] = useState<"range" | "weekly">("weekly");
  const add = useMutation(trpc.approvals.addFreezeWindow.mutationOptions({ onSuccess: onDone }));
  const errors = fieldErrors(add.error);
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const text = (k: string) => String(f.get(k) ?? "");
    // A range's dates are wall-clock times in the chosen zone, whatever zone the browser runs in.
    const timeZone = text("timeZone") || "UTC";
    const at = (k: string) => (kind === "range" ? zonedInputToDate(text(k), timeZone) : null);
    add.mutate({
      environmentId,
      kind,
      startsAt: at("startsAt"),
      endsAt: at("endsAt"),
      daysOfWeek: f.getAll("daysOfWeek").map(Number),
      startTime: text("startTime") || null,
      endTime: text("endTime") || null,
      timeZone,
      reason: text("reason"),
    });
  }
  return (
    <form onSubmit={submit} noValidate className="mt-3 grid gap-2 rounded-md border border-dashed border-gray-300 p-3 sm:grid-cols-2 dark:border-gray-700">
      <Field label="Kind" htmlFor={`kind-${environmentId}`}>
        <Select id={`kind-${environmentId}`} value={kind} onChange={(e) => setKind(e.target.value as "range" | "weekly")}>
          <option value="weekly">Weekly</option>
          <option value="range">Date range</option>
        </Select>
      </Field>
      <Field label="Reason" htmlFor={`reason-${environmentId}`}>
        <Input id={`reason-${environmentId}`} name="reason" />
      </Field>
      {kind === "range" ? (
        <>
          <Field label="Starts" htmlFor={`s-${environmentId}`} error={errors.startsAt}>
            <Input id={`s-${environmentId}`} name="startsAt" type="datetime-local" />
          </Field>
          <Field label="Ends" htmlFor={`e-${environmentId}`} error={errors.endsAt}>
            <Input id={`e-${environmentId}`} name="endsAt" type="datetime-local" />
          </Field>
        </>
      ) : (
        <>
          <fieldset className="sm:col-span-2">
            <legend className="text-sm font-medium">Days</legend>
            <div className="flex flex-wrap gap-3 text-sm">
              {DAYS.map((d, i) => (
                <label key={d} className="flex items-center gap-1">
                  <input type="checkbox" name="daysOfWeek" value={i} /> {d}
                </label>
              ))}
            </div>
            {errors.daysOfWeek && (
              <p role="alert" className="text-xs text-rose-600 dark:text-rose-400">
                {errors.daysOfWeek[0]}
              </p>
            )}
          </fieldset>
          <Field label="From" htmlFor={`st-${environmentId}`} error={errors.startTime}>
            <Input id={`st-${environmentId}`} name="startTime" type="time" defaultValue="16:00" />
          </Field>
          <Field label="Until" htmlFor={`et-${environmentId}`} error={errors.endTime} hint="Earlier than From: the window runs past midnight.">
            <Input id={`et-${environmentId}`} name="endTime" type="time" defaultValue="08:00" />
          </Field>
        </>
      )}
      <Field
        label="Time zone"
        htmlFor={`tz-${environmentId}`}
        error={errors.timeZone}
        hint={kind === "range" ? "The zone the dates above are in." : "The zone whose clock the window follows, daylight saving included."}
      >
        <TimeZoneSelect id={`tz-${environmentId}`} name="timeZone" defaultValue={myZone} />
      </Field>
      <div className="sm:col-span-2">
        <Button type="submit" variant="secondary" disabled={add.isPending}>
          Add freeze window
        </Button>
      </div>
    </form>
  );
}

type WindowView = {
  kind: string;
  startsAt: Date | null;
  endsAt: Date | null;
  daysOfWeek: number[];
  startTime: string | null;
  endTime: string | null;
  timeZone: string;
};

/** A range in the reader's zone; a weekly window in its own zone, which is what its times mean. */
function describeWindow(w: WindowView, timeZone: string) {
  if (w.kind === "range") return `${formatDateTime(w.startsAt, timeZone)} – ${formatDateTime(w.endsAt, timeZone)}`;
  return `${w.daysOfWeek.map((d) => DAYS[d]).join(", ")} ${w.startTime}–${w.endTime} ${w.timeZone}`;
}

export function PolicyAdmin({ teams, services }: { teams: Option[]; services: Option[] }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const list = useQuery(trpc.approvals.policies.queryOptions());
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.approvals.policies.queryKey() });
  const delPolicy = useMutation(trpc.approvals.deletePolicy.mutationOptions({ onSuccess: refresh }));
  const delWindow = useMutation(trpc.approvals.deleteFreezeWindow.mutationOptions({ onSuccess: refresh }));
  const toast = useToast();
  const timeZone = useTimeZone();
  const [editing, setEditing] = useState<string | null>(null);
  if (list.isLoading) return <Spinner />;
  if (!list.data) return <ErrorMessage error={list.error} />;
  return (
    <div className="space-y-4">
      {list.data.map((env) => (
        <Card
          key={env.id}
          title={
            <span>
              {env.name} {env.isProduction && <Badge color="red">production</Badge>}
            </span>
          }
        >
          <ul className="space-y-2 text-sm">
            {env.policies.map((p) => (
              <li key={p.id} className="rounded-md border border-gray-200 p-2 dark:border-gray-800">
                <div className="flex flex-wrap items-center justify-between gap-2">
                  <span>
                    <strong>{p.name}</strong> · {p.service ? `service ${p.service.name}` : p.tier ? `tier ${p.tier}` : "whole environment"} ·{" "}
                    {plural(p.requiredApprovals, "approval")}
                    {p.waitTimerMinutes > 0 && ` · waits ${formatMinutes(p.waitTimerMinutes)}`}
                    {p.expiryMinutes && ` · approval expires after ${formatMinutes(p.expiryMinutes)}`}
                    {p.autoRollback && " · auto-rollback"}
                    {p.allowSkipPromotion && " · may skip stages"}
                    {!p.allowBreakGlass && " · no break-glass"}
                  </span>
                  <span className="flex gap-2">
                    <Button variant="ghost" onClick={() => setEditing(editing === p.id ? null : p.id)}>
                      Edit
                    </Button>
                    <ConfirmButton
                      variant="ghost"
                      aria-label={`Delete policy ${p.name}`}
                      title={`Delete the policy “${p.name}”?`}
                      confirmLabel="Delete policy"
                      consequence={
                        <>
                          <p>
                            New requests to {env.name}
                            {p.service ? ` for ${p.service.name}` : p.tier ? ` for tier ${p.tier} services` : ""} will follow the next broader policy, or the
                            default ({env.isProduction ? "1 approver" : "no approval"}) if there is none.
                          </p>
                          <p>Requests already made keep the policy they were made under.</p>
                        </>
                      }
                      onConfirm={async () => {
                        await delPolicy.mutateAsync({ id: p.id });
                        toast({ message: `Policy “${p.name}” deleted.` });
                      }}
                    >
                      Delete
                    </ConfirmButton>
                  </span>
                </div>
                {editing === p.id && (
                  <PolicyForm
                    environmentId={env.id}
                    teams={teams}
                    services={services}
                    policy={p}
                    onDone={() => {
                      setEditing(null);
                      void refresh();
                    }}
                  />
                )}
              </li>
            ))}
            {env.policies.length === 0 && (
              <li className="text-gray-500 dark:text-gray-400">
                No policy: {env.isProduction ? "1 approver needed by default" : "no approval needed by default"}.
              </li>
            )}
          </ul>
          <details className="mt-3">
            <summary className="cursor-pointer text-sm font-medium">Add a policy</summary>
            <PolicyForm environmentId={env.id} teams={teams} services={services} onDone={refresh} />
          </details>
          <h3 className="mt-4 text-sm font-semibold">Freeze windows</h3>
          <ul className="mt-1 space-y-1 text-sm">
            {env.freezeWindows.map((w) => (
              <li key={w.id} className="flex items-center justify-between gap-2" data-testid="freeze-window">
                <span className={w.state === "expired" ? "text-gray-500 dark:text-gray-400" : undefined}>
                  {describeWindow(w, timeZone)}
                  {w.reason && ` · ${w.reason}`} {FREEZE_BADGE[w.state] && <Badge color={FREEZE_BADGE[w.state]!.color}>{FREEZE_BADGE[w.state]!.label}</Badge>}
                </span>
                <ConfirmButton
                  variant="ghost"
                  aria-label={`Remove freeze window ${describeWindow(w, timeZone)}`}
                  title={`Remove the freeze window ${describeWindow(w, timeZone)}?`}
                  confirmLabel="Remove freeze window"
                  consequence={
                    w.state === "expired"
                      ? "It is over and holds nothing any more; removing it only tidies the list."
                      : `Normal requests to ${env.name} will no longer be held by it${w.state === "active" ? ": approved requests it holds now may start at once" : ""}.`
                  }
                  onConfirm={async () => {
                    await delWindow.mutateAsync({ id: w.id });
                    toast({ message: `Freeze window removed from ${env.name}.` });
                  }}
                >
                  Remove
                </ConfirmButton>
              </li>
            ))}
            {env.freezeWindows.length === 0 && <li className="text-gray-500 dark:text-gray-400">None.</li>}
          </ul>
          <details className="mt-2">
            <summary className="cursor-pointer text-sm font-medium">Add a freeze window</summary>
            <FreezeForm environmentId={env.id} onDone={refresh} />
          </details>
        </Card>
      ))}
    </div>
  );
}
