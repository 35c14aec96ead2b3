"use client";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { useTimeZone } from "@/app/_components/time";
import { TimeZoneSelect } from "@/app/_components/time-zone-select";
import { Button, ErrorMessage, Field, Input, Select } from "@/app/_components/ui";
import { fieldErrors, useTRPC } from "@/app/_lib/trpc";
import type { ChannelView, RouteView } from "../_components/types";

type Matcher = { label: string; op: "=" | "!=" | "=~" | "!~"; value: string };
const ROLES = [
  ["owning_team_oncall", "Owning team's on-call"],
  ["eligible_approvers", "Eligible approvers"],
  ["requester", "Requester"],
] as const;
type Role = (typeof ROLES)[number][0];
const SEVERITIES = ["critical", "high", "medium", "low", "info"] as const;
const num = (v: FormDataEntryValue | null, d: number) => (v === null || v === "" ? d : Number(v));

export function RouteForm({ route, channels, onSaved }: { route: RouteView | null; channels: ChannelView[]; onSaved: () => void }) {
  const trpc = useTRPC();
  const opts = { onSuccess: onSaved };
  const create = useMutation(trpc.notifications.createRoute.mutationOptions(opts));
  const update = useMutation(trpc.notifications.updateRoute.mutationOptions(opts));
  const error = create.error ?? update.error;
  const errors = fieldErrors(error);
  const [matchers, setMatchers] = useState<Matcher[]>(route?.matchers ?? [{ label: "type", op: "=", value: "" }]);
  const [quiet, setQuiet] = useState(!!route?.quietHours);
  const [escalate, setEscalate] = useState(!!route?.escalation);
  const myZone = useTimeZone();

  function submit(form: HTMLFormElement) {
    const f = new FormData(form);
    const all = (k: string) => f.getAll(k).map(String);
    const input = {
      name: String(f.get("name") ?? ""),
      enabled: f.get("enabled") === "on",
      matchers: matchers.filter((m) => m.label.trim()),
      continue: f.get("continue") === "on",
      channelIds: all("channelIds"),
      roleRecipients: all("roleRecipients") as Role[],
      groupBy: String(f.get("groupBy") ?? "")
        .split(/[,\s]+/)
        .filter(Boolean),
      groupWaitSec: num(f.get("groupWaitSec"), 0),
      groupIntervalSec: num(f.get("groupIntervalSec"), 300),
      repeatIntervalSec: num(f.get("repeatIntervalSec"), 0),
      quietHours: quiet
        ? {
            timeZone: String(f.get("qhTimeZone")),
            start: String(f.get("qhStart")),
            end: String(f.get("qhEnd")),
            action: f.get("qhAction") as "hold" | "drop",
            exceptSeverities: all("qhExcept") as (typeof SEVERITIES)[number][],
          }
        : null,
      escalation: escalate ? { afterMinutes: num(f.get("escAfter"), 30), channelIds: all("escChannels"), roleRecipients: all("escRoles") as Role[] } : null,
    };
    if (route) update.mutate({ ...input, id: route.id });
    else create.mutate(input);
  }

  const setMatcher = (i: number, patch: Partial<Matcher>) => setMatchers((ms) => ms.map((m, j) => (j === i ? { ...m, ...patch } : m)));
  const checkboxes = (name: string, items: readonly (readonly [string, string])[], checked: string[]) => (
    <div className="flex flex-wrap gap-x-4 gap-y-1">
      {items.map(([value, label]) => (
        <label key={value} className="flex items-center gap-1.5 text-sm">
          <input type="checkbox" name={name} value={value} defaultChecked={checked.includes(value)} /> {label}
        </label>
      ))}
    </div>
  );
  const channelItems = channels.map((c) => [c.id, `${c.name} (${c.type})`] as const);

  return (
    <form noValidate className="space-y-4" onSubmit={(e) => (e.preventDefault(), submit(e.currentTarget))}>
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label="Route name" htmlFor="rt-name" error={errors.name}>
          <Input id="rt-name" name="name" defaultValue={route?.name} aria-invalid={!!errors.name} />
        </Field>
        <div className="flex items-end gap-4 text-sm">
          <label className="flex items-center gap-1.5">
            <input type="checkbox" name="enabled" defaultChecked={route?.enabled ?? true} /> Enabled
          </label>
          <label className="flex items-center gap-1.5">
            <input type="checkbox" name="continue" defaultChecked={route?.continue ?? false} /> Continue to later routes
          </label>
        </div>
      </div>
      <fieldset className="space-y-2">
        <legend className="text-sm font-medium">Matchers (all must hold; labels: type, service, team, environment, tier, severity, …)</legend>
        {matchers.map((m, i) => (
          <div key={i} className="grid grid-cols-[1fr_auto_2fr_auto] gap-2">
            <Input aria-label={`Matcher ${i + 1} label`} value={m.label} onChange={(e) => setMatcher(i, { label: e.target.value })} placeholder="label" />
            <Select aria-label={`Matcher ${i + 1} operator`} value={m.op} onChange={(e) => setMatcher(i, { op: e.target.value as Matcher["op"] })}>
              <option value="=">=</option>
              <option value="!=">!=</option>
              <option value="=~">=~ regex</option>
              <option value="!~">!~ regex</option>
            </Select>
            <Input aria-label={`Matcher ${i + 1} value`} value={m.value} onChange={(e) => setMatcher(i, { value: e.target.value })} placeholder="value" />
            <Button variant="ghost" aria-label={`Remove matcher ${i + 1}`} onClick={() => setMatchers((ms) => ms.filter((_, j) => j !== i))}>
              ✕
            </Button>
          </div>
        ))}
        {errors.matchers && (
          <p role="alert" className="text-xs text-rose-600 dark:text-rose-400">
            {errors.matchers[0]}
          </p>
        )}
        <Button variant="secondary" onClick={() => setMatchers((ms) => [...ms, { label: "", op: "=", value: "" }])}>
          Add matcher
        </Button>
      </fieldset>
      <Field label="Channels" error={errors.channelIds}>
        {channels.length ? (
          checkboxes("channelIds", channelItems, route?.channelIds ?? [])
        ) : (
          <p className="text-sm text-gray-500 dark:text-gray-400">Create a channel first.</p>
        )}
      </Field>
      <Field label="Role recipients (resolved when sent)" error={errors.roleRecipients}>
        {checkboxes("roleRecipients", ROLES, route?.roleRecipients ?? [])}
      </Field>
      <div className="grid gap-3 sm:grid-cols-4">
        <Field label="Group by labels" htmlFor="rt-groupby" error={errors.groupBy} hint="e.g. service, environment">
          <Input id="rt-groupby" name="groupBy" defaultValue={route?.groupBy.join(", ")} />
        </Field>
        <Field label="Group wait (s)" htmlFor="rt-gw" error={errors.groupWaitSec}>
          <Input id="rt-gw" name="groupWaitSec" type="number" min={0} defaultValue={route?.groupWaitSec ?? 0} />
        </Field>
        <Field label="Group interval (s)" htmlFor="rt-gi" error={errors.groupIntervalSec}>
          <Input id="rt-gi" name="groupIntervalSec" type="number" min={0} defaultValue={route?.groupIntervalSec ?? 300} />
        </Field>
        <Field label="Repeat interval (s)" htmlFor="rt-ri" error={errors.repeatIntervalSec} hint="0 = never throttle">
          <Input id="rt-ri" name="repeatIntervalSec" type="number" min={0} defaultValue={route?.repeatIntervalSec ?? 0} />
        </Field>
      </div>
      <fieldset className="space-y-2 rounded-md border border-gray-200 p-3 dark:border-gray-800">
        <legend className="px-1 text-sm">
          <label className="flex items-center gap-1.5">
            <input type="checkbox" checked={quiet} onChange={(e) => setQuiet(e.target.checked)} /> Quiet hours
          </label>
        </legend>
        {quiet && (
          <div className="grid gap-3 sm:grid-cols-4">
            <Field label="Time zone" htmlFor="qh-tz" error={errors["quietHours.timeZone"] ?? errors.quietHours}>
              <TimeZoneSelect id="qh-tz" name="qhTimeZone" defaultValue={route?.quietHours?.timeZone ?? myZone} />
            </Field>
            <Field label="From" htmlFor="qh-start">
              <Input id="qh-start" name="qhStart" type="time" defaultValue={route?.quietHours?.start ?? "22:00"} />
            </Field>
            <Field label="Until" htmlFor="qh-end">
              <Input id="qh-end" name="qhEnd" type="time" defaultValue={route?.quietHours?.end ?? "07:00"} />
            </Field>
            <Field label="Then" htmlFor="qh-action">
              <Select id="qh-action" name="qhAction" defaultValue={route?.quietHours?.action ?? "hold"}>
                <option value="hold">Hold until morning</option>
                <option value="drop">Drop</option>
              </Select>
            </Field>
            <div className="sm:col-span-4">
              <Field label="Except these severities (always sent)">
                {checkboxes(
                  "qhExcept",
                  SEVERITIES.map((s) => [s, s] as const),
                  route?.quietHours?.exceptSeverities ?? ["critical"],
                )}
              </Field>
            </div>
          </div>
        )}
      </fieldset>
      <fieldset className="space-y-2 rounded-md border border-gray-200 p-3 dark:border-gray-800">
        <legend className="px-1 text-sm">
          <label className="flex items-center gap-1.5">
            <input type="checkbox" checked={escalate} onChange={(e) => setEscalate(e.target.checked)} /> Escalate pending approvals
          </label>
        </legend>
        {escalate && (
          <div className="space-y-3">
            <Field label="After (minutes)" htmlFor="esc-after" error={errors.escalation ?? errors["escalation.channelIds"]}>
              <Input id="esc-after" name="escAfter" type="number" min={1} defaultValue={route?.escalation?.afterMinutes ?? 30} className="max-w-32" />
            </Field>
            <Field label="Escalate to channels">{checkboxes("escChannels", channelItems, route?.escalation?.channelIds ?? [])}</Field>
            <Field label="…and recipients">{checkboxes("escRoles", ROLES, route?.escalation?.roleRecipients ?? [])}</Field>
          </div>
        )}
      </fieldset>
      <div>
        <Button type="submit" disabled={create.isPending || update.isPending}>
          {route ? "Save route" : "Create route"}
        </Button>
        {error && !Object.keys(errors).length && <ErrorMessage error={error} />}
      </div>
    </form>
  );
}
