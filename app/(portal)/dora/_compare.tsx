// "Compare definitions": the keys of the current scope and range counted by Pier, Four Keys and DevLake side by side,
// with the one rule that makes each row differ, so a team can reconcile Pier with the tool it already runs.
import type { ReactNode } from "react";
import { Card, Table, Td } from "@/app/_components/ui";
import { formatDuration, formatRate } from "./_format";

type Figures = {
  deployments: number;
  deploymentsPerWeek: number;
  changes: number;
  changeFailureRate: number | null;
  leadTimeP50: number | null;
  restoreP50: number | null;
  recoveryP50: number | null;
};
type Comparison = { modes: { mode: "pier" | "fourkeys" | "devlake"; figures: Figures }[] };

const ROWS: { label: string; value: (f: Figures) => ReactNode; why: string }[] = [
  {
    label: "Deployments",
    value: (f) => `${f.deployments} (${f.deploymentsPerWeek.toFixed(1)} / week)`,
    why: "Four Keys counts only deployments carrying a known change; DevLake and Four Keys count rollback deployments, Pier does not.",
  },
  {
    label: "Changes",
    value: (f) => String(f.changes),
    why: "Four Keys re-counts a redeployed commit; DevLake skips a service's first deployment and merge-order links.",
  },
  {
    label: "Lead time (median)",
    value: (f) => formatDuration(f.leadTimeP50),
    why: "Four Keys takes every (deployment, change) pair; DevLake's median is the lower middle value (percentile_disc).",
  },
  {
    label: "Change failure rate",
    value: (f) => formatRate(f.changeFailureRate),
    why: "Pier: rolled back or an incident linked; Four Keys: incidents naming a change as root cause; DevLake: incidents after the last deployment.",
  },
  {
    label: "Time to restore (median)",
    value: (f) => formatDuration(f.restoreP50),
    why: "Four Keys starts at the root cause's deployment when earlier; DevLake counts incidents resolved (not detected) in the range.",
  },
  {
    label: "Failed deployment recovery (median)",
    value: (f) => formatDuration(f.recoveryP50),
    why: "Pier: to the next good deployment; DevLake: to the incident's resolution; Four Keys has no such key.",
  },
];

export function CompareDefinitions({ comparison }: { comparison: Comparison }) {
  const by = (mode: "pier" | "fourkeys" | "devlake") => comparison.modes.find((m) => m.mode === mode)?.figures;
  const pier = by("pier");
  const fourKeys = by("fourkeys");
  const devLake = by("devlake");
  if (!pier || !fourKeys || !devLake) return null;
  return (
    <Card title="Compare definitions" id="compare">
      <Table head={["Key", "Pier", "Four Keys", "DevLake", "Why they differ"]} caption="The keys by Pier's, Four Keys' and DevLake's definitions">
        {ROWS.map((row) => (
          <tr key={row.label}>
            <Td className="font-medium">{row.label}</Td>
            <Td>{row.value(pier)}</Td>
            <Td>{fourKeys.recoveryP50 === null && row.label.startsWith("Failed") ? "not defined" : row.value(fourKeys)}</Td>
            <Td>{row.value(devLake)}</Td>
            <Td className="whitespace-normal text-gray-600 dark:text-gray-400">{row.why}</Td>
          </tr>
        ))}
      </Table>
    </Card>
  );
}
