"use client";
// Admin → Integrations "Custom sources": define a source (authentication + a JSONata mapping to CDEvents), try the
// mapping on a pasted sample (live preview, the first invalid field named), and publish new mapping versions — each
// applies to events received from then on (server/ingest/custom-sources.ts).
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { ConfirmButton } from "@/app/_components/confirm-dialog";
import { useToast } from "@/app/_components/toast";
import { Badge, Button, Card, EmptyState, ErrorMessage, Field, Input, Select, Textarea } from "@/app/_components/ui";
import { useTRPC } from "@/app/_lib/trpc";

type FieldErrors = Record<string, string[] | undefined> | null | undefined;
const fieldErrorsOf = (err: unknown): FieldErrors => (err as { data?: { fieldErrors?: FieldErrors } } | null)?.data?.fieldErrors;

type Source = {
  id: string;
  slug: string;
  name: string;
  authType: string;
  settings: { header?: string; algorithm?: string; encoding?: string; prefix?: string; username?: string };
  hint: string;
  nextHint: string | null;
  currentVersion: number;
  versions: { version: number; expression: string }[];
};

const EXAMPLE = `{
  "context": {
    "specversion": "0.5.1",
    "id": "my-tool-" & $string(id),
    "source": "https://my-tool.example",
    "type": "dev.cdevents.service.deployed.0.3.0",
    "timestamp": finished_at
  },
  "subject": {
    "id": "service/" & service,
    "content": { "environment": { "id": environment }, "artifactId": "pkg:generic/" & service & "@" & version }
  }
}`;

function authLabel(s: Source) {
  if (s.authType === "hmac") return `${s.settings.header}: ${s.settings.prefix ?? ""}<${s.settings.algorithm} HMAC, ${s.settings.encoding}>`;
  if (s.authType === "basic") return `Basic auth as ${s.settings.username}`;
  return "Authorization: Bearer <token>";
}

/** The mapping and a sample, with "Preview": what the mapping makes of the sample, or where it goes wrong. */
function MappingEditor({ id, expression, onChange, error }: { id: string; expression: string; onChange: (v: string) => void; error?: string[] }) {
  const trpc = useTRPC();
  const [sample, setSample] = useState("");
  const preview = useMutation(trpc.events.previewCustomMapping.mutationOptions());
  const errors = fieldErrorsOf(preview.error);
  const result = preview.data;
  return (
    <div className="grid gap-3 lg:grid-cols-2">
      <Field label="JSONata mapping (returns a CDEvent or an array)" htmlFor={`${id}-expr`} error={error ?? errors?.expression}>
        <Textarea id={`${id}-expr`} rows={12} className="font-mono text-xs" value={expression} onChange={(e) => onChange(e.target.value)} />
      </Field>
      <div className="space-y-2">
        <Field label="Sample event (JSON the tool sends)" htmlFor={`${id}-sample`} error={errors?.sample}>
          <Textarea id={`${id}-sample`} rows={6} className="font-mono text-xs" value={sample} onChange={(e) => setSample(e.target.value)} />
        </Field>
        <Button type="button" variant="secondary" disabled={preview.isPending} onClick={() => preview.mutate({ expression, sample })}>
          Preview
        </Button>
        {result && (
          <div role="status" className="text-xs">
            {result.ok ? (
              <p className="text-emerald-700 dark:text-emerald-300">Valid: {result.events.length === 1 ? "1 CDEvent" : `${result.events.length} CDEvents`}</p>
            ) : (
              <p className="text-rose-700 dark:text-rose-300">
                <code>{result.field}</code>: {result.reason}
              </p>
            )}
            <pre className="mt-1 max-h-64 overflow-auto rounded bg-gray-50 p-2 dark:bg-gray-900">
              {JSON.stringify(result.ok ? result.events : result.output, null, 2)}
            </pre>
          </div>
        )}
        {preview.error && !errors && <ErrorMessage error={preview.error} />}
      </div>
    </div>
  );
}

function CreateCustomSourceForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const empty = { slug: "", name: "", authType: "bearer" as "bearer" | "hmac" | "basic", secret: "", expression: EXAMPLE };
  const [form, setForm] = useState(empty);
  const [settings, setSettings] = useState({ header: "X-Signature", algorithm: "sha256" as const, encoding: "hex" as const, prefix: "sha256=", username: "" });
  const create = useMutation(
    trpc.events.createCustomSource.mutationOptions({
      onSuccess: () => {
        setForm(empty);
        router.refresh();
      },
    }),
  );
  const errors = fieldErrorsOf(create.error);
  const chosen =
    form.authType === "hmac"
      ? { header: settings.header, algorithm: settings.algorithm, encoding: settings.encoding, prefix: settings.prefix }
      : form.authType === "basic"
        ? { username: settings.username }
        : {};
  return (
    <form
      className="space-y-3"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate({ ...form, settings: chosen });
      }}
    >
      <div className="grid gap-3 sm:grid-cols-4">
        <Field label="Slug (in the URL)" htmlFor="cs-slug" error={errors?.slug}>
          <Input id="cs-slug" value={form.slug} onChange={(e) => setForm({ ...form, slug: e.target.value })} placeholder="release-bot" />
        </Field>
        <Field label="Name" htmlFor="cs-name" error={errors?.name}>
          <Input id="cs-name" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
        </Field>
        <Field label="Authentication" htmlFor="cs-auth" error={errors?.authType}>
          <Select id="cs-auth" value={form.authType} onChange={(e) => setForm({ ...form, authType: e.target.value as typeof form.authType })}>
            <option value="bearer">Bearer token</option>
            <option value="hmac">HMAC signature header</option>
            <option value="basic">Basic auth</option>
          </Select>
        </Field>
        <Field label={form.authType === "hmac" ? "HMAC key" : form.authType === "basic" ? "Password" : "Token"} htmlFor="cs-secret" error={errors?.secret}>
          <Input id="cs-secret" type="password" autoComplete="off" value={form.secret} onChange={(e) => setForm({ ...form, secret: e.target.value })} />
        </Field>
      </div>
      {form.authType === "hmac" && (
        <div className="grid gap-3 sm:grid-cols-4">
          <Field label="Header" htmlFor="cs-header" error={errors?.["settings.header"]}>
            <Input id="cs-header" value={settings.header} onChange={(e) => setSettings({ ...settings, header: e.target.value })} />
          </Field>
          <Field label="Algorithm" htmlFor="cs-alg" error={errors?.["settings.algorithm"]}>
            <Select id="cs-alg" value={settings.algorithm} onChange={(e) => setSettings({ ...settings, algorithm: e.target.value as "sha256" })}>
              <option value="sha256">HMAC-SHA256</option>
              <option value="sha512">HMAC-SHA512</option>
              <option value="sha1">HMAC-SHA1</option>
            </Select>
          </Field>
          <Field label="Encoding" htmlFor="cs-enc" error={errors?.["settings.encoding"]}>
            <Select id="cs-enc" value={settings.encoding} onChange={(e) => setSettings({ ...settings, encoding: e.target.value as "hex" })}>
              <option value="hex">hex</option>
              <option value="base64">base64</option>
            </Select>
          </Field>
          <Field label="Prefix" htmlFor="cs-prefix" error={errors?.["settings.prefix"]}>
            <Input id="cs-prefix" value={settings.prefix} onChange={(e) => setSettings({ ...settings, prefix: e.target.value })} />
          </Field>
        </div>
      )}
      {form.authType === "basic" && (
        <Field label="User name" htmlFor="cs-user" error={errors?.["settings.username"]}>
          <Input id="cs-user" value={settings.username} onChange={(e) => setSettings({ ...settings, username: e.target.value })} />
        </Field>
      )}
      <MappingEditor id="cs-new" expression={form.expression} onChange={(expression) => setForm({ ...form, expression })} error={errors?.expression} />
      <Button type="submit" disabled={create.isPending}>
        Create source
      </Button>
      {create.error && !errors && <ErrorMessage error={create.error} />}
    </form>
  );
}

function PublishVersion({ source }: { source: Source }) {
  const trpc = useTRPC();
  const router = useRouter();
  const toast = useToast();
  const [expression, setExpression] = useState(source.versions[0]?.expression ?? "");
  const publish = useMutation(
    trpc.events.publishCustomMapping.mutationOptions({
      onSuccess: (r) => {
        toast({ message: `Mapping version ${r.version} of ${r.slug} applies to events received from now on.` });
        router.refresh();
      },
    }),
  );
  const errors = fieldErrorsOf(publish.error);
  return (
    <details className="mt-2">
      <summary className="cursor-pointer text-sm">Edit the mapping (publishes version {source.currentVersion + 1})</summary>
      <div className="mt-2 space-y-2">
        <MappingEditor id={`cs-${source.slug}`} expression={expression} onChange={setExpression} error={errors?.expression} />
        <Button type="button" disabled={publish.isPending} onClick={() => publish.mutate({ sourceId: source.id, expression })}>
          Publish version {source.currentVersion + 1}
        </Button>
        {publish.error && !errors && <ErrorMessage error={publish.error} />}
      </div>
    </details>
  );
}

function DeleteSource({ source }: { source: Source }) {
  const trpc = useTRPC();
  const router = useRouter();
  const del = useMutation(trpc.events.deleteCustomSource.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <ConfirmButton
      variant="danger"
      aria-label={`Delete the custom source ${source.slug}`}
      title={`Delete the custom source “${source.name}”?`}
      confirmLabel="Delete source"
      consequence="Its endpoint answers 404 from now on; events already received stay."
      onConfirm={async () => {
        await del.mutateAsync({ id: source.id });
      }}
    >
      Delete
    </ConfirmButton>
  );
}

/** Rotation without a gap: add the new secret (both accepted), switch the sender over, then retire the old one. */
function RotateSecret({ source }: { source: Source }) {
  const trpc = useTRPC();
  const router = useRouter();
  const toast = useToast();
  const [secret, setSecret] = useState("");
  const add = useMutation(
    trpc.events.addCustomSourceSecret.mutationOptions({
      onSuccess: () => {
        setSecret("");
        toast({ message: "New secret added: both are accepted until you retire the old one", tone: "success" });
        router.refresh();
      },
    }),
  );
  const retire = useMutation(trpc.events.retireOldCustomSourceSecret.mutationOptions({ onSuccess: () => router.refresh() }));
  const errors = fieldErrorsOf(add.error);
  if (source.nextHint)
    return (
      <div className="mt-2">
        <ConfirmButton
          variant="secondary"
          aria-label={`Retire the old secret of ${source.slug}`}
          title={`Retire the old secret (${source.hint}) of “${source.name}”?`}
          confirmLabel="Retire old secret"
          consequence={`Requests with ${source.hint} are refused (401) from now on; only ${source.nextHint} is accepted.`}
          onConfirm={async () => {
            await retire.mutateAsync({ sourceId: source.id });
          }}
        >
          Retire old secret
        </ConfirmButton>
      </div>
    );
  return (
    <form
      className="mt-2 flex flex-wrap items-end gap-2"
      onSubmit={(e) => {
        e.preventDefault();
        add.mutate({ sourceId: source.id, secret });
      }}
    >
      <Field label="Rotate: new secret (shown only now)" htmlFor={`rotate-${source.id}`} error={errors?.secret}>
        <Input id={`rotate-${source.id}`} type="password" autoComplete="off" value={secret} onChange={(e) => setSecret(e.target.value)} />
      </Field>
      <Button type="submit" variant="secondary" disabled={add.isPending}>
        Add secret
      </Button>
      {!errors && <ErrorMessage error={add.error} />}
    </form>
  );
}

export function CustomSources({ base, sources }: { base: string; sources: Source[] }) {
  return (
    <Card title="Custom sources">
      <p className="mb-3 text-sm text-gray-600 dark:text-gray-300">
        Any tool that can POST JSON: Pier maps each request with the source&apos;s JSONata mapping to CDEvents, checks them against the CDEvents schemas (a
        refusal names the field and is listed on the data-quality page) and counts them like any other CDEvents.
      </p>
      {sources.length === 0 ? (
        <EmptyState title="No custom sources yet">Define one below.</EmptyState>
      ) : (
        <ul className="space-y-3">
          {sources.map((s) => (
            <li key={s.id} className="rounded-md border border-gray-200 p-3 text-sm dark:border-gray-700">
              <div className="flex flex-wrap items-center justify-between gap-2">
                <h3 className="font-medium">{s.name}</h3>
                <div className="flex items-center gap-2">
                  <Badge color="blue">mapping v{s.currentVersion}</Badge>
                  <DeleteSource source={s} />
                </div>
              </div>
              <p className="mt-1">
                <code className="text-xs break-all">POST {`${base}/api/webhooks/custom/${s.slug}`}</code>
              </p>
              <p className="mt-1 text-gray-600 dark:text-gray-300">
                {authLabel(s)} — secret <span className="font-mono text-xs">{s.hint}</span>
                {s.nextHint && (
                  <>
                    {" "}
                    and <span className="font-mono text-xs">{s.nextHint}</span> <Badge color="yellow">two active</Badge>
                  </>
                )}
              </p>
              <RotateSecret source={s} />
              <PublishVersion source={s} />
            </li>
          ))}
        </ul>
      )}
      <details className="mt-4">
        <summary className="cursor-pointer text-sm font-medium">Define a custom source</summary>
        <div className="mt-3">
          <CreateCustomSourceForm />
        </div>
      </details>
    </Card>
  );
}
