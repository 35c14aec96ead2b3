"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import type { FormEvent } from "react";
import { Button, EmptyState, ErrorMessage, Field, Input, Select, Textarea } from "@/app/_components/ui";
import { fieldErrors, useTRPC } from "@/app/_lib/trpc";
import { serviceFieldsFromForm } from "../_components/service-form-data";

export function NewServiceForm({ teams }: { teams: { slug: string; name: string }[] }) {
  const trpc = useTRPC();
  const router = useRouter();
  const create = useMutation(trpc.catalog.create.mutationOptions({ onSuccess: (s) => router.push(`/services/${s.slug}`) }));
  const errors = fieldErrors(create.error);
  if (!teams.length) return <EmptyState title="You are in no team">Ask an admin to add you to a team, or to create the service for you.</EmptyState>;

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const text = (k: string) => String(f.get(k) ?? "");
    const fields = serviceFieldsFromForm(f);
    create.mutate({ ...fields, type: fields.type || "service", slug: text("slug"), teamSlug: text("teamSlug") });
  }
  const tagErrors = Object.entries(errors).find(([k]) => k.startsWith("tags"))?.[1];
  return (
    <form onSubmit={submit} noValidate className="grid gap-3 sm:grid-cols-2">
      <Field label="Name" htmlFor="name" error={errors.name}>
        <Input id="name" name="name" required aria-invalid={!!errors.name} />
      </Field>
      <Field label="Slug" htmlFor="slug" error={errors.slug} hint="Lowercase, e.g. payments-api. Cannot change later.">
        <Input id="slug" name="slug" required aria-invalid={!!errors.slug} />
      </Field>
      <div className="sm:col-span-2">
        <Field label="Description" htmlFor="description" error={errors.description}>
          <Textarea id="description" name="description" rows={3} />
        </Field>
      </div>
      <Field label="Owning team" htmlFor="teamSlug" error={errors.teamSlug}>
        <Select id="teamSlug" name="teamSlug" defaultValue={teams[0].slug}>
          {teams.map((t) => (
            <option key={t.slug} value={t.slug}>
              {t.name}
            </option>
          ))}
        </Select>
      </Field>
      <Field label="Type" htmlFor="type" error={errors.type} hint="service, website, library, job…">
        <Input id="type" name="type" defaultValue="service" />
      </Field>
      <Field label="Tier" htmlFor="tier" error={errors.tier}>
        <Select id="tier" name="tier" defaultValue="2">
          <option value="1">1 — critical</option>
          <option value="2">2</option>
          <option value="3">3</option>
        </Select>
      </Field>
      <Field label="Lifecycle" htmlFor="lifecycle" error={errors.lifecycle}>
        <Select id="lifecycle" name="lifecycle" defaultValue="experimental">
          <option value="experimental">experimental</option>
          <option value="production">production</option>
          <option value="deprecated">deprecated</option>
        </Select>
      </Field>
      <Field label="Language" htmlFor="language">
        <Input id="language" name="language" />
      </Field>
      <Field label="Tags" htmlFor="tags" error={tagErrors} hint="Comma-separated">
        <Input id="tags" name="tags" />
      </Field>
      <Field label="Repository URL" htmlFor="repositoryUrl" error={errors.repositoryUrl}>
        <Input id="repositoryUrl" name="repositoryUrl" type="url" aria-invalid={!!errors.repositoryUrl} />
      </Field>
      <Field label="Runbook URL" htmlFor="runbookUrl" error={errors.runbookUrl}>
        <Input id="runbookUrl" name="runbookUrl" type="url" aria-invalid={!!errors.runbookUrl} />
      </Field>
      <div className="sm:col-span-2">
        <Button type="submit" disabled={create.isPending}>
          {create.isPending ? "Creating…" : "Create service"}
        </Button>
        {create.error && !Object.keys(errors).length && <ErrorMessage error={create.error} />}
      </div>
    </form>
  );
}
