"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Badge, Button, Card, ErrorMessage, Field, Input, Select, Spinner } from "@/app/_components/ui";
import { fieldErrors, useTRPC } from "@/app/_lib/trpc";
import { PolicyForm } from "./policy-form";

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
type Option = { id: string; name: string };

function FreezeForm({ environmentId, onDone }: { environmentId: string; onDone: () => void }) {
  const trpc = useTRPC();
  const [kind, setKind] = useState<"range" | "weekly">("weekly");
  const add = useMutation(trpc.approvals.addFreezeWindow.mutationOptions({ onSuccess: onDone }));
  const errors = fieldErrors(add.error);
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const text = (k: string) => String(f.get(k) ?? "");
    add.mutate({
      environmentId,
      kind,
      startsAt: kind === "range" && text("startsAt") ? new Date(text("startsAt")) : null,
      endsAt: kind === "range" && text("endsAt") ? new Date(text("endsAt")) : null,
      daysOfWeek: f.getAll("daysOfWeek").map(Number),
      startTime: text("startTime") || null,
      endTime: text("endTime") || null,
      timeZone: text("timeZone") || "UTC",
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
              <p role="alert" className="text-xs text-rose-600">
                {errors.daysOfWeek[0]}
              </p>
            )}
          </fieldset>
          <Field label="From (HH:MM)" htmlFor={`st-${environmentId}`} error={errors.startTime}>
            <Input id={`st-${environmentId}`} name="startTime" placeholder="16:00" />
          </Field>
          <Field label="Until (HH:MM)" htmlFor={`et-${environmentId}`} error={errors.endTime}>
            <Input id={`et-${environmentId}`} name="endTime" placeholder="08:00" />
          </Field>
          <Field label="Time zone" htmlFor={`tz-${environmentId}`} error={errors.timeZone}>
            <Input id={`tz-${environmentId}`} name="timeZone" defaultValue="UTC" />
          </Field>
        </>
      )}
      <div className="sm:col-span-2">
        <Button type="submit" variant="secondary" disabled={add.isPending}>
          Add freeze window
        </Button>
      </div>
    </form>
  );
}

export function PolicyAdmin({ teams, services }: { teams: Option[]; services: Option[] }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const list = useQuery(trpc.approvals.policies.queryOptions());
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.approvals.policies.queryKey() });
  const delPolicy = useMutation(trpc.approvals.deletePolicy.mutationOptions({ onSuccess: refresh }));
  const delWindow = useMutation(trpc.approvals.deleteFreezeWindow.mutationOptions({ onSuccess: refresh }));
  const [editing, setEditing] = useState<string | null>(null);
  if (list.isLoading) return <Spinner />;
  if (!list.data) return <ErrorMessage error={list.error} />;
  return (
    <div className="space-y-4">
      <ErrorMessage error={delPolicy.error ?? delWindow.error} />
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
                    {p.requiredApprovals} approval(s)
                    {p.waitTimerMinutes > 0 && ` · wait ${p.waitTimerMinutes} min`}
                    {p.expiryMinutes && ` · expires after ${p.expiryMinutes} min`}
                    {p.autoRollback && " · auto-rollback"}
                    {p.allowSkipPromotion && " · may skip stages"}
                    {!p.allowBreakGlass && " · no break-glass"}
                  </span>
                  <span className="flex gap-2">
                    <Button variant="ghost" onClick={() => setEditing(editing === p.id ? null : p.id)}>
                      Edit
                    </Button>
                    <Button variant="ghost" onClick={() => delPolicy.mutate({ id: p.id })}>
                      Delete
                    </Button>
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
              <li className="text-gray-500">No policy: {env.isProduction ? "1 approver needed by default" : "no approval needed by default"}.</li>
            )}
          </ul>
          <details className="mt-3">
            <summary className="cursor-pointer text-sm font-medium">Add a policy</summary>
            <PolicyForm environmentId={env.id} teams={teams} services={services} onDone={refresh} />
          </details>
          <h3 className="mt-4 text-sm font-semibold">Freeze windows</h3>
          <ul className="mt-1 space-y-1 text-sm">
            {env.freezeWindows.map((w) => (
              <li key={w.id} className="flex items-center justify-between gap-2">
                <span>
                  {w.kind === "range"
                    ? `${new Date(w.startsAt!).toISOString().slice(0, 16)} – ${new Date(w.endsAt!).toISOString().slice(0, 16)} UTC`
                    : `${w.daysOfWeek.map((d) => DAYS[d]).join(", ")} ${w.startTime}–${w.endTime} ${w.timeZone}`}
                  {w.reason && ` · ${w.reason}`}
                </span>
                <Button variant="ghost" onClick={() => delWindow.mutate({ id: w.id })}>
                  Remove
                </Button>
              </li>
            ))}
            {env.freezeWindows.length === 0 && <li className="text-gray-500">None.</li>}
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
