"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useTRPC } from "@/app/_lib/trpc";
import { Button } from "@/app/_components/ui";

export function RetryButton({ id }: { id: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const retry = useMutation(trpc.events.retry.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <Button variant="secondary" disabled={retry.isPending} onClick={() => retry.mutate({ id })}>
      {retry.isPending ? "Retrying…" : "Retry"}
    </Button>
  );
}
