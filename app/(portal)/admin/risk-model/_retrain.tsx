"use client";
// Retrain now (admins): the page shows the new run when it is done.
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { Button, ErrorMessage } from "@/app/_components/ui";
import { useTRPC } from "@/app/_lib/trpc";

export function RetrainButton() {
  const trpc = useTRPC();
  const router = useRouter();
  const retrain = useMutation(trpc.riskModel.retrain.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <div className="flex flex-col items-end gap-1">
      <Button disabled={retrain.isPending} onClick={() => retrain.mutate()}>
        {retrain.isPending ? "Training…" : "Retrain now"}
      </Button>
      <ErrorMessage error={retrain.error} />
    </div>
  );
}
