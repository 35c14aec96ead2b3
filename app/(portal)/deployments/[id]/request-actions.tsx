"use client";
// Cancel and Roll back on a deployment request: both ask first, saying what will happen, and take an optional reason
// (kept in the audit trail and the timeline).
import { useMutation } from "@tanstack/react-query";
import { useId, useState } from "react";
import { ConfirmButton } from "@/app/_components/confirm-dialog";
import { useToast } from "@/app/_components/toast";
import { Field, Textarea } from "@/app/_components/ui";
import { MigrationWarning } from "../_components/migration-warning";
import { useTRPC } from "@/app/_lib/trpc";

type Request = {
  id: string;
  status: string;
  version: string;
  previousVersion: string | null;
  serviceId: string;
  environmentId: string;
  service: { name: string };
  environment: { name: string };
};

function ReasonField({ value, onChange }: { value: string; onChange: (v: string) => void }) {
  const id = useId();
  return (
    <Field label="Reason (optional)" htmlFor={id}>
      <Textarea id={id} rows={2} maxLength={500} value={value} onChange={(e) => onChange(e.target.value)} />
    </Field>
  );
}

export function CancelRequestButton({ request: r, onDone }: { request: Request; onDone: () => unknown }) {
  const trpc = useTRPC();
  const toast = useToast();
  const [reason, setReason] = useState("");
  const cancel = useMutation(trpc.deployments.cancel.mutationOptions({ onSuccess: onDone }));
  const what = `${r.service.name} ${r.version} to ${r.environment.name}`;
  return (
    <ConfirmButton
      variant="secondary"
      title={`Cancel the deployment of ${what}?`}
      confirmLabel="Cancel request"
      cancelLabel="Keep it"
      consequence={
        <>
          <p>
            {r.status === "pending_approval"
              ? "It stops waiting for approval and the approvals given so far are discarded."
              : "It will not start, though it was approved."}{" "}
            {r.environment.name} stays on {r.previousVersion ?? "what runs there now"}. To deploy {r.version} later, request it again.
          </p>
          <ReasonField value={reason} onChange={setReason} />
        </>
      }
      onConfirm={async () => {
        await cancel.mutateAsync({ id: r.id, reason: reason.trim() || undefined });
        toast({ message: `Cancelled the deployment of ${what}.` });
      }}
    >
      Cancel request
    </ConfirmButton>
  );
}

export function RollbackButton({ request: r, onDone }: { request: Request; onDone: () => unknown }) {
  const trpc = useTRPC();
  const toast = useToast();
  const [reason, setReason] = useState("");
  const rollback = useMutation(trpc.deployments.rollback.mutationOptions({ onSuccess: onDone }));
  return (
    <ConfirmButton
      variant="danger"
      title={`Roll ${r.service.name} in ${r.environment.name} back from ${r.version} to ${r.previousVersion}?`}
      confirmLabel={`Roll back to ${r.previousVersion}`}
      consequence={
        <>
          <p>
            A rollback deploys {r.previousVersion} to {r.environment.name} right away, replacing {r.version}: it needs no approval, skips the wait timer and is
            not held by freeze windows. When it succeeds, this deployment is marked rolled back.
          </p>
          <MigrationWarning serviceId={r.serviceId} environmentId={r.environmentId} version={r.version} />
          <ReasonField value={reason} onChange={setReason} />
        </>
      }
      onConfirm={async () => {
        const created = await rollback.mutateAsync({ id: r.id, reason: reason.trim() || "one-click rollback" });
        toast({
          message: `Rolling ${r.service.name} in ${r.environment.name} back to ${r.previousVersion}: the rollback is queued.`,
          href: `/deployments/${created.id}`,
          linkLabel: "Follow the rollback",
        });
      }}
    >
      Roll back to {r.previousVersion}
    </ConfirmButton>
  );
}
