"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useState, type FormEvent } from "react";
import { Badge, Button, EmptyState, ErrorMessage, Field, Input, Select, Textarea } from "@/app/_components/ui";
import { DateTime, useTimeZone } from "@/app/_components/time";
import { formatMinutes, formatRelative, zonedInputToDate } from "@/app/_lib/format";
import { riskLevel } from "@/server/deployments/risk-scale";
import { fieldErrors, useTRPC } from "@/app/_lib/trpc";
import { FailureBadge, FailureReasons } from "../_components/failure-estimate";

type ServiceOption = {
  id: string;
  slug: string;
  name: string;
  mine?: boolean;
  environments: { id: string; name: string; currentVersion: string | null; executor: string }[];
};

function useDebounced<T>(value: T, ms = 300) {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

export function RequestForm({
  services,
  canBreakGlass,
  initial,
}: {
  services: ServiceOption[];
  canBreakGlass: boolean;
  initial: { serviceId?: string; environmentId?: string; version?: string };
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const [serviceId, setServiceId] = useState(
    initial.serviceId && services.some((s) => s.id === initial.serviceId) ? initial.serviceId : (services[0]?.id ?? ""),
  );
  const service = services.find((s) => s.id === serviceId);
  const [environmentId, setEnvironmentId] = useState(initial.environmentId ?? "");
  const env = service?.environments.find((e) => e.id === environmentId) ?? service?.environments[0];
  const [version, setVersion] = useState(initial.version ?? "");
  const [strategy, setStrategy] = useState<"rolling" | "canary" | "blue_green">("rolling");
  const [breakGlass, setBreakGlass] = useState(false);
  const debouncedVersion = useDebounced(version.trim());

  const preview = useQuery({
    ...trpc.deployments.preview.queryOptions({ serviceId, environmentId: env?.id ?? "", version: debouncedVersion }),
    enabled: !!serviceId && !!env && debouncedVersion.length > 0,
    // The promotion rule depends on deployments that finish while the user moves around: never reuse a stale answer.
    staleTime: 0,
    refetchOnMount: "always",
  });
  // The learned P(failure) for what is entered (riskModel.preview): only for those who may request this service's
  // deployments; for others (and on any error) the hand-set score above stays alone.
  const failure = useQuery({
    ...trpc.riskModel.preview.queryOptions({ serviceId, environmentId: env?.id ?? "", version: debouncedVersion, strategy }),
    enabled: !!serviceId && !!env && debouncedVersion.length > 0,
    retry: false,
  });
  const choices = useQuery({
    ...trpc.deployments.versionChoices.queryOptions({ serviceId, environmentId: env?.id ?? "" }),
    enabled: !!serviceId && !!env,
  });
  const onSuccess = (r: { id: string }) => router.push(`/deployments/${r.id}`);
  const create = useMutation(trpc.deployments.create.mutationOptions({ onSuccess }));
  const emergency = useMutation(trpc.deployments.breakGlass.mutationOptions({ onSuccess }));
  const active = breakGlass ? emergency : create;
  const errors = fieldErrors(active.error);
  // Schedule times are read in the user's time zone (their preference or browser), as the portal shows times.
  const timeZone = useTimeZone();

  if (!services.length) return <EmptyState title="No services to deploy">You can request deployments for services your teams own.</EmptyState>;

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const text = (k: string) => String(f.get(k) ?? "").trim();
    const when = (k: string) => (text(k) ? zonedInputToDate(text(k), timeZone) : null);
    const input = {
      serviceId,
      environmentId: env?.id ?? "",
      version,
      strategy,
      canarySteps:
        strategy === "canary"
          ? text("canarySteps")
              .split(/[\s,]+/)
              .filter(Boolean)
              .map(Number)
          : undefined,
      summary: text("summary"),
      ticketKey: text("ticketKey") || null,
      scheduledFrom: when("scheduledFrom"),
      scheduledUntil: when("scheduledUntil"),
    };
    if (breakGlass) emergency.mutate({ ...input, reason: text("reason") });
    else create.mutate(input);
  }

  const p = preview.data;
  return (
    <form onSubmit={submit} noValidate className="grid gap-3 sm:grid-cols-2">
      <Field label="Service" htmlFor="serviceId" error={errors.serviceId}>
        <Select
          id="serviceId"
          value={serviceId}
          onChange={(e) => {
            setServiceId(e.target.value);
            setEnvironmentId("");
          }}
        >
          {services.some((s) => s.mine) && services.some((s) => !s.mine) ? (
            <>
              <optgroup label="Your teams' services">
                {services
                  .filter((s) => s.mine)
                  .map((s) => (
                    <option key={s.id} value={s.id}>
                      {s.name}
                    </option>
                  ))}
              </optgroup>
              <optgroup label="Other services">
                {services
                  .filter((s) => !s.mine)
                  .map((s) => (
                    <option key={s.id} value={s.id}>
                      {s.name}
                    </option>
                  ))}
              </optgroup>
            </>
          ) : (
            services.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))
          )}
        </Select>
      </Field>
      <Field
        label="Environment"
        htmlFor="environmentId"
        error={errors.environmentId}
        hint={env ? `Live now: ${env.currentVersion ?? "nothing yet"} · executor ${env.executor}` : undefined}
      >
        {service && service.environments.length === 0 ? (
          <p
            className="rounded-md border border-dashed border-gray-300 p-2 text-sm text-gray-600 dark:border-gray-700 dark:text-gray-400"
            data-testid="no-environments"
          >
            {service.name} runs in no environment yet. Add one on its{" "}
            <a className="text-brand-700 underline dark:text-brand-300" href={`/services/${service.slug}#environments`}>
              service page
            </a>{" "}
            before requesting a deployment.
          </p>
        ) : (
          <Select id="environmentId" value={env?.id ?? ""} onChange={(e) => setEnvironmentId(e.target.value)}>
            {service?.environments.map((e) => (
              <option key={e.id} value={e.id}>
                {e.name}
              </option>
            ))}
          </Select>
        )}
      </Field>
      <Field label="Version" htmlFor="version" error={errors.version} hint="Pick one below or type a semver (1.4.2), commit sha, image tag or git ref">
        <Input
          id="version"
          name="version"
          value={version}
          onChange={(e) => setVersion(e.target.value)}
          aria-invalid={!!errors.version}
          autoComplete="off"
          list="version-choices"
        />
        <datalist id="version-choices">
          {choices.data?.choices.map((c) => (
            <option key={c.version} value={c.version} />
          ))}
        </datalist>
      </Field>
      {env && choices.data && (
        <div className="sm:col-span-2" data-testid="version-choices">
          {choices.data.choices.length === 0 ? (
            <p className="text-xs text-gray-600 dark:text-gray-400">
              {choices.data.basis === "upstream"
                ? `No version newer than what ${env.name} runs has succeeded upstream yet: deploy it to an earlier environment first, or type a version.`
                : "Pier has not seen a deployment of this service yet: type the version to deploy."}
            </p>
          ) : (
            <fieldset>
              <legend className="text-xs text-gray-600 dark:text-gray-400">
                {choices.data.basis === "upstream" ? `Succeeded upstream of ${env.name}:` : "Deployed before:"}
              </legend>
              <div className="mt-1 flex flex-wrap gap-2">
                {choices.data.choices.map((c) => (
                  <button
                    key={c.version}
                    type="button"
                    aria-pressed={version === c.version}
                    onClick={() => setVersion(c.version)}
                    className={
                      version === c.version
                        ? "rounded-md border border-brand-600 bg-brand-50 px-2 py-1 text-left text-xs text-brand-900 dark:bg-gray-800 dark:text-brand-100"
                        : "rounded-md border border-gray-300 px-2 py-1 text-left text-xs hover:border-brand-500 dark:border-gray-700"
                    }
                  >
                    <span className="font-mono font-medium">{c.version}</span>{" "}
                    <span className="text-gray-600 dark:text-gray-400">
                      {c.environments.join(", ")} · {formatRelative(c.deployedAt)}
                    </span>
                  </button>
                ))}
              </div>
            </fieldset>
          )}
        </div>
      )}
      <Field label="Strategy" htmlFor="strategy" error={errors.strategy}>
        <Select id="strategy" value={strategy} onChange={(e) => setStrategy(e.target.value as typeof strategy)}>
          <option value="rolling">Rolling</option>
          <option value="canary">Canary</option>
          <option value="blue_green">Blue-green</option>
        </Select>
      </Field>
      {strategy === "canary" && (
        <Field label="Canary steps (% of traffic)" htmlFor="canarySteps" error={errors.canarySteps}>
          <Input id="canarySteps" name="canarySteps" defaultValue="10, 50, 100" />
        </Field>
      )}
      <div className="sm:col-span-2">
        <Field label="Change summary" htmlFor="summary" error={errors.summary}>
          <Textarea id="summary" name="summary" rows={2} aria-invalid={!!errors.summary} />
        </Field>
      </div>
      <Field label="Ticket (optional)" htmlFor="ticketKey" error={errors.ticketKey} hint="e.g. PAY-123">
        <Input id="ticketKey" name="ticketKey" />
      </Field>
      <div className="grid grid-cols-2 gap-2">
        <Field label="Not before (optional)" htmlFor="scheduledFrom" error={errors.scheduledFrom} hint={`In ${timeZone}`}>
          <Input id="scheduledFrom" name="scheduledFrom" type="datetime-local" />
        </Field>
        <Field label="Not after (optional)" htmlFor="scheduledUntil" error={errors.scheduledUntil} hint={`In ${timeZone}`}>
          <Input id="scheduledUntil" name="scheduledUntil" type="datetime-local" />
        </Field>
      </div>

      {p && (
        <div className="space-y-2 rounded-md border border-gray-200 p-3 text-sm sm:col-span-2 dark:border-gray-800" data-testid="request-preview">
          <p
            data-testid="promotion-check"
            className={p.promotion.ok ? "text-emerald-700 dark:text-emerald-300" : "font-medium text-rose-700 dark:text-rose-300"}
          >
            {p.promotion.ok ? "✓ " : "✗ Not allowed yet: "}
            {p.promotion.reason}
          </p>
          {p.freeze && (
            <p className="text-rose-700 dark:text-rose-300">
              Frozen:{" "}
              {p.freezeRange ? (
                <>
                  <DateTime value={p.freezeRange.startsAt} /> – <DateTime value={p.freezeRange.endsAt} />
                  {p.freezeRange.reason ? ` (${p.freezeRange.reason})` : ""}
                </>
              ) : (
                p.freeze
              )}
            </p>
          )}
          <p>
            Policy <strong>{p.policy.name}</strong>:{" "}
            {p.policy.requiredApprovals === 0
              ? "no approval needed"
              : `${p.policy.requiredApprovals} approval${p.policy.requiredApprovals > 1 ? "s" : ""} needed`}
            {p.policy.waitTimerMinutes > 0 && `, then a wait of ${formatMinutes(p.policy.waitTimerMinutes)}`}
            {p.policy.autoRollback && ", automatic rollback on failure"}
          </p>
          <div className="flex flex-wrap items-center gap-1">
            <Badge color={p.risk.level === "high" ? "red" : p.risk.level === "medium" ? "yellow" : "green"}>
              risk {p.risk.score}/100 · {riskLevel(p.risk.score)}
            </Badge>
            {p.risk.reasons.map((r) => (
              <span key={r.factor} className="text-xs text-gray-600 dark:text-gray-400">
                {r.detail} (+{r.points});
              </span>
            ))}
          </div>
          {failure.data && (
            <div data-testid="failure-preview">
              {failure.data.kind === "estimate" ? (
                <>
                  <FailureBadge probability={failure.data.probability} />
                  <FailureReasons reasons={failure.data.reasons} className="mt-1 flex flex-wrap gap-x-3 text-xs text-gray-600 dark:text-gray-400" />
                </>
              ) : (
                <p className="text-xs text-gray-600 dark:text-gray-400">No learned model yet: {failure.data.reason}</p>
              )}
            </div>
          )}
        </div>
      )}

      {canBreakGlass && (
        <div className="space-y-2 sm:col-span-2">
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" checked={breakGlass} onChange={(e) => setBreakGlass(e.target.checked)} />
            Break-glass: emergency deployment without approval (flagged for review)
          </label>
          {breakGlass && (
            <Field label="Why is this an emergency?" htmlFor="reason" error={errors.reason ?? errors.breakGlassReason}>
              <Textarea id="reason" name="reason" rows={2} />
            </Field>
          )}
        </div>
      )}
      <div className="space-y-2 sm:col-span-2">
        {active.error && !Object.keys(errors).length && <ErrorMessage error={active.error} />}
        <Button type="submit" variant={breakGlass ? "danger" : "primary"} disabled={active.isPending}>
          {active.isPending ? "Submitting…" : breakGlass ? "Deploy now (break-glass)" : "Request deployment"}
        </Button>
      </div>
    </form>
  );
}
