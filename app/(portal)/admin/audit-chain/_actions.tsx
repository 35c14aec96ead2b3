"use client";
// Verify now (full or incremental) and download the signed checkpoints as JSON.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Button, ErrorMessage } from "@/app/_components/ui";
import { useTRPC } from "@/app/_lib/trpc";
import { ReportView } from "./_report";

export function ChainActions() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const verify = useMutation(trpc.audit.verifyChain.mutationOptions({ onSuccess: () => router.refresh() }));
  const [downloadError, setDownloadError] = useState<unknown>(null);
  const [downloading, setDownloading] = useState(false);
  const download = async () => {
    setDownloading(true);
    setDownloadError(null);
    try {
      const doc = await queryClient.fetchQuery({ ...trpc.audit.exportCheckpoints.queryOptions(), staleTime: 0 });
      const url = URL.createObjectURL(new Blob([JSON.stringify(doc, null, 2)], { type: "application/json" }));
      const a = document.createElement("a");
      a.href = url;
      a.download = `pier-audit-checkpoints-${doc.exportedAt.slice(0, 19).replace(/[:T]/g, "-")}.json`;
      a.click();
      URL.revokeObjectURL(url);
    } catch (err) {
      setDownloadError(err);
    } finally {
      setDownloading(false);
    }
  };
  return (
    <div className="space-y-3">
      <div className="flex flex-wrap gap-2">
        <Button disabled={verify.isPending} onClick={() => verify.mutate({ mode: "full" })}>
          {verify.isPending && verify.variables?.mode === "full" ? "Verifying…" : "Verify the whole chain"}
        </Button>
        <Button variant="secondary" disabled={verify.isPending} onClick={() => verify.mutate({ mode: "incremental" })}>
          {verify.isPending && verify.variables?.mode === "incremental" ? "Verifying…" : "Verify since last checkpoint"}
        </Button>
        <Button variant="secondary" disabled={downloading} onClick={download}>
          {downloading ? "Exporting…" : "Download checkpoints (JSON)"}
        </Button>
      </div>
      {verify.data && (
        <div className="rounded-lg border border-gray-200 bg-white p-4 shadow-sm dark:border-gray-800 dark:bg-gray-900">
          <p className="mb-2 text-sm font-semibold text-gray-700 dark:text-gray-200">Result of this verification</p>
          <ReportView report={verify.data} />
        </div>
      )}
      <ErrorMessage error={verify.error ?? downloadError} />
    </div>
  );
}
