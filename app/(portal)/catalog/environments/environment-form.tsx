"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { Button, ErrorMessage, Field, Input } from "@/app/_components/ui";
import { fieldErrors, useTRPC } from "@/app/_lib/trpc";

export function EnvironmentForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const create = useMutation(trpc.catalog.createEnvironment.mutationOptions({ onSuccess: () => router.refresh() }));
  const errors = fieldErrors(create.error);
  return (
    <form
      noValidate
      className="grid gap-3 sm:grid-cols-3"
      onSubmit={(e) => {
        e.preventDefault();
        const f = new FormData(e.currentTarget);
        create.mutate({ name: String(f.get("name") ?? ""), rank: Number(f.get("rank")), isProduction: f.get("isProduction") === "on" });
      }}
    >
      <Field label="Name" htmlFor="env-name" error={errors.name}>
        <Input id="env-name" name="name" placeholder="qa" aria-invalid={!!errors.name} />
      </Field>
      <Field label="Rank" htmlFor="env-rank" error={errors.rank} hint="dev 10, staging 20, prod 30">
        <Input id="env-rank" name="rank" type="number" aria-invalid={!!errors.rank} />
      </Field>
      <label className="flex items-center gap-2 self-center text-sm">
        <input type="checkbox" name="isProduction" /> Production
      </label>
      <div className="sm:col-span-3">
        <Button type="submit" disabled={create.isPending}>
          Add environment
        </Button>
        {create.error && !Object.keys(errors).length && <ErrorMessage error={create.error} />}
      </div>
    </form>
  );
}
