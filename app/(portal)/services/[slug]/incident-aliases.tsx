"use client";
// The ids and names incident tools (PagerDuty, Opsgenie…) use for this service, so their incidents are filed here.
// Owners and admins edit them (one per line); everyone else sees the list. The server checks the same rule.
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import type { FormEvent } from "react";
import { Badge, Button, Card, ErrorMessage, Field, Textarea } from "@/app/_components/ui";
import { fieldErrors, useTRPC } from "@/app/_lib/trpc";

export function IncidentAliases({ slug, aliases, canEdit }: { slug: string; aliases: string[]; canEdit: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const save = useMutation(trpc.catalog.setIncidentAliases.mutationOptions({ onSuccess: () => router.refresh() }));
  const errors = fieldErrors(save.error);
  const aliasError = Object.entries(errors).find(([k]) => k.startsWith("aliases"))?.[1];

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const text = String(new FormData(e.currentTarget).get("aliases") ?? "");
    save.mutate({
      slug,
      aliases: text
        .split("\n")
        .map((s) => s.trim())
        .filter(Boolean),
    });
  }

  return (
    <Card id="incident-aliases" title="Incident aliases">
      {canEdit ? (
        <form onSubmit={submit} className="space-y-2" noValidate>
          <Field
            label="Ids and names incident tools use for this service"
            htmlFor="aliases"
            error={aliasError}
            hint="One per line, e.g. a PagerDuty service id (PXYZ123)"
          >
            <Textarea id="aliases" name="aliases" rows={3} defaultValue={aliases.join("\n")} aria-invalid={!!aliasError} />
          </Field>
          {save.error && !aliasError && <ErrorMessage error={save.error} />}
          <Button type="submit" disabled={save.isPending}>
            {save.isPending ? "Saving…" : "Save aliases"}
          </Button>
          {save.isSuccess && <span className="ml-2 text-sm text-gray-600 dark:text-gray-400">Saved.</span>}
        </form>
      ) : aliases.length === 0 ? (
        <p className="text-sm text-gray-500 dark:text-gray-400">No aliases: incidents match this service by its name.</p>
      ) : (
        <ul className="flex flex-wrap gap-2" aria-label="Incident aliases">
          {aliases.map((a) => (
            <li key={a}>
              <Badge>{a}</Badge>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
