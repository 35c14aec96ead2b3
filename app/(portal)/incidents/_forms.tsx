"use client";
// Declare / resolve incidents (tRPC mutations); validation messages appear next to their fields.
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useTRPC } from "@/app/_lib/trpc";
import { Button, ErrorMessage, Field, Input, Select } from "@/app/_components/ui";

type FieldErrors = Record<string, string[] | undefined> | null | undefined;
const fieldErrorsOf = (err: unknown): FieldErrors => (err as { data?: { fieldErrors?: FieldErrors } } | null)?.data?.fieldErrors;

export function DeclareIncidentForm({ services, environments }: { services: { id: string; name: string }[]; environments: string[] }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [form, setForm] = useState({
    serviceId: "",
    environment: environments.includes("prod") ? "prod" : (environments[0] ?? ""),
    title: "",
    severity: "high" as "critical" | "high" | "medium" | "low",
  });
  const declare = useMutation(
    trpc.incidents.declare.mutationOptions({
      onSuccess: () => {
        setForm((f) => ({ ...f, title: "" }));
        router.refresh();
      },
    }),
  );
  const errors = fieldErrorsOf(declare.error);
  return (
    <form
      className="grid gap-3 sm:grid-cols-4"
      onSubmit={(e) => {
        e.preventDefault();
        declare.mutate({ ...form, environment: form.environment || undefined });
      }}
    >
      <Field label="Service" htmlFor="inc-service" error={errors?.serviceId}>
        <Select id="inc-service" value={form.serviceId} onChange={(e) => setForm({ ...form, serviceId: e.target.value })}>
          <option value="">Choose…</option>
          {services.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
        </Select>
      </Field>
      <Field label="What is wrong" htmlFor="inc-title" error={errors?.title}>
        <Input id="inc-title" value={form.title} onChange={(e) => setForm({ ...form, title: e.target.value })} placeholder="Checkout returns 500s" />
      </Field>
      <Field label="Severity" htmlFor="inc-sev" error={errors?.severity}>
        <Select id="inc-sev" value={form.severity} onChange={(e) => setForm({ ...form, severity: e.target.value as typeof form.severity })}>
          {["critical", "high", "medium", "low"].map((s) => (
            <option key={s}>{s}</option>
          ))}
        </Select>
      </Field>
      <Field label="Environment" htmlFor="inc-env" error={errors?.environment}>
        <Select id="inc-env" value={form.environment} onChange={(e) => setForm({ ...form, environment: e.target.value })}>
          {environments.map((e) => (
            <option key={e}>{e}</option>
          ))}
        </Select>
      </Field>
      <div className="flex items-center gap-3 sm:col-span-4">
        <Button type="submit" disabled={declare.isPending}>
          Declare incident
        </Button>
        {declare.error && !errors && <ErrorMessage error={declare.error} />}
      </div>
    </form>
  );
}

export function ResolveButton({ incidentId }: { incidentId: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const resolve = useMutation(trpc.incidents.resolve.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <span className="flex items-center gap-2">
      <Button variant="secondary" disabled={resolve.isPending} onClick={() => resolve.mutate({ incidentId })}>
        Resolve
      </Button>
      {resolve.error && (
        <span role="alert" className="text-xs text-rose-600 dark:text-rose-400">
          {resolve.error.message}
        </span>
      )}
    </span>
  );
}
