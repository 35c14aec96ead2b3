"use client";
import { Field, Select } from "@/app/_components/ui";
import type { Options } from "../_components/types";

export type EventSpecForm = {
  type: Options["eventTypes"][number];
  severity: "critical" | "high" | "medium" | "low" | "info";
  serviceSlug?: string;
  environment?: string;
};

/** Reads the shared event fields (type, severity, service, environment) from a form. */
export function readSpec(f: FormData): EventSpecForm {
  const opt = (k: string) => (f.get(k) ? String(f.get(k)) : undefined);
  return {
    type: String(f.get("type")) as EventSpecForm["type"],
    severity: String(f.get("severity")) as EventSpecForm["severity"],
    serviceSlug: opt("serviceSlug"),
    environment: opt("environment"),
  };
}

export function EventSpecFields({ options, idPrefix, errors }: { options: Options; idPrefix: string; errors: Record<string, string[] | undefined> }) {
  return (
    <div className="grid gap-3 sm:grid-cols-2">
      <Field label="Event type" htmlFor={`${idPrefix}-type`}>
        <Select id={`${idPrefix}-type`} name="type" defaultValue="test.event">
          {options.eventTypes.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </Select>
      </Field>
      <Field label="Severity" htmlFor={`${idPrefix}-severity`}>
        <Select id={`${idPrefix}-severity`} name="severity" defaultValue="info">
          {["critical", "high", "medium", "low", "info"].map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </Select>
      </Field>
      <Field label="Service" htmlFor={`${idPrefix}-service`} error={errors.serviceSlug}>
        <Select id={`${idPrefix}-service`} name="serviceSlug" defaultValue="">
          <option value="">(none)</option>
          {options.services.map((s) => (
            <option key={s.slug} value={s.slug}>
              {s.name}
            </option>
          ))}
        </Select>
      </Field>
      <Field label="Environment" htmlFor={`${idPrefix}-env`} error={errors.environment}>
        <Select id={`${idPrefix}-env`} name="environment" defaultValue="">
          <option value="">(none)</option>
          {options.environments.map((e) => (
            <option key={e.name} value={e.name}>
              {e.name}
            </option>
          ))}
        </Select>
      </Field>
    </div>
  );
}
