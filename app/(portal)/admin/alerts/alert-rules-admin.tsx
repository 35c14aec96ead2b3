"use client";
// Alert rules: list with state, create/edit form (errors next to the field), mute for a while, delete (confirmed).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { ConfirmButton } from "@/app/_components/confirm-dialog";
import { useToast } from "@/app/_components/toast";
import { Badge, Button, Card, ErrorMessage, Field, Input, Select, Spinner, Table, Td, type BadgeColor } from "@/app/_components/ui";
import { fieldErrors, useTRPC } from "@/app/_lib/trpc";

type Option = { id: string; name: string };
const STATE: Record<string, { color: BadgeColor; label: string }> = {
  firing: { color: "red", label: "firing" },
  ok: { color: "green", label: "ok" },
  no_data: { color: "gray", label: "no data" },
};

type Rule = {
  id: string;
  name: string;
  metric: string;
  kind: string;
  direction: string;
  threshold: number | null;
  windowDays: number;
  baselineWeeks: number;
  sensitivity: number;
  teamId: string | null;
  serviceId: string | null;
  environmentId: string | null;
  severity: string;
};

function RuleForm({
  rule,
  teams,
  services,
  environments,
  onDone,
}: {
  rule?: Rule;
  teams: Option[];
  services: Option[];
  environments: Option[];
  onDone: () => void;
}) {
  const trpc = useTRPC();
  const metrics = useQuery(trpc.analytics.alertRules.metrics.queryOptions());
  const [kind, setKind] = useState(rule?.kind ?? "threshold");
  const create = useMutation(trpc.analytics.alertRules.create.mutationOptions({ onSuccess: onDone }));
  const update = useMutation(trpc.analytics.alertRules.update.mutationOptions({ onSuccess: onDone }));
  const error = rule ? update.error : create.error;
  const errors = fieldErrors(error);
  const fid = (k: string) => `${k}-${rule?.id ?? "new"}`;
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const text = (k: string) => String(f.get(k) ?? "");
    const number = (k: string) => (text(k).trim() === "" ? undefined : Number(text(k)));
    const input = {
      name: text("name"),
      metric: text("metric") as "change_failure_rate",
      kind: kind as "threshold" | "anomaly",
      direction: text("direction") as "above",
      threshold: kind === "threshold" ? (number("threshold") ?? null) : null,
      windowDays: number("windowDays"),
      baselineWeeks: number("baselineWeeks"),
      sensitivity: number("sensitivity"),
      teamId: text("teamId") || null,
      serviceId: text("serviceId") || null,
      environmentId: text("environmentId") || null,
      severity: text("severity") as "high",
    };
    if (rule) update.mutate({ id: rule.id, rule: input });
    else create.mutate(input);
  }
  const pick = (name: string, label: string, options: Option[], value: string | null | undefined, empty: string) => (
    <Field label={label} htmlFor={fid(name)} error={errors[name]}>
      <Select id={fid(name)} name={name} defaultValue={value ?? ""}>
        <option value="">{empty}</option>
        {options.map((o) => (
          <option key={o.id} value={o.id}>
            {o.name}
          </option>
        ))}
      </Select>
    </Field>
  );
  return (
    <form onSubmit={submit} noValidate className="grid gap-3 sm:grid-cols-3" aria-label={rule ? `Edit ${rule.name}` : "New alert rule"}>
      <Field label="Name" htmlFor={fid("name")} error={errors.name}>
        <Input id={fid("name")} name="name" defaultValue={rule?.name} />
      </Field>
      <Field label="Metric" htmlFor={fid("metric")} error={errors.metric}>
        <Select id={fid("metric")} name="metric" defaultValue={rule?.metric ?? "change_failure_rate"}>
          {Object.entries(metrics.data ?? {}).map(([key, m]) => (
            <option key={key} value={key}>
              {m.label}
            </option>
          ))}
        </Select>
      </Field>
      <Field label="Kind" htmlFor={fid("kind")} error={errors.kind}>
        <Select id={fid("kind")} value={kind} onChange={(e) => setKind(e.target.value)}>
          <option value="threshold">Threshold</option>
          <option value="anomaly">Anomaly (weekly)</option>
        </Select>
      </Field>
      <Field label="Fires when the value is" htmlFor={fid("direction")} error={errors.direction}>
        <Select id={fid("direction")} name="direction" defaultValue={rule?.direction ?? "above"}>
          <option value="above">above</option>
          <option value="below">below</option>
          {kind === "anomaly" && <option value="outside">outside (either side)</option>}
        </Select>
      </Field>
      {kind === "threshold" ? (
        <>
          <Field label="Threshold" htmlFor={fid("threshold")} error={errors.threshold} hint="Ratios as fractions (0.2 = 20 %), durations in seconds">
            <Input id={fid("threshold")} name="threshold" inputMode="decimal" defaultValue={rule?.threshold ?? ""} />
          </Field>
          <Field label="Window (days)" htmlFor={fid("windowDays")} error={errors.windowDays}>
            <Input id={fid("windowDays")} name="windowDays" inputMode="numeric" defaultValue={rule?.windowDays ?? 30} />
          </Field>
        </>
      ) : (
        <>
          <Field label="Baseline weeks (N)" htmlFor={fid("baselineWeeks")} error={errors.baselineWeeks}>
            <Input id={fid("baselineWeeks")} name="baselineWeeks" inputMode="numeric" defaultValue={rule?.baselineWeeks ?? 8} />
          </Field>
          <Field label="Sensitivity (k · stddev)" htmlFor={fid("sensitivity")} error={errors.sensitivity}>
            <Input id={fid("sensitivity")} name="sensitivity" inputMode="decimal" defaultValue={rule?.sensitivity ?? 3} />
          </Field>
        </>
      )}
      {pick("teamId", "Team", teams, rule?.teamId, "All teams")}
      {pick("serviceId", "Service", services, rule?.serviceId, "All services")}
      {pick("environmentId", "Environment", environments, rule?.environmentId, "Production (DORA) / all (delivery)")}
      <Field label="Severity" htmlFor={fid("severity")} error={errors.severity}>
        <Select id={fid("severity")} name="severity" defaultValue={rule?.severity ?? "high"}>
          {["critical", "high", "medium", "low", "info"].map((s) => (
            <option key={s}>{s}</option>
          ))}
        </Select>
      </Field>
      <div className="flex items-end gap-2 sm:col-span-3">
        <Button type="submit" disabled={create.isPending || update.isPending}>
          {rule ? "Save rule" : "Create rule"}
        </Button>
        {error && Object.keys(errors).length === 0 && <ErrorMessage error={error} />}
      </div>
    </form>
  );
}

export function AlertRulesAdmin({ teams, services, environments }: { teams: Option[]; services: Option[]; environments: Option[] }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const rules = useQuery(trpc.analytics.alertRules.list.queryOptions());
  const [editing, setEditing] = useState<string | null>(null);
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.analytics.alertRules.list.queryKey() });
  const mute = useMutation(trpc.analytics.alertRules.mute.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.analytics.alertRules.delete.mutationOptions({ onSuccess: refresh }));
  const nameOf = (list: Option[], id: string | null) => list.find((o) => o.id === id)?.name;

  return (
    <div className="space-y-4">
      <Card title="New rule">
        <RuleForm
          teams={teams}
          services={services}
          environments={environments}
          onDone={() => {
            toast({ message: "Alert rule created", tone: "success" });
            void refresh();
          }}
        />
      </Card>
      <Card title="Rules">
        {rules.isPending ? (
          <Spinner />
        ) : rules.error ? (
          <ErrorMessage error={rules.error} />
        ) : rules.data.length === 0 ? (
          <p className="text-sm text-gray-500">No rules yet.</p>
        ) : (
          <Table caption="Alert rules" head={["Rule", "State", "Scope", "Last value", ""]}>
            {rules.data.map((r) => {
              const muted = r.mutedUntil && new Date(r.mutedUntil) > new Date();
              return [
                <tr key={r.id} data-testid={`alert-rule-${r.name}`}>
                  <Td>
                    <span className="font-medium">{r.name}</span>
                    <span className="block text-xs text-gray-500 dark:text-gray-400">
                      {r.kind} · {r.metric} · {r.severity}
                    </span>
                  </Td>
                  <Td>
                    <Badge color={STATE[r.state]?.color ?? "gray"}>{STATE[r.state]?.label ?? r.state}</Badge>
                    {muted && <Badge color="yellow">muted</Badge>}
                  </Td>
                  <Td>
                    {[nameOf(teams, r.teamId), nameOf(services, r.serviceId), nameOf(environments, r.environmentId)].filter(Boolean).join(" · ") ||
                      "everything"}
                  </Td>
                  <Td className="max-w-md text-xs whitespace-normal">{r.lastDetail || "not evaluated yet"}</Td>
                  <Td>
                    <div className="flex gap-1">
                      <Button variant="ghost" onClick={() => setEditing(editing === r.id ? null : r.id)} aria-label={`Edit ${r.name}`}>
                        Edit
                      </Button>
                      {muted ? (
                        <Button variant="ghost" onClick={() => mute.mutate({ id: r.id, until: null })} aria-label={`Unmute ${r.name}`}>
                          Unmute
                        </Button>
                      ) : (
                        <ConfirmButton
                          variant="ghost"
                          aria-label={`Mute ${r.name}`}
                          title={`Mute “${r.name}” for 24 hours?`}
                          confirmLabel="Mute for 24 hours"
                          tone="primary"
                          consequence={<p>The rule is still evaluated and its state kept, but nobody is notified when it fires or resolves until then.</p>}
                          onConfirm={() => mute.mutateAsync({ id: r.id, until: new Date(Date.now() + 86_400_000) })}
                        >
                          Mute
                        </ConfirmButton>
                      )}
                      <ConfirmButton
                        variant="ghost"
                        aria-label={`Delete ${r.name}`}
                        title={`Delete the alert rule “${r.name}”?`}
                        confirmLabel="Delete rule"
                        consequence={<p>It stops being evaluated; routes that match it receive nothing more. The audit log keeps its history.</p>}
                        onConfirm={() => remove.mutateAsync({ id: r.id })}
                      >
                        Delete
                      </ConfirmButton>
                    </div>
                  </Td>
                </tr>,
                editing === r.id ? (
                  <tr key={`${r.id}-edit`}>
                    <td colSpan={5} className="p-3">
                      <RuleForm
                        rule={r}
                        teams={teams}
                        services={services}
                        environments={environments}
                        onDone={() => {
                          setEditing(null);
                          void refresh();
                        }}
                      />
                    </td>
                  </tr>
                ) : null,
              ];
            })}
          </Table>
        )}
      </Card>
    </div>
  );
}
