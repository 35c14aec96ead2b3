"use client";
// Editing a service and its dependencies, for admins and members of the owning team. Everyone else sees why they
// cannot (the server refuses them too). Field errors from the server appear next to their field.
import { useMutation, useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { Button, Card, ErrorMessage, Field, Input, Select, Textarea } from "@/app/_components/ui";
import { fieldErrors, useTRPC } from "@/app/_lib/trpc";
import { serviceFieldsFromForm } from "@/app/(portal)/catalog/_components/service-form-data";
import type { ServiceDetail } from "@/server/catalog/service-pages";
import { ServiceDatalist } from "@/app/_components/service-datalist";

export function EditService({ service }: { service: ServiceDetail }) {
  const [open, setOpen] = useState(false);
  if (!service.canEdit) {
    return (
      <p role="note" className="rounded-md border border-gray-200 px-3 py-2 text-sm text-gray-600 dark:border-gray-800 dark:text-gray-400">
        Read-only: only admins and members of {service.team.name} can edit this service.
      </p>
    );
  }
  return (
    <Card
      title="Edit"
      actions={
        <Button variant="secondary" onClick={() => setOpen(!open)} aria-expanded={open}>
          {open ? "Close" : "Edit service"}
        </Button>
      }
    >
      {open ? (
        <EditForm service={service} onDone={() => setOpen(false)} />
      ) : (
        <p className="text-sm text-gray-500 dark:text-gray-400">You can edit this service as a member of {service.team.name} or an admin.</p>
      )}
      {open && <Dependencies service={service} />}
    </Card>
  );
}

function EditForm({ service, onDone }: { service: ServiceDetail; onDone: () => void }) {
  const trpc = useTRPC();
  const router = useRouter();
  const update = useMutation(trpc.catalog.update.mutationOptions({ onSuccess: () => (router.refresh(), onDone()) }));
  const errors = fieldErrors(update.error);

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    update.mutate({ slug: service.slug, changes: serviceFieldsFromForm(f) });
  }

  const tagErrors = Object.entries(errors).find(([k]) => k.startsWith("tags"))?.[1];
  return (
    <form onSubmit={submit} className="grid gap-3 sm:grid-cols-2" noValidate>
      <Field label="Name" htmlFor="name" error={errors.name}>
        <Input id="name" name="name" defaultValue={service.name} aria-invalid={!!errors.name} />
      </Field>
      <Field label="Type" htmlFor="type" error={errors.type} hint="service, website, library, job…">
        <Input id="type" name="type" defaultValue={service.type} aria-invalid={!!errors.type} />
      </Field>
      <div className="sm:col-span-2">
        <Field label="Description" htmlFor="description" error={errors.description}>
          <Textarea id="description" name="description" rows={3} defaultValue={service.description} aria-invalid={!!errors.description} />
        </Field>
      </div>
      <Field label="Tier" htmlFor="tier" error={errors.tier}>
        <Select id="tier" name="tier" defaultValue={String(service.tier)}>
          <option value="1">1 — critical</option>
          <option value="2">2</option>
          <option value="3">3</option>
        </Select>
      </Field>
      <Field label="Lifecycle" htmlFor="lifecycle" error={errors.lifecycle}>
        <Select id="lifecycle" name="lifecycle" defaultValue={service.lifecycle}>
          <option value="experimental">experimental</option>
          <option value="production">production</option>
          <option value="deprecated">deprecated</option>
        </Select>
      </Field>
      <Field label="Language" htmlFor="language" error={errors.language}>
        <Input id="language" name="language" defaultValue={service.language ?? ""} />
      </Field>
      <Field label="Tags" htmlFor="tags" error={tagErrors} hint="Comma-separated">
        <Input id="tags" name="tags" defaultValue={service.tags.join(", ")} aria-invalid={!!tagErrors} />
      </Field>
      <Field label="Repository URL" htmlFor="repositoryUrl" error={errors.repositoryUrl}>
        <Input id="repositoryUrl" name="repositoryUrl" type="url" defaultValue={service.repositoryUrl ?? ""} aria-invalid={!!errors.repositoryUrl} />
      </Field>
      <Field label="Runbook URL" htmlFor="runbookUrl" error={errors.runbookUrl}>
        <Input id="runbookUrl" name="runbookUrl" type="url" defaultValue={service.runbookUrl ?? ""} aria-invalid={!!errors.runbookUrl} />
      </Field>
      <div className="flex items-center gap-2 sm:col-span-2">
        <Button type="submit" disabled={update.isPending}>
          {update.isPending ? "Saving…" : "Save changes"}
        </Button>
        {update.error && !Object.keys(errors).length && <ErrorMessage error={update.error} />}
      </div>
    </form>
  );
}

function Dependencies({ service }: { service: ServiceDetail }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [q, setQ] = useState("");
  const picker = useQuery(trpc.catalog.picker.queryOptions({ q }, { enabled: q.length > 0 }));
  const add = useMutation(trpc.catalog.addDependency.mutationOptions({ onSuccess: () => (setQ(""), router.refresh()) }));
  const remove = useMutation(trpc.catalog.removeDependency.mutationOptions({ onSuccess: () => router.refresh() }));
  const errors = fieldErrors(add.error);

  return (
    <div className="mt-6 border-t border-gray-200 pt-4 dark:border-gray-800">
      <h3 className="mb-2 text-sm font-semibold">Dependencies</h3>
      <ul className="mb-3 space-y-1 text-sm">
        {service.upstream.map((d) => (
          <li key={d.id} className="flex items-center gap-2">
            {d.name} <span className="text-gray-500 dark:text-gray-400">({d.dependencyKind})</span>
            <Button variant="ghost" onClick={() => remove.mutate({ fromSlug: service.slug, toSlug: d.slug })} aria-label={`Remove dependency on ${d.name}`}>
              Remove
            </Button>
          </li>
        ))}
      </ul>
      <ErrorMessage error={remove.error} />
      <form
        className="flex flex-wrap items-end gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget);
          add.mutate({ fromSlug: service.slug, toSlug: String(f.get("toSlug") ?? "").trim(), kind: String(f.get("kind")) as "runtime" });
        }}
      >
        <div className="min-w-48 flex-1">
          <Field label="Depends on (slug)" htmlFor="toSlug" error={errors.toSlug}>
            <Input
              id="toSlug"
              name="toSlug"
              list="service-slugs"
              value={q}
              onChange={(e) => setQ(e.target.value)}
              autoComplete="off"
              aria-invalid={!!errors.toSlug}
            />
          </Field>
          <ServiceDatalist id="service-slugs" services={picker.data} />
        </div>
        <Field label="Kind" htmlFor="kind">
          <Select id="kind" name="kind" defaultValue="runtime">
            <option value="runtime">runtime</option>
            <option value="build">build</option>
            <option value="data">data</option>
          </Select>
        </Field>
        <Button type="submit" variant="secondary" disabled={add.isPending}>
          Add dependency
        </Button>
      </form>
      {add.error && !Object.keys(errors).length && <ErrorMessage error={add.error} />}
    </div>
  );
}
