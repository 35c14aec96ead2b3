"use client";
// The request's fleet rollout: waves with each target's step, the verification of each wave, and pause / resume /
// abort for those allowed (the server decides: can.*). Shown only when the request runs on a fleet.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Badge, Button, Card, ErrorMessage, type BadgeColor } from "@/app/_components/ui";
import { useTRPC } from "@/app/_lib/trpc";

const STEP_COLOR: Record<string, BadgeColor> = {
  pending: "gray",
  queued: "blue",
  deploying: "purple",
  succeeded: "green",
  failed: "red",
  skipped: "gray",
  cancelled: "gray",
  rollback_queued: "yellow",
  rolling_back: "yellow",
  rolled_back: "yellow",
  rollback_failed: "red",
};
const ROLLOUT_COLOR: Record<string, BadgeColor> = {
  running: "purple",
  paused: "yellow",
  rolling_back: "yellow",
  succeeded: "green",
  failed: "red",
  rolled_back: "yellow",
  aborted: "gray",
};
const ANALYSIS_COLOR: Record<string, BadgeColor> = { running: "blue", successful: "green", failed: "red", inconclusive: "yellow", error: "red" };
const label = (s: string) => s.replace(/_/g, " ");

type Measurement = { metric: string; at: string; phase: string; value: number[] | null; message: string };

const ACTIVE_ROLLOUT = ["running", "paused", "rolling_back"];

/**
 * `requestActive`: the request has not ended yet. Until its rollout exists (it starts when a worker picks the
 * approved request up) there is nothing to show, so the card keeps asking while the request is active: someone who
 * opened the page before approval sees the rollout appear without reloading.
 */
export function RolloutCard({ requestId, requestActive, onChange }: { requestId: string; requestActive: boolean; onChange: () => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const rollout = useQuery({
    ...trpc.rollouts.forRequest.queryOptions({ requestId }),
    refetchInterval: (q) => ((q.state.data ? ACTIVE_ROLLOUT.includes(q.state.data.status) : requestActive) ? 2000 : false),
  });
  const control = useMutation(
    trpc.rollouts.control.mutationOptions({
      onSuccess: () => {
        void qc.invalidateQueries({ queryKey: trpc.rollouts.forRequest.queryKey({ requestId }) });
        onChange();
      },
    }),
  );
  const r = rollout.data;
  if (!r) return null;
  const waves = Array.from({ length: r.waveCount }, (_, i) => i);
  const planWaves = ((r.plan as { waves?: { name: string }[] }).waves ?? []).map((w) => w.name);
  return (
    <Card title={`Rollout · wave ${Math.min(r.currentWave + 1, r.waveCount)} of ${r.waveCount}`}>
      <div className="mb-3 flex flex-wrap items-center gap-2 text-sm" data-testid="rollout-status">
        <Badge color={ROLLOUT_COLOR[r.status] ?? "gray"}>{label(r.status)}</Badge>
        {r.status === "running" && <span className="text-gray-500 dark:text-gray-400">{r.phase}</span>}
        {r.message && <span>{r.message}</span>}
      </div>
      <ol className="space-y-3">
        {waves.map((w) => {
          const analysis = r.analyses.find((a) => a.wave === w);
          return (
            <li key={w} aria-label={`Wave ${w + 1}`}>
              <p className="text-xs font-semibold text-gray-500 uppercase dark:text-gray-400">
                Wave {w + 1}
                {planWaves[w] ? ` · ${planWaves[w]}` : ""}
              </p>
              <ul className="mt-1 flex flex-wrap gap-2">
                {r.steps
                  .filter((s) => s.wave === w)
                  .map((s) => (
                    <li key={s.id} className="rounded border border-gray-200 px-2 py-1 text-sm dark:border-gray-800" title={s.message}>
                      <span className="font-mono">{s.target}</span> <Badge color={STEP_COLOR[s.status] ?? "gray"}>{label(s.status)}</Badge>
                      {s.attempt > 1 && <span className="text-xs text-gray-500 dark:text-gray-400"> · attempt {s.attempt}</span>}
                    </li>
                  ))}
              </ul>
              {analysis && (
                <div className="mt-1 text-xs" data-testid="rollout-analysis">
                  Verification <Badge color={ANALYSIS_COLOR[analysis.status] ?? "gray"}>{analysis.status}</Badge>
                  <ul className="mt-1 font-mono text-gray-600 dark:text-gray-300">
                    {(analysis.measurements as Measurement[]).map((m, i) => (
                      <li key={i}>
                        {m.metric}: {m.phase}
                        {m.value ? ` (${m.value.join(", ")})` : ""} — {m.message}
                      </li>
                    ))}
                  </ul>
                </div>
              )}
            </li>
          );
        })}
      </ol>
      {(r.can.pause || r.can.resume || r.can.abort) && (
        <div className="mt-3 flex gap-2">
          {r.can.pause && (
            <Button variant="secondary" disabled={control.isPending} onClick={() => control.mutate({ rolloutId: r.id, action: "pause" })}>
              Pause rollout
            </Button>
          )}
          {r.can.resume && (
            <Button disabled={control.isPending} onClick={() => control.mutate({ rolloutId: r.id, action: "resume" })}>
              Resume rollout
            </Button>
          )}
          {r.can.abort && (
            <Button variant="danger" disabled={control.isPending} onClick={() => control.mutate({ rolloutId: r.id, action: "abort" })}>
              Abort rollout
            </Button>
          )}
        </div>
      )}
      <ErrorMessage error={control.error} />
    </Card>
  );
}
