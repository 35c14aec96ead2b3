"use client";
// Confirm or dispute the deployment an incident is attributed to (owners and admins; audited). A disputed link stops
// counting as a change failure. Errors (not your service, …) show next to the buttons.
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useTRPC } from "@/app/_lib/trpc";
import { Button } from "@/app/_components/ui";

export function LinkReview({ incidentId }: { incidentId: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const review = useMutation(trpc.incidents.reviewLink.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <span className="inline-flex flex-wrap items-center gap-1">
      <Button variant="secondary" disabled={review.isPending} onClick={() => review.mutate({ incidentId, decision: "confirmed" })}>
        Confirm
      </Button>
      <Button variant="secondary" disabled={review.isPending} onClick={() => review.mutate({ incidentId, decision: "disputed" })}>
        Dispute
      </Button>
      {review.error && (
        <span role="alert" className="text-xs text-rose-600 dark:text-rose-400">
          {review.error.message}
        </span>
      )}
    </span>
  );
}
