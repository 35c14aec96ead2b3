"use client";
// Approve, reject and abort a release: each asks first (ConfirmButton), saying what will happen.
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { ConfirmButton } from "@/app/_components/confirm-dialog";
import { ErrorMessage } from "@/app/_components/ui";
import { useTRPC } from "@/app/_lib/trpc";

type Props = { id: string; name: string; status: string; can: { approve: boolean; abort: boolean } };

export function ReleaseActions({ id, name, status, can }: Props) {
  const trpc = useTRPC();
  const router = useRouter();
  const done = { onSuccess: () => router.refresh() };
  const approve = useMutation(trpc.releases.approve.mutationOptions(done));
  const abort = useMutation(trpc.releases.abort.mutationOptions(done));
  if (!can.approve && !can.abort) return null;
  return (
    <div className="mt-3 space-y-2">
      <div className="flex flex-wrap gap-2">
        {can.approve && (
          <>
            <ConfirmButton
              variant="primary"
              tone="primary"
              title={`Approve release ${name}?`}
              confirmLabel="Approve"
              consequence={<p>Once approved, its services deploy one after the other, providers first.</p>}
              onConfirm={() => approve.mutate({ id, decision: "approve" })}
            >
              Approve
            </ConfirmButton>
            <ConfirmButton
              title={`Reject release ${name}?`}
              confirmLabel="Reject"
              consequence={<p>None of its services will deploy; their requests are cancelled.</p>}
              onConfirm={() => approve.mutate({ id, decision: "reject" })}
            >
              Reject
            </ConfirmButton>
          </>
        )}
        {can.abort && (
          <ConfirmButton
            title={`Abort release ${name}?`}
            confirmLabel="Abort"
            consequence={<p>Services not started yet are cancelled; one already deploying finishes. What went out stays out.</p>}
            onConfirm={() => abort.mutate({ id })}
          >
            Abort
          </ConfirmButton>
        )}
        {can.abort && status !== "pending_approval" && (
          <ConfirmButton
            title={`Abort and roll back release ${name}?`}
            confirmLabel="Abort and roll back"
            consequence={<p>Services not started are cancelled, and those that went out are rolled back, consumers first.</p>}
            onConfirm={() => abort.mutate({ id, rollBack: true })}
          >
            Abort and roll back
          </ConfirmButton>
        )}
      </div>
      <ErrorMessage error={approve.error ?? abort.error} />
    </div>
  );
}
