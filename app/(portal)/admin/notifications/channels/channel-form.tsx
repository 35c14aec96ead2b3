"use client";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { Button, ErrorMessage, Field, Input, Select } from "@/app/_components/ui";
import { fieldErrors, useTRPC } from "@/app/_lib/trpc";
import type { ChannelView } from "../_components/types";

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

/** "Name: value" lines → a header map (a line without ":" is a name with no value). */
function parseHeaders(text: string) {
  return Object.fromEntries(
    text
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean)
      .map((l) => (l.includes(":") ? [l.slice(0, l.indexOf(":")).trim(), l.slice(l.indexOf(":") + 1).trim()] : [l, ""])),
  );
}

/**
 * Creates a channel, or edits `channel` in place. When editing, secrets are never prefilled (the browser only has
 * them masked): each secret input shows the masked value as placeholder and is sent empty unless a new value is
 * typed, which the server reads as "keep the stored one".
 */
export function ChannelForm({ channel, onSaved }: { channel?: ChannelView | null; onSaved: () => void }) {
  const trpc = useTRPC();
  const [type, setType] = useState<ChannelType>(channel?.type ?? "webhook");
  const create = useMutation(trpc.notifications.createChannel.mutationOptions({ onSuccess: onSaved }));
  const update = useMutation(trpc.notifications.updateChannel.mutationOptions({ onSuccess: onSaved }));
  const error = create.error ?? update.error;
  const errors = fieldErrors(error);
  // Errors on a field are shown next to it; anything else (a conflict, a network error) under the button.
  const placed = Object.keys(errors).some((k) => /^(name|type|secret|settings)(\.|$)/.test(k));
  // Nested paths ("settings.to.1", "secret.headers.X-Bad") belong next to their field.
  const errorFor = (field: string) => errors[field] ?? Object.entries(errors).find(([k]) => k.startsWith(`${field}.`))?.[1];
  const editing = !!channel;
  const masked = (k: string) => {
    const v = channel?.secretMasked[k];
    return typeof v === "string" && v ? v : undefined;
  };
  const setting = (k: string) => channel?.settings[k] as string | number | boolean | string[] | undefined;
  const keepHint = (what: string) => (editing ? `Leave empty to keep the stored ${what}` : undefined);

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
        settings: {
          ...rate,
          host: s("host"),
          port: Number(s("port") || 587),
          secure: f.get("secure") === "on",
          username: s("username"),
          from: s("from"),
          to: s("to")
            .split(/[,\s]+/)
            .filter(Boolean),
        },
      }),
    };
    const { secret, settings } = byType[type]();
    if (channel) {
      const clearSecrets = f.get("clearPassword") === "on" ? ["password"] : [];
      update.mutate({ id: channel.id, name: s("name"), enabled: f.get("enabled") === "on", secret, clearSecrets, settings });
    } else {
      create.mutate({ name: s("name"), type, enabled: true, secret, settings });
    }
  }

  const url = (
    <Field
      label="Webhook URL"
      htmlFor="ch-url"
      error={errorFor("secret.url")}
      hint={keepHint("URL") ?? "https only; local or private hosts must be on the allow-list below"}
    >
      <Input id="ch-url" name="url" type="url" autoComplete="off" placeholder={masked("url")} aria-invalid={!!errorFor("secret.url")} />
    </Field>
  );
  const headerNames = (channel?.secretMasked.headers as string[] | undefined) ?? [];
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
        <Input id="ch-name" name="name" defaultValue={channel?.name} aria-invalid={!!errors.name} />
      </Field>
      <Field label="Type" htmlFor="ch-type" error={errors.type} hint={editing ? "The type cannot change: create a new channel for another type" : undefined}>
        <Select id="ch-type" value={type} disabled={editing} onChange={(e) => setType(e.target.value as ChannelType)}>
          {TYPES.map(([v, label]) => (
            <option key={v} value={v}>
              {label}
            </option>
          ))}
        </Select>
      </Field>
      {editing && (
        <div className="space-y-1 sm:col-span-2">
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" name="enabled" defaultChecked={channel.enabled} /> Enabled
          </label>
          {channel.disabledReason && (
            <p className="text-xs text-rose-600 dark:text-rose-400">Disabled automatically: {channel.disabledReason}. Enabling it again clears this.</p>
          )}
          {channel.secretMasked.error && (
            <p className="text-xs text-amber-700 dark:text-amber-400">
              The stored secrets cannot be decrypted with the configured keys: enter them again to replace them.
            </p>
          )}
        </div>
      )}
      {errors.secret && (
        <p role="alert" className="text-xs text-rose-600 sm:col-span-2 dark:text-rose-400">
          {errors.secret[0]}
        </p>
      )}
      {type !== "email" && type !== "pagerduty" && url}
      {type === "teams" && (
        <Field label="Format" htmlFor="ch-format" hint="Workflows (Power Automate) URLs take Adaptive Cards; legacy connectors take MessageCards">
          <Select id="ch-format" name="format" defaultValue={String(setting("format") ?? "workflows")}>
            <option value="workflows">Workflows (Adaptive Card)</option>
            <option value="messagecard">Legacy connector (MessageCard)</option>
          </Select>
        </Field>
      )}
      {type === "webhook" && (
        <>
          <Field
            label="Signing secret"
            htmlFor="ch-signing"
            error={errorFor("secret.signingSecret")}
            hint={keepHint("secret") ?? "Receivers verify X-Pier-Signature: sha256=HMAC(secret, body)"}
          >
            <Input
              id="ch-signing"
              name="signingSecret"
              type="password"
              autoComplete="new-password"
              placeholder={masked("signingSecret")}
              aria-invalid={!!errorFor("secret.signingSecret")}
            />
          </Field>
          <Field
            label="Custom headers"
            htmlFor="ch-headers"
            error={errorFor("secret.headers")}
            hint={
              editing
                ? "One per line: Name: value. Values are not shown: an empty value keeps the stored one, a removed line drops the header"
                : "One per line: Name: value (stored encrypted)"
            }
          >
            <textarea
              id="ch-headers"
              name="headers"
              rows={2}
              defaultValue={headerNames.map((n) => `${n}: `).join("\n")}
              className="block w-full rounded-md border border-gray-300 px-3 py-1.5 font-mono text-sm dark:border-gray-700 dark:bg-gray-900"
            />
          </Field>
        </>
      )}
      {type === "pagerduty" && (
        <>
          <Field label="Routing key" htmlFor="ch-rk" error={errorFor("secret.routingKey")} hint={keepHint("key")}>
            <Input
              id="ch-rk"
              name="routingKey"
              type="password"
              autoComplete="new-password"
              placeholder={masked("routingKey")}
              aria-invalid={!!errorFor("secret.routingKey")}
            />
          </Field>
          <Field label="Events API base URL" htmlFor="ch-base" error={errorFor("settings.baseUrl")} hint="Default https://events.pagerduty.com">
            <Input
              id="ch-base"
              name="baseUrl"
              type="url"
              placeholder="https://events.pagerduty.com"
              defaultValue={setting("baseUrl") as string | undefined}
              aria-invalid={!!errorFor("settings.baseUrl")}
            />
          </Field>
        </>
      )}
      {type === "email" && (
        <>
          <Field label="SMTP host" htmlFor="ch-host" error={errorFor("settings.host")}>
            <Input id="ch-host" name="host" defaultValue={setting("host") as string | undefined} aria-invalid={!!errorFor("settings.host")} />
          </Field>
          <Field label="Port" htmlFor="ch-port" error={errorFor("settings.port")}>
            <Input
              id="ch-port"
              name="port"
              type="number"
              defaultValue={(setting("port") as number | undefined) ?? 587}
              aria-invalid={!!errorFor("settings.port")}
            />
          </Field>
          <Field label="Username" htmlFor="ch-user" error={errorFor("settings.username")}>
            <Input id="ch-user" name="username" autoComplete="off" defaultValue={setting("username") as string | undefined} />
          </Field>
          <Field label="Password" htmlFor="ch-pass" error={errorFor("secret.password")} hint={masked("password") ? keepHint("password") : undefined}>
            <Input id="ch-pass" name="password" type="password" autoComplete="new-password" placeholder={masked("password")} />
          </Field>
          <Field label="From" htmlFor="ch-from" error={errorFor("settings.from")}>
            <Input id="ch-from" name="from" type="email" defaultValue={setting("from") as string | undefined} aria-invalid={!!errorFor("settings.from")} />
          </Field>
          <Field label="Always send to" htmlFor="ch-to" error={errorFor("settings.to")} hint="Comma-separated; role recipients are added per notification">
            <Input id="ch-to" name="to" defaultValue={((setting("to") as string[] | undefined) ?? []).join(", ")} aria-invalid={!!errorFor("settings.to")} />
          </Field>
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" name="secure" defaultChecked={setting("secure") === true} /> TLS from the start (port 465)
          </label>
          {masked("password") && (
            <label className="flex items-center gap-2 text-sm">
              <input type="checkbox" name="clearPassword" /> Remove the stored password
            </label>
          )}
        </>
      )}
      <Field label="Rate limit (per minute)" htmlFor="ch-rate" error={errorFor("settings.ratePerMinute")} hint="Empty: the vendor's documented limit">
        <Input
          id="ch-rate"
          name="ratePerMinute"
          type="number"
          min={1}
          defaultValue={setting("ratePerMinute") as number | undefined}
          aria-invalid={!!errorFor("settings.ratePerMinute")}
        />
      </Field>
      <div className="sm:col-span-2">
        <Button type="submit" disabled={create.isPending || update.isPending}>
          {editing ? "Save changes" : "Create channel"}
        </Button>
        {error && !placed && <ErrorMessage error={error} />}
      </div>
    </form>
  );
}
