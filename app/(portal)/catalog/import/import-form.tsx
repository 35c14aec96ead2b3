"use client";
// Paste or upload YAML, preview with a dry run, then import. The report lists every entity and what happened.
// Each entity is accepted or refused on its own unless "atomic" is ticked. The files next to the catalog file (a
// folder upload) are sent along for $text/$json/$yaml placeholders and Location targets.
// A file over the inline limits (or any file, when asked) is imported in the background instead: it is sent to
// POST /api/catalog/import?async=1 (the REST route takes up to 20 MB; tRPC bodies stop at 5 MB) and its progress
// shown until it ends (./import-progress.tsx).
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useMemo, useState } from "react";
import { Badge, type BadgeColor, Button, ErrorMessage, Field, Input, Table, Td, Textarea } from "@/app/_components/ui";
import { fieldErrors, useTRPC } from "@/app/_lib/trpc";
import { INLINE_IMPORT_LIMITS } from "@/server/catalog/import-limits";
import { ImportProgress } from "./import-progress";

const STATUS_COLOR: Record<string, BadgeColor> = { created: "green", updated: "blue", skipped: "gray", error: "red" };

/** A refusal from the REST route ({error, field}), shown like a tRPC field error. */
class ImportRefusal extends Error {
  constructor(
    message: string,
    readonly field: string | null,
  ) {
    super(message);
  }
}

async function startBackgroundImport(yaml: string): Promise<{ id: string }> {
  const res = await fetch("/api/catalog/import?async=1", { method: "POST", headers: { "content-type": "application/yaml" }, body: yaml });
  const body = (await res.json().catch(() => null)) as { id?: string; error?: string; field?: string | null } | null;
  if (res.status !== 202 || !body?.id) throw new ImportRefusal(body?.error ?? `The import could not be started (HTTP ${res.status})`, body?.field ?? null);
  return { id: body.id };
}

/** Size and document markers, counted as the server counts them, to tell whether the inline import would take it. */
function measure(yaml: string) {
  const documents = yaml.match(/^---(?:[ \t]|$)/gm)?.length ?? 0;
  const bytes = new Blob([yaml]).size;
  return { bytes, documents, big: bytes > INLINE_IMPORT_LIMITS.bytes || documents > INLINE_IMPORT_LIMITS.documents };
}

export function ImportForm({ jobId: initialJobId }: { jobId?: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [yaml, setYaml] = useState("");
  const [jobId, setJobId] = useState(initialJobId);
  const [backgroundChosen, setBackgroundChosen] = useState(false);
  const [atomic, setAtomic] = useState(false);
  const [path, setPath] = useState("catalog-info.yaml");
  const [files, setFiles] = useState<{ path: string; text: string }[]>([]);
  const options = { atomic, path: path.trim() || undefined, files: files.length ? files : undefined };
  const run = useMutation(trpc.catalog.importYaml.mutationOptions());
  const start = useMutation({
    mutationFn: startBackgroundImport,
    onSuccess: ({ id }) => {
      setJobId(id);
      // In the URL, so a reload (or the link in the notification) shows this import.
      router.replace(`/catalog/import?job=${id}`, { scroll: false });
    },
  });
  const size = useMemo(() => measure(yaml), [yaml]);
  const big = size.big;
  const background = big || backgroundChosen;
  const startError = start.error instanceof ImportRefusal ? start.error : null;
  const errors = { ...fieldErrors(run.error), ...(startError?.field === "yaml" ? { yaml: [startError.message] } : {}) };
  const named: Record<string, string[] | undefined> = errors;
  const bundleErrors = named.path ?? named.files;
  const report = run.data;
  const busy = run.isPending || start.isPending;

  return (
    <div className="space-y-3">
      <Field label="YAML (one or more documents separated by ---)" htmlFor="yaml" error={errors.yaml}>
        {big ? (
          // Megabytes of text in a textarea make typing crawl; a file this size is imported as it was uploaded.
          <div id="yaml" className="flex flex-wrap items-center gap-2 rounded-md border border-gray-300 px-3 py-2 text-sm dark:border-gray-700">
            <span>
              A file of {(size.bytes / 1_000_000).toFixed(1)} MB with {size.documents.toLocaleString("en-GB")} documents is loaded.
            </span>
            <Button variant="ghost" onClick={() => setYaml("")}>
              Clear
            </Button>
          </div>
        ) : (
          <Textarea id="yaml" rows={12} value={yaml} onChange={(e) => setYaml(e.target.value)} className="font-mono text-xs" aria-invalid={!!errors.yaml} />
        )}
      </Field>
      {big && (
        <p className="text-sm text-gray-600 dark:text-gray-400">
          This file is over {INLINE_IMPORT_LIMITS.documents} documents or {INLINE_IMPORT_LIMITS.bytes / 1_000_000} MB: it is imported in the background, each
          entity on its own (entities with errors are listed at the end, the others are applied). No dry run for files this size.
        </p>
      )}
      <div className="flex flex-wrap items-center gap-2">
        <label className="text-sm">
          <span className="sr-only">Upload a file</span>
          <input
            type="file"
            accept=".yaml,.yml,text/yaml"
            className="text-sm"
            onChange={async (e) => {
              const file = e.target.files?.[0];
              if (file) setYaml(await file.text());
            }}
          />
        </label>
        <Button variant="secondary" disabled={!yaml || busy || big} onClick={() => run.mutate({ yaml, dryRun: true, ...options })}>
          Preview (dry run)
        </Button>
        <Button
          disabled={!yaml || busy}
          onClick={() => {
            run.reset();
            start.reset();
            if (background) start.mutate(yaml);
            else run.mutate({ yaml, dryRun: false, ...options });
          }}
        >
          {busy ? "Importing…" : background ? "Import in the background" : "Import"}
        </Button>
        <label className="flex items-center gap-1.5 text-sm text-gray-700 dark:text-gray-300">
          <input type="checkbox" checked={atomic} disabled={background} onChange={(e) => setAtomic(e.target.checked)} />
          Atomic (one refused entity refuses the whole file)
        </label>
        <label className="flex items-center gap-1.5 text-sm text-gray-700 dark:text-gray-300">
          <input type="checkbox" checked={background} disabled={big} onChange={(e) => setBackgroundChosen(e.target.checked)} />
          Run in the background (each entity on its own)
        </label>
      </div>
      {!background && (
        <details className="text-sm">
          <summary className="cursor-pointer text-gray-700 dark:text-gray-300">Files next to it ({files.length}): placeholders and Location targets</summary>
          <div className="mt-2 flex flex-wrap items-end gap-3">
            <Field label="This file's path in the folder" htmlFor="bundle-path" error={bundleErrors}>
              <Input id="bundle-path" value={path} onChange={(e) => setPath(e.target.value)} className="font-mono text-xs" />
            </Field>
            <label className="text-sm">
              <span className="block text-gray-700 dark:text-gray-300">Folder</span>
              <input
                type="file"
                multiple
                // @ts-expect-error -- webkitdirectory is not in React's input attributes; every current browser supports it
                webkitdirectory=""
                className="text-sm"
                onChange={async (e) => {
                  const picked = [...(e.target.files ?? [])].filter((f) => f.size <= 5_000_000).slice(0, 200);
                  // Paths relative to the chosen folder (its own name dropped), as the catalog file refers to them.
                  const read = await Promise.all(
                    picked.map(async (f) => ({ path: (f.webkitRelativePath || f.name).split("/").slice(1).join("/") || f.name, text: await f.text() })),
                  );
                  setFiles(read);
                }}
              />
            </label>
          </div>
        </details>
      )}
      {run.error && !Object.keys(fieldErrors(run.error)).length && <ErrorMessage error={run.error} />}
      {start.error && startError?.field !== "yaml" && <ErrorMessage error={start.error} />}
      {jobId && !run.data && <ImportProgress key={jobId} id={jobId} />}
      {report && (
        <div className="space-y-2" aria-live="polite">
          <p role="status" className="text-sm font-medium">
            {report.applied
              ? `Imported: ${report.counts.created} created, ${report.counts.updated} updated, ${report.counts.skipped} skipped, ${report.counts.error} refused.`
              : report.dryRun
                ? `Dry run: ${report.wouldBe.created} would be created, ${report.wouldBe.updated} updated, ${report.counts.error} refused. Nothing was changed.`
                : `Nothing was imported (atomic): ${report.counts.error} ${report.counts.error === 1 ? "entity was" : "entities were"} refused. Fix them and try again.`}
          </p>
          <Table head={["#", "Kind", "Name", "Result", "Why"]} caption="Import report">
            {report.entities.map((e) => (
              <tr key={e.index}>
                <Td>{e.index + 1}</Td>
                <Td>{e.kind}</Td>
                <Td>{e.name}</Td>
                <Td>
                  <Badge color={STATUS_COLOR[e.status]}>{e.status}</Badge>
                </Td>
                <Td className="text-xs whitespace-normal">
                  {e.reason}
                  {e.warnings?.map((w) => (
                    <p key={w} className="text-amber-700 dark:text-amber-300">
                      {w}
                    </p>
                  ))}
                </Td>
              </tr>
            ))}
          </Table>
        </div>
      )}
    </div>
  );
}
