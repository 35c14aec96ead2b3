"use client";
// A location's actions (refresh now, delete) and an orphan's delete, each destructive one through a ConfirmDialog.
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { ConfirmButton } from "@/app/_components/confirm-dialog";
import { useToast } from "@/app/_components/toast";
import { Button, ErrorMessage } from "@/app/_components/ui";
import { useTRPC } from "@/app/_lib/trpc";

export function LocationActions({ id, target, example }: { id: string; target: string; example: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const toast = useToast();
  const refresh = useMutation(
    trpc.catalog.locations.refresh.mutationOptions({
      onSuccess: (r) => {
        toast({
          message: r.status === "unchanged" ? "Nothing changed since the last read." : r.status === "error" ? `Read failed: ${r.message}` : "Location read.",
        });
        router.refresh();
      },
    }),
  );
  const remove = useMutation(trpc.catalog.locations.delete.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <div className="flex flex-col items-start gap-1">
      <div className="flex gap-2">
        {!example && (
          <Button variant="secondary" disabled={refresh.isPending} onClick={() => refresh.mutate({ id })} aria-label={`Refresh ${target} now`}>
            {refresh.isPending ? "Reading…" : "Refresh now"}
          </Button>
        )}
        <ConfirmButton
          variant="ghost"
          aria-label={`Delete location ${target}`}
          title="Delete this location?"
          confirmLabel="Delete location"
          consequence={`Pier stops reading ${target}. The entities it brought in stay in the catalog; delete them one by one if they should go.`}
          onConfirm={async () => {
            await remove.mutateAsync({ id });
            toast({ message: "Location deleted." });
          }}
        >
          Delete
        </ConfirmButton>
      </div>
      {refresh.error && <ErrorMessage error={refresh.error} />}
    </div>
  );
}

/** Deletes an orphaned entity (admins, or members of the owning team); audited. */
export function OrphanDelete({ entityRef }: { entityRef: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const toast = useToast();
  const remove = useMutation(trpc.catalog.locations.deleteOrphan.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <ConfirmButton
      variant="ghost"
      aria-label={`Delete orphaned entity ${entityRef}`}
      title={`Delete ${entityRef}?`}
      confirmLabel="Delete entity"
      consequence="No location lists this entity any more. Deleting it removes it and the relations it declares from the catalog (relations other entities make to it become unresolved). A Pier service or team it became stays. This is audited and cannot be undone."
      onConfirm={async () => {
        await remove.mutateAsync({ ref: entityRef });
        toast({ message: `${entityRef} deleted.` });
      }}
    >
      Delete
    </ConfirmButton>
  );
}
