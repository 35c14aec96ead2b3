"use client";
import { useMutation } from "@tanstack/react-query";
import { Button, ErrorMessage } from "@/app/_components/ui";
import { plural } from "@/app/_lib/plural";
import { useTRPC } from "@/app/_lib/trpc";

/** Downloads the compliance evidence (approvers and admins; others see the refusal). */
export function EvidenceButtons(scope: { requestId: string } | { from: Date; to: Date }) {
  const trpc = useTRPC();
  const exp = useMutation(
    trpc.deployments.exportEvidence.mutationOptions({
      onSuccess: (file) => {
        const url = URL.createObjectURL(new Blob([file.body], { type: file.contentType }));
        const a = document.createElement("a");
        a.href = url;
        a.download = file.filename;
        a.click();
        URL.revokeObjectURL(url);
      },
    }),
  );
  const run = (format: "json" | "csv") =>
    exp.mutate("requestId" in scope ? { requestId: scope.requestId, format } : { from: scope.from, to: scope.to, format });
  return (
    <div className="mt-3 space-y-2">
      <div className="flex flex-wrap gap-2">
        <Button variant="ghost" disabled={exp.isPending} onClick={() => run("csv")}>
          Evidence CSV
        </Button>
        <Button variant="ghost" disabled={exp.isPending} onClick={() => run("json")}>
          Evidence JSON
        </Button>
      </div>
      {exp.data && (
        <p className="text-xs text-gray-500 dark:text-gray-400">
          {plural(exp.data.count, "record")} · audit chain {exp.data.auditChainOk ? "verified" : "BROKEN"}
        </p>
      )}
      <ErrorMessage error={exp.error} />
    </div>
  );
}
