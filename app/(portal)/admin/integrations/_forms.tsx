"use client";
// Token and webhook-secret forms. A new token is displayed once, right here, and never again.
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useTRPC } from "@/app/_lib/trpc";
import { ConfirmButton } from "@/app/_components/confirm-dialog";
import { useToast } from "@/app/_components/toast";
import { Button, ErrorMessage, Field, Input, Select } from "@/app/_components/ui";
import { WEBHOOK_SOURCE_GUIDES } from "./_sources";

type FieldErrors = Record<string, string[] | undefined> | null | undefined;
const fieldErrorsOf = (err: unknown): FieldErrors => (err as { data?: { fieldErrors?: FieldErrors } } | null)?.data?.fieldErrors;

export function CreateTokenForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const [name, setName] = useState("");
  const create = useMutation(
    trpc.events.createToken.mutationOptions({
      onSuccess: () => {
        setName("");
        router.refresh();
      },
    }),
  );
  const errors = fieldErrorsOf(create.error);
  return (
    <div className="space-y-3">
      <form
        className="flex flex-col gap-3 sm:flex-row sm:items-end"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate({ name });
        }}
      >
        <div className="flex-1">
          <Field label="Token name" htmlFor="token-name" error={errors?.name} hint="The system that will use it, e.g. Jenkins or Argo CD">
            <Input id="token-name" value={name} onChange={(e) => setName(e.target.value)} />
          </Field>
        </div>
        <Button type="submit" disabled={create.isPending}>
          Create token
        </Button>
      </form>
      {create.error && !errors && <ErrorMessage error={create.error} />}
      {create.data && (
        <div role="status" className="rounded-md border border-emerald-300 bg-emerald-50 p-3 text-sm dark:border-emerald-800 dark:bg-emerald-950/40">
          <p className="font-medium">Copy this token now — it is not shown again.</p>
          <code data-testid="new-token" className="mt-1 block font-mono text-xs break-all">
            {create.data.token}
          </code>
        </div>
      )}
    </div>
  );
}

export function RevokeTokenButton({ id, name }: { id: string; name: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const toast = useToast();
  const revoke = useMutation(trpc.events.revokeToken.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <ConfirmButton
      variant="danger"
      aria-label={`Revoke the token ${name}`}
      title={`Revoke the token “${name}”?`}
      confirmLabel="Revoke token"
      consequence={`Events sent with it are refused (401) from now on, so ${name} stops feeding deployments and incidents into Pier until it gets a new token. A revoked token cannot be restored.`}
      onConfirm={async () => {
        await revoke.mutateAsync({ id });
        toast({ message: `Token “${name}” revoked.` });
      }}
    >
      Revoke
    </ConfirmButton>
  );
}

export function CreateWebhookSecretForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const [form, setForm] = useState({ kind: "github_webhook" as (typeof WEBHOOK_SOURCE_GUIDES)[number]["kind"], name: "", secret: "" });
  const create = useMutation(
    trpc.events.createWebhookSecret.mutationOptions({
      onSuccess: () => {
        setForm({ ...form, name: "", secret: "" });
        router.refresh();
      },
    }),
  );
  const errors = fieldErrorsOf(create.error);
  return (
    <form
      className="grid gap-3 sm:grid-cols-4 sm:items-end"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate(form);
      }}
    >
      <Field label="Kind" htmlFor="wh-kind" error={errors?.kind}>
        <Select id="wh-kind" value={form.kind} onChange={(e) => setForm({ ...form, kind: e.target.value as typeof form.kind })}>
          {WEBHOOK_SOURCE_GUIDES.map((g) => (
            <option key={g.kind} value={g.kind}>
              {g.label}
            </option>
          ))}
        </Select>
      </Field>
      <Field label="Name" htmlFor="wh-name" error={errors?.name}>
        <Input id="wh-name" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} placeholder="acme org webhook" />
      </Field>
      <Field label="Signing secret" htmlFor="wh-secret" error={errors?.secret}>
        <Input id="wh-secret" type="password" autoComplete="off" value={form.secret} onChange={(e) => setForm({ ...form, secret: e.target.value })} />
      </Field>
      <Button type="submit" disabled={create.isPending}>
        Add secret
      </Button>
      {create.error && !errors && (
        <div className="sm:col-span-4">
          <ErrorMessage error={create.error} />
        </div>
      )}
    </form>
  );
}

export function DeleteSecretButton({ id, name, kind }: { id: string; name: string; kind: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const toast = useToast();
  const del = useMutation(trpc.events.deleteWebhookSecret.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <ConfirmButton
      variant="danger"
      aria-label={`Delete the webhook secret ${name}`}
      title={`Delete the ${kind} signing secret “${name}”?`}
      confirmLabel="Delete secret"
      consequence={`${kind} webhooks signed with it are refused from now on. If it is the last ${kind} secret, every ${kind} delivery is refused until a new one is added.`}
      onConfirm={async () => {
        await del.mutateAsync({ id });
        toast({ message: `Webhook secret “${name}” deleted.` });
      }}
    >
      Delete
    </ConfirmButton>
  );
}
