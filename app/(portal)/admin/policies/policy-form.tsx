"use client";
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Button, ErrorMessage, Field, Input, Select } from "@/app/_components/ui";
import { formatMinutes } from "@/app/_lib/format";
import { fieldErrors, useTRPC } from "@/app/_lib/trpc";

type Option = { id: string; name: string };
type Policy = {
  id: string;
  name: string;
  serviceId: string | null;
  tier: number | null;
  requiredApprovals: number;
  approverRole: "developer" | "approver" | "admin" | null;
  allowOwningTeam: boolean;
  approverTeamId: string | null;
  expiryMinutes: number | null;
  waitTimerMinutes: number;
  allowSkipPromotion: boolean;
  autoRollback: boolean;
  allowBreakGlass: boolean;
};

export function PolicyForm({
  environmentId,
  teams,
  services,
  policy,
  onDone,
}: {
  environmentId: string;
  teams: Option[];
  services: Option[];
  policy?: Policy;
  onDone: () => void;
}) {
  const trpc = useTRPC();
  const save = useMutation(trpc.approvals.savePolicy.mutationOptions({ onSuccess: onDone }));
  const errors = fieldErrors(save.error);
  const p = policy;
  // The minutes as words next to the inputs ("4320" → "3 days"), so nobody has to do the arithmetic.
  const [expiry, setExpiry] = useState(p?.expiryMinutes?.toString() ?? "");
  const [wait, setWait] = useState((p?.waitTimerMinutes ?? 0).toString());
  const inWords = (v: string, none: string) => (v.trim() === "" || Number(v) === 0 ? none : Number.isFinite(Number(v)) ? formatMinutes(Number(v)) : undefined);
  const key = (k: string) => `${k}-${p?.id ?? environmentId}`;
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const text = (k: string) => String(f.get(k) ?? "");
    const num = (k: string) => (text(k) === "" ? null : Number(text(k)));
    save.mutate({
      id: p?.id,
      name: text("name"),
      environmentId,
      serviceId: text("serviceId") || null,
      tier: num("tier"),
      requiredApprovals: Number(text("requiredApprovals")),
      approverRole: (text("approverRole") || null) as Policy["approverRole"],
      allowOwningTeam: f.get("allowOwningTeam") === "on",
      approverTeamId: text("approverTeamId") || null,
      expiryMinutes: num("expiryMinutes"),
      waitTimerMinutes: Number(text("waitTimerMinutes") || 0),
      allowSkipPromotion: f.get("allowSkipPromotion") === "on",
      autoRollback: f.get("autoRollback") === "on",
      allowBreakGlass: f.get("allowBreakGlass") === "on",
    });
  }
  const box = (name: keyof Policy, label: string, def: boolean) => (
    <label className="flex items-center gap-2 text-sm">
      <input type="checkbox" name={name} defaultChecked={p ? Boolean(p[name]) : def} /> {label}
    </label>
  );
  return (
    <form onSubmit={submit} noValidate className="mt-3 grid gap-2 sm:grid-cols-3">
      <Field label="Name" htmlFor={key("name")} error={errors.name}>
        <Input id={key("name")} name="name" defaultValue={p?.name ?? ""} />
      </Field>
      <Field label="Only for service" htmlFor={key("serviceId")} error={errors.serviceId}>
        <Select id={key("serviceId")} name="serviceId" defaultValue={p?.serviceId ?? ""}>
          <option value="">Any service</option>
          {services.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
        </Select>
      </Field>
      <Field label="Only for tier" htmlFor={key("tier")} error={errors.tier}>
        <Select id={key("tier")} name="tier" defaultValue={p?.tier?.toString() ?? ""}>
          <option value="">Any tier</option>
          {[1, 2, 3].map((t) => (
            <option key={t} value={t}>
              Tier {t}
            </option>
          ))}
        </Select>
      </Field>
      <Field label="Approvals required" htmlFor={key("requiredApprovals")} error={errors.requiredApprovals}>
        <Input id={key("requiredApprovals")} name="requiredApprovals" type="number" min={0} max={10} defaultValue={p?.requiredApprovals ?? 1} />
      </Field>
      <Field label="Approver role" htmlFor={key("approverRole")} error={errors.approverRole}>
        <Select id={key("approverRole")} name="approverRole" defaultValue={p ? (p.approverRole ?? "") : "approver"}>
          <option value="">No role</option>
          <option value="approver">Approvers and admins</option>
          <option value="admin">Admins only</option>
        </Select>
      </Field>
      <Field label="Or members of team" htmlFor={key("approverTeamId")} error={errors.approverTeamId}>
        <Select id={key("approverTeamId")} name="approverTeamId" defaultValue={p?.approverTeamId ?? ""}>
          <option value="">No team</option>
          {teams.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name}
            </option>
          ))}
        </Select>
      </Field>
      <Field
        label="Approval expires after (minutes)"
        htmlFor={key("expiryMinutes")}
        error={errors.expiryMinutes}
        hint={inWords(expiry, "Empty: requests wait for approval indefinitely")}
      >
        <Input id={key("expiryMinutes")} name="expiryMinutes" type="number" min={5} value={expiry} onChange={(e) => setExpiry(e.target.value)} />
      </Field>
      <Field label="Wait timer (minutes)" htmlFor={key("waitTimerMinutes")} error={errors.waitTimerMinutes} hint={inWords(wait, "No wait after approval")}>
        <Input id={key("waitTimerMinutes")} name="waitTimerMinutes" type="number" min={0} value={wait} onChange={(e) => setWait(e.target.value)} />
      </Field>
      <div className="space-y-1 sm:col-span-3">
        {box("allowOwningTeam", "Members of the owning team may approve", false)}
        {box("allowSkipPromotion", "May skip promotion stages", false)}
        {box("autoRollback", "Roll back automatically on failure", false)}
        {box("allowBreakGlass", "Allow break-glass", true)}
      </div>
      <div className="space-y-2 sm:col-span-3">
        {save.error && !Object.keys(errors).length && <ErrorMessage error={save.error} />}
        <Button type="submit" disabled={save.isPending}>
          {p ? "Save policy" : "Add policy"}
        </Button>
      </div>
    </form>
  );
}
