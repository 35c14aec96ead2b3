"use client";
// Registers a catalog-info.yaml URL (GitHub or GitLab) or a GitHub organisation; Pier reads it at once.
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useToast } from "@/app/_components/toast";
import { Button, ErrorMessage, Field, Input, Select } from "@/app/_components/ui";
import { fieldErrors, useTRPC } from "@/app/_lib/trpc";

export function RegisterLocationForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const toast = useToast();
  const [type, setType] = useState<"url" | "github-org">("url");
  const register = useMutation(
    trpc.catalog.locations.register.mutationOptions({
      onSuccess: (r) => {
        toast({
          message:
            r.refresh.status === "error" ? `Registered, but the first read failed: ${r.refresh.message}` : `Registered: ${r.refresh.entities} entities listed.`,
        });
        router.refresh();
      },
    }),
  );
  const errors = fieldErrors(register.error);
  return (
    <form
      noValidate
      className="grid gap-3 sm:grid-cols-4"
      onSubmit={(e) => {
        e.preventDefault();
        const f = new FormData(e.currentTarget);
        register.mutate({ type, target: String(f.get("target") ?? ""), integration: String(f.get("integration") ?? "") || null });
      }}
    >
      <Field label="What" htmlFor="loc-type" error={errors.type}>
        <Select id="loc-type" name="type" value={type} onChange={(e) => setType(e.target.value as "url" | "github-org")}>
          <option value="url">A catalog-info.yaml URL</option>
          <option value="github-org">A GitHub organisation</option>
        </Select>
      </Field>
      <Field
        label="URL"
        htmlFor="loc-target"
        error={errors.target}
        hint={
          type === "url"
            ? "GitHub …/blob/main/catalog-info.yaml, raw.githubusercontent.com, or GitLab …/-/blob/main/catalog-info.yaml"
            : "https://github.com/<org>: every repository's catalog-info.yaml"
        }
      >
        <Input
          id="loc-target"
          name="target"
          placeholder={type === "url" ? "https://github.com/acme/payments/blob/main/catalog-info.yaml" : "https://github.com/acme"}
          aria-invalid={!!errors.target}
        />
      </Field>
      <Field label="Integration (optional)" htmlFor="loc-integration" error={errors.integration} hint="Its token reads private repositories">
        <Input id="loc-integration" name="integration" placeholder="github" aria-invalid={!!errors.integration} />
      </Field>
      <div className="self-end">
        <Button type="submit" disabled={register.isPending}>
          {register.isPending ? "Reading…" : "Register"}
        </Button>
      </div>
      {register.error && !Object.keys(errors).length && (
        <div className="sm:col-span-4">
          <ErrorMessage error={register.error} />
        </div>
      )}
    </form>
  );
}
