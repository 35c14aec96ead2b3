"use client";
// "Send a test event": Pier sends itself a delivery shaped like the tool's, with the first secret of its kind, through
// the real endpoint (server/ingest/test-delivery.ts), and shows the answer the tool would get.
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useTRPC } from "@/app/_lib/trpc";
import { Button, ErrorMessage } from "@/app/_components/ui";

type TestSource = "gitlab" | "argocd" | "terraform" | "jenkins" | "jira" | "unleash" | "launchdarkly" | "flagsmith";

export function TestDeliveryButton({ source, label }: { source: TestSource; label: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const send = useMutation(trpc.events.sendTestDelivery.mutationOptions({ onSuccess: () => router.refresh() }));
  const answer = send.data;
  const ok = answer && answer.status >= 200 && answer.status < 300;
  return (
    <div className="mt-2 space-y-1">
      <Button variant="secondary" disabled={send.isPending} aria-label={`Send a test event to the ${label} endpoint`} onClick={() => send.mutate({ source })}>
        {send.isPending ? "Sending…" : "Send a test event"}
      </Button>
      {answer && (
        <p role="status" className={ok ? "text-xs text-emerald-700 dark:text-emerald-300" : "text-xs text-rose-700 dark:text-rose-300"}>
          Pier answered {answer.status}
          {ok
            ? source === "terraform"
              ? " (verification: not stored)"
              : " — stored as a test event, used by no metric"
            : `: ${String((answer.body as { error?: string }).error ?? "")}`}
        </p>
      )}
      {send.error && <ErrorMessage error={send.error} />}
    </div>
  );
}
