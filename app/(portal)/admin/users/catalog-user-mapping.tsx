"use client";
// The "Map catalog Users to Pier accounts by email" setting (server/catalog/user-mapping.ts), with what it does.
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useToast } from "@/app/_components/toast";
import { ErrorMessage } from "@/app/_components/ui";
import { useTRPC } from "@/app/_lib/trpc";

export function CatalogUserMapping({ on }: { on: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const toast = useToast();
  const save = useMutation(
    trpc.catalog.setUserMapping.mutationOptions({
      onSuccess: (r) => {
        toast({
          message: r.mapUsersByEmail
            ? `Mapping on: ${r.linked} catalog Users linked, ${r.added} memberships added.`
            : `Mapping off: ${r.unlinked} catalog Users unlinked, ${r.removed} memberships removed.`,
        });
        router.refresh();
      },
    }),
  );
  return (
    <div className="space-y-2 text-sm">
      <label className="flex items-center gap-2 font-medium">
        <input
          type="checkbox"
          checked={on}
          disabled={save.isPending}
          onChange={(e) => save.mutate({ mapUsersByEmail: e.target.checked })}
          className="h-4 w-4"
        />
        Map catalog Users to Pier accounts by email
      </label>
      <p className="text-gray-600 dark:text-gray-300">
        A Backstage User whose <code>spec.profile.email</code> is a Pier user&apos;s e-mail (any case) is linked to that user, and joins the Pier teams among
        its <code>memberOf</code> Groups; a membership the catalog stops listing is removed. Memberships made by hand are never touched. Turning it off unlinks
        every User and removes the memberships it made. Audited.
      </p>
      <ErrorMessage error={save.error} />
    </div>
  );
}
