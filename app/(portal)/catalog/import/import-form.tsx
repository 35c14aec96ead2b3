"use client";
// Paste or upload YAML, preview with a dry run, then import. The report lists every entity and what happened.
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { Badge, type BadgeColor, Button, ErrorMessage, Field, Table, Td, Textarea } from "@/app/_components/ui";
import { fieldErrors, useTRPC } from "@/app/_lib/trpc";

const STATUS_COLOR: Record<string, BadgeColor> = { created: "green", updated: "blue", skipped: "gray", error: "red" };

export function ImportForm() {
  const trpc = useTRPC();
  const [yaml, setYaml] = useState("");
  const run = useMutation(trpc.catalog.importYaml.mutationOptions());
  const errors = fieldErrors(run.error);
  const report = run.data;

  return (
    <div className="space-y-3">
      <Field label="YAML (one or more documents separated by ---)" htmlFor="yaml" error={errors.yaml}>
        <Textarea id="yaml" rows={12} value={yaml} onChange={(e) => setYaml(e.target.value)} className="font-mono text-xs" aria-invalid={!!errors.yaml} />
      </Field>
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
        <Button variant="secondary" disabled={!yaml || run.isPending} onClick={() => run.mutate({ yaml, dryRun: true })}>
          Preview (dry run)
        </Button>
        <Button disabled={!yaml || run.isPending} onClick={() => run.mutate({ yaml, dryRun: false })}>
          {run.isPending ? "Importing…" : "Import"}
        </Button>
      </div>
      {run.error && !Object.keys(errors).length && <ErrorMessage error={run.error} />}
      {report && (
        <div className="space-y-2" aria-live="polite">
          <p role="status" className="text-sm font-medium">
            {report.applied
              ? `Imported: ${report.counts.created} created, ${report.counts.updated} updated, ${report.counts.skipped} skipped.`
              : report.dryRun && !report.counts.error
                ? `Dry run: ${report.counts.created} would be created, ${report.counts.updated} updated, ${report.counts.skipped} skipped. Nothing was changed.`
                : `Nothing was imported: ${report.counts.error} ${report.counts.error === 1 ? "entity has" : "entities have"} errors. Fix them and try again.`}
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
