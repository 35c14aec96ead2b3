"use client";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { Button, ErrorMessage, Field, Input, Select } from "@/app/_components/ui";
import { fieldErrors, useTRPC } from "@/app/_lib/trpc";

const TYPES = [
  ["slack", "Slack incoming webhook"],
  ["teams", "Microsoft Teams"],
  ["email", "Email (SMTP)"],
  ["webhook", "Generic webhook (signed JSON)"],
  ["discord", "Discord webhook"],
  ["google_chat", "Google Chat webhook"],
  ["pagerduty", "PagerDuty Events v2"],
] as const;
type ChannelType = (typeof TYPES)[number][0];

/** "Name: value" lines → a header map. */
function parseHeaders(text: string) {
  return Object.fromEntries(
    text
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf(":")).trim(), l.slice(l.indexOf(":") + 1).trim()]),
  );
}

export function ChannelForm({ onCreated }: { onCreated: () => void }) {
  const trpc = useTRPC();
  const [type, setType] = useState<ChannelType>("webhook");
  const create = useMutation(trpc.notifications.createChannel.mutationOptions({ onSuccess: onCreated }));
  const errors = fieldErrors(create.error);
  const has = Object.keys(errors).length > 0;

  function submit(form: HTMLFormElement) {
    const f = new FormData(form);
    const s = (k: string) => String(f.get(k) ?? "").trim();
    const rate = s("ratePerMinute") ? { ratePerMinute: Number(s("ratePerMinute")) } : {};
    const byType: Record<ChannelType, () => { secret: Record<string, unknown>; settings: Record<string, unknown> }> = {
      slack: () => ({ secret: { url: s("url") }, settings: rate }),
      discord: () => ({ secret: { url: s("url") }, settings: rate }),
      google_chat: () => ({ secret: { url: s("url") }, settings: rate }),
      teams: () => ({ secret: { url: s("url") }, settings: { ...rate, format: s("format") } }),
      webhook: () => ({ secret: { url: s("url"), signingSecret: s("signingSecret"), headers: parseHeaders(s("headers")) }, settings: rate }),
      pagerduty: () => ({ secret: { routingKey: s("routingKey") }, settings: { ...rate, ...(s("baseUrl") ? { baseUrl: s("baseUrl") } : {}) } }),
      email: () => ({
        secret: { password: s("password") },
        settings: { ...rate, host: s("host"), port: Number(s("port") || 587), secure: f.get("secure") === "on", username: s("username"), from: s("from"), to: s("to").split(/[,\s]+/).filter(Boolean) },
      }),
    };
    create.mutate({ name: s("name"), type, enabled: true, ...byType[type]() });
  }

  const url = (
    <Field label="Webhook URL" htmlFor="ch-url" error={errors["secret.url"]} hint="https only; local or private hosts must be on the allow-list below">
      <Input id="ch-url" name="url" type="url" autoComplete="off" aria-invalid={!!errors["secret.url"]} />
    </Field>
  );
  return (
    <form
      noValidate
      className="grid gap-3 sm:grid-cols-2"
      onSubmit={(e) => {
        e.preventDefault();
        submit(e.currentTarget);
      }}
    >
      <Field label="Name" htmlFor="ch-name" error={errors.name}>
        <Input id="ch-name" name="name" aria-invalid={!!errors.name} />
      </Field>
      <Field label="Type" htmlFor="ch-type">
        <Select id="ch-type" value={type} onChange={(e) => setType(e.target.value as ChannelType)}>
          {TYPES.map(([v, label]) => (
            <option key={v} value={v}>
              {label}
            </option>
          ))}
        </Select>
      </Field>
      {type !== "email" && type !== "pagerduty" && url}
      {type === "teams" && (
        <Field label="Format" htmlFor="ch-format" hint="Workflows (Power Automate) URLs take Adaptive Cards; legacy connectors take MessageCards">
          <Select id="ch-format" name="format" defaultValue="workflows">
            <option value="workflows">Workflows (Adaptive Card)</option>
            <option value="messagecard">Legacy connector (MessageCard)</option>
          </Select>
        </Field>
      )}
      {type === "webhook" && (
        <>
          <Field label="Signing secret" htmlFor="ch-signing" error={errors["secret.signingSecret"]} hint="Receivers verify X-Pier-Signature: sha256=HMAC(secret, body)">
            <Input id="ch-signing" name="signingSecret" type="password" autoComplete="new-password" aria-invalid={!!errors["secret.signingSecret"]} />
          </Field>
          <Field label="Custom headers" htmlFor="ch-headers" error={errors["secret.headers"]} hint="One per line: Name: value (stored encrypted)">
            <textarea id="ch-headers" name="headers" rows={2} className="block w-full rounded-md border border-gray-300 px-3 py-1.5 font-mono text-sm dark:border-gray-700 dark:bg-gray-900" />
          </Field>
        </>
      )}
      {type === "pagerduty" && (
        <>
          <Field label="Routing key" htmlFor="ch-rk" error={errors["secret.routingKey"]}>
            <Input id="ch-rk" name="routingKey" type="password" autoComplete="off" aria-invalid={!!errors["secret.routingKey"]} />
          </Field>
          <Field label="Events API base URL" htmlFor="ch-base" error={errors["settings.baseUrl"]} hint="Default https://events.pagerduty.com">
            <Input id="ch-base" name="baseUrl" type="url" placeholder="https://events.pagerduty.com" />
          </Field>
        </>
      )}
      {type === "email" && (
        <>
          <Field label="SMTP host" htmlFor="ch-host" error={errors["settings.host"]}>
            <Input id="ch-host" name="host" aria-invalid={!!errors["settings.host"]} />
          </Field>
          <Field label="Port" htmlFor="ch-port" error={errors["settings.port"]}>
            <Input id="ch-port" name="port" type="number" defaultValue={587} />
          </Field>
          <Field label="Username" htmlFor="ch-user">
            <Input id="ch-user" name="username" autoComplete="off" />
          </Field>
          <Field label="Password" htmlFor="ch-pass">
            <Input id="ch-pass" name="password" type="password" autoComplete="new-password" />
          </Field>
          <Field label="From" htmlFor="ch-from" error={errors["settings.from"]}>
            <Input id="ch-from" name="from" type="email" aria-invalid={!!errors["settings.from"]} />
          </Field>
          <Field label="Always send to" htmlFor="ch-to" error={errors["settings.to"]} hint="Comma-separated; role recipients are added per notification">
            <Input id="ch-to" name="to" />
          </Field>
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" name="secure" /> TLS from the start (port 465)
          </label>
        </>
      )}
      <Field label="Rate limit (per minute)" htmlFor="ch-rate" error={errors["settings.ratePerMinute"]} hint="Empty: the vendor's documented limit">
        <Input id="ch-rate" name="ratePerMinute" type="number" min={1} />
      </Field>
      <div className="sm:col-span-2">
        <Button type="submit" disabled={create.isPending}>
          Create channel
        </Button>
        {create.error && !has && <ErrorMessage error={create.error} />}
      </div>
    </form>
  );
}
