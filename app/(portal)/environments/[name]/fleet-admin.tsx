"use client";
// Admin controls on the environment page: drain/undrain a target, edit the default plan (as JSON, validated by the
// server: errors name the field).
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Button, ErrorMessage, Field, Textarea } from "@/app/_components/ui";
import { useTRPC } from "@/app/_lib/trpc";

export function DrainButton({ targetId, name, drained }: { targetId: string; name: string; drained: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const drain = useMutation(trpc.rollouts.drain.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <>
      <Button
        variant="secondary"
        disabled={drain.isPending}
        onClick={() => drain.mutate({ targetId, drained: !drained, reason: drained ? undefined : "drained by an admin" })}
      >
        {drained ? `Undrain ${name}` : `Drain ${name}`}
      </Button>
      <ErrorMessage error={drain.error} />
    </>
  );
}

/** Approve or reject a waiting drain request (shown to those the environment's policy lets decide). */
export function DrainDecision({ drainRequestId, target }: { drainRequestId: string; target: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const decide = useMutation(trpc.rollouts.decideDrain.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <>
      <span className="flex gap-2">
        <Button disabled={decide.isPending} onClick={() => decide.mutate({ drainRequestId, decision: "approve" })}>
          Approve drain of {target}
        </Button>
        <Button variant="secondary" disabled={decide.isPending} onClick={() => decide.mutate({ drainRequestId, decision: "reject" })}>
          Reject
        </Button>
      </span>
      <ErrorMessage error={decide.error} />
    </>
  );
}

export function PlanEditor({ environmentId, plan }: { environmentId: string; plan: unknown }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [text, setText] = useState(JSON.stringify(plan, null, 2));
  const [parseError, setParseError] = useState<string | null>(null);
  const save = useMutation(trpc.rollouts.savePlan.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <details className="mt-3">
      <summary className="cursor-pointer text-sm">Edit the plan</summary>
      <Field label="Plan (JSON)" htmlFor="plan-json">
        <Textarea id="plan-json" rows={14} className="font-mono text-xs" value={text} onChange={(e) => setText(e.target.value)} />
      </Field>
      <Button
        className="mt-2"
        disabled={save.isPending}
        onClick={() => {
          try {
            const parsed = JSON.parse(text) as never;
            setParseError(null);
            save.mutate({ environmentId, plan: parsed });
          } catch {
            setParseError("The plan is not valid JSON");
          }
        }}
      >
        Save plan
      </Button>
      <ErrorMessage error={parseError ?? save.error} />
    </details>
  );
}
