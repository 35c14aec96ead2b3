"use client";
// After-deploy impact: the service's error rate and p95 latency 30 minutes before vs after the deployment started,
// the deployment marked where the grey "before" line hands over to the coloured "after" one, with a one-line verdict.
// The service's team and admins edit the PromQL here (the server decides: canEdit).
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { LineChart } from "@tremor/react";
import { Badge, Button, Card, ErrorMessage, Field, Textarea } from "@/app/_components/ui";
import { useTRPC } from "@/app/_lib/trpc";

type Series = {
  metric: "error_rate" | "latency";
  query: string | null;
  points: { t: number; v: number }[];
  verdict: string;
  error: string | null;
  before: number | null;
  after: number | null;
};

const TITLE = { error_rate: "Error rate (%)", latency: "p95 latency (ms)" } as const;
const scale = (metric: Series["metric"], v: number) => Math.round(v * (metric === "error_rate" ? 100 : 1000) * 100) / 100;

/** Chart rows: minutes from the deploy; the point at the deploy belongs to both lines so they join there. */
function rows(s: Series, deployedAt: number) {
  const lastBefore = [...s.points].reverse().find((p) => p.t < deployedAt);
  return s.points.map((p) => {
    const minutes = Math.round((p.t - deployedAt) / 60);
    const v = scale(s.metric, p.v);
    const isFirstAfter = p.t >= deployedAt && !s.points.some((q) => q.t >= deployedAt && q.t < p.t);
    return {
      at: minutes === 0 ? "deploy" : `${minutes > 0 ? "+" : ""}${minutes}m`,
      "Before deploy": p.t < deployedAt ? v : isFirstAfter && lastBefore ? v : null,
      "After deploy": p.t >= deployedAt ? v : null,
    };
  });
}

function verdictColor(s: Series) {
  if (s.error || s.before === null || s.after === null) return "gray" as const;
  const worse = s.after - s.before > (s.metric === "error_rate" ? 0.005 : s.before * 0.1);
  return worse ? ("red" as const) : ("green" as const);
}

export function ImpactCard({ requestId, serviceId }: { requestId: string; serviceId: string }) {
  const trpc = useTRPC();
  const impact = useQuery(trpc.impact.forRequest.queryOptions({ requestId }));
  const [editing, setEditing] = useState(false);
  const i = impact.data;
  if (!i) return impact.error ? <ErrorMessage error={impact.error} /> : null;
  const deployedAt = i.deployedAt ? new Date(i.deployedAt).getTime() / 1000 : null;
  return (
    <Card
      title={`Impact · ${i.windowMinutes} min before vs after`}
      actions={
        i.canEdit && (
          <Button variant="secondary" onClick={() => setEditing((e) => !e)}>
            {editing ? "Close" : "Edit queries"}
          </Button>
        )
      }
    >
      <div data-testid="deployment-impact" className="space-y-4">
        {editing && <QueriesForm serviceId={serviceId} requestId={requestId} initial={i.queries} onSaved={() => setEditing(false)} />}
        {deployedAt === null ? (
          <p className="text-sm text-gray-500 dark:text-gray-400">Shown once the deployment has started.</p>
        ) : i.series.length === 0 ? (
          <p className="text-sm text-gray-500 dark:text-gray-400">
            No impact queries for this service yet{i.canEdit ? ": add its error-rate and latency PromQL." : "."}
          </p>
        ) : (
          <>
            <p className="text-xs text-gray-500 dark:text-gray-400">
              {i.source === "simulator" ? "Simulated metrics (the environment verifies with the simulator)." : `Prometheus at ${i.address}.`}
            </p>
            <div className="grid gap-4 lg:grid-cols-2">
              {(i.series as Series[]).map((s) => (
                <div key={s.metric}>
                  <p className="mb-1 flex items-center gap-2 text-xs text-gray-500 dark:text-gray-400">
                    {TITLE[s.metric]} <Badge color={verdictColor(s)}>{s.verdict}</Badge>
                  </p>
                  {s.points.length > 0 && (
                    <LineChart
                      data={rows(s, deployedAt)}
                      index="at"
                      categories={["Before deploy", "After deploy"]}
                      colors={["gray", s.metric === "error_rate" ? "rose" : "violet"]}
                      className="h-44"
                      yAxisWidth={48}
                      connectNulls={false}
                      // Tremor's legend is a role="list" of divs (axe: serious); the two lines are named below.
                      showLegend={false}
                    />
                  )}
                  {s.points.length > 0 && (
                    <p className="mt-1 flex gap-3 text-xs text-gray-600 dark:text-gray-300">
                      <span className="flex items-center gap-1">
                        <span aria-hidden className="inline-block h-0.5 w-4 bg-gray-500" /> Before deploy
                      </span>
                      <span className="flex items-center gap-1">
                        <span aria-hidden className={`inline-block h-0.5 w-4 ${s.metric === "error_rate" ? "bg-rose-500" : "bg-violet-500"}`} /> After deploy
                      </span>
                    </p>
                  )}
                  {s.query && (
                    <p className="mt-1 truncate font-mono text-xs text-gray-500 dark:text-gray-400" title={s.query}>
                      {s.query}
                    </p>
                  )}
                </div>
              ))}
            </div>
          </>
        )}
      </div>
    </Card>
  );
}

function QueriesForm({
  serviceId,
  requestId,
  initial,
  onSaved,
}: {
  serviceId: string;
  requestId: string;
  initial: { errorRateQuery: string | null; latencyQuery: string | null };
  onSaved: () => void;
}) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [errorRateQuery, setErrorRate] = useState(initial.errorRateQuery ?? "");
  const [latencyQuery, setLatency] = useState(initial.latencyQuery ?? "");
  const save = useMutation(
    trpc.impact.saveQueries.mutationOptions({
      onSuccess: () => {
        void qc.invalidateQueries({ queryKey: trpc.impact.forRequest.queryKey({ requestId }) });
        onSaved();
      },
    }),
  );
  const fieldErrors = (save.error?.data as { fieldErrors?: Record<string, string[]> } | undefined)?.fieldErrors ?? {};
  return (
    <form
      className="space-y-3"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate({ serviceId, errorRateQuery, latencyQuery });
      }}
    >
      <Field
        label="Error rate (PromQL, a ratio 0–1)"
        htmlFor="impact-error-rate"
        error={fieldErrors.errorRateQuery}
        hint="{{service}}, {{environment}} and {{version}} are filled in."
      >
        <Textarea id="impact-error-rate" rows={2} className="font-mono text-xs" value={errorRateQuery} onChange={(e) => setErrorRate(e.target.value)} />
      </Field>
      <Field label="p95 latency (PromQL, seconds)" htmlFor="impact-latency" error={fieldErrors.latencyQuery}>
        <Textarea id="impact-latency" rows={2} className="font-mono text-xs" value={latencyQuery} onChange={(e) => setLatency(e.target.value)} />
      </Field>
      {!Object.keys(fieldErrors).length && <ErrorMessage error={save.error} />}
      <Button type="submit" disabled={save.isPending}>
        Save queries
      </Button>
    </form>
  );
}
