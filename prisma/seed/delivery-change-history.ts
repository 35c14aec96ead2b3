// The commits/PRs behind the seeded delivery history (seed/delivery-analytics.ts), so "how many changes a request
// brings" — a feature of the change-risk model (server/deployments/risk-model/features.ts) — has data. Each release
// merges a few PRs before its dev request; a run that ships (succeeded, or rolled back later) takes every change its
// environment has not received yet and passes them on to the next environment; a failed run ships nothing, so the
// next release brings both. Changes merged before the change history starts (the source connected a month into
// the history) are counted for the run's odds but not stored: those requests' size is unknown to the model.
// Links are written as server/dora/linkage.ts would make them from each deployment's revision (its newest change).
import type { Insertable } from "kysely";
import { createHash } from "node:crypto";
import type { DB } from "../../server/db";

const HOUR = 3_600_000;
const ENVS = ["dev", "staging", "prod"] as const;
type Env = (typeof ENVS)[number];
type SeedChange = { row: Insertable<DB["Change"]>; stored: boolean };
export type ShippingRun = { id: string; environmentId: string; environmentName: Env; deployedAt: Date };

/** How much likelier a run fails the more changes it brings (0.76 for one, 1 at 3, 1.7 at 15, 2.2 at 30). */
export const sizeRisk = (changes: number) => ((1 + changes) / 4) ** 0.4;

/** The number of PRs a release merges: patches one or two, minors mostly a few (up to 12), majors 6–25. */
export function releaseSize(jump: "major" | "minor" | "patch", random: () => number) {
  if (jump === "patch") return 1 + Math.floor(random() * 2);
  if (jump === "major") return 6 + Math.floor(random() * 20);
  return 1 + Math.floor(random() ** 2 * 12);
}

/** The rows the history adds: changes and their links to the deployments that shipped them. */
export type ChangeRows = { changes: Insertable<DB["Change"]>[]; links: Insertable<DB["DeploymentChange"]>[] };

/** One service's change history, fed run by run in time order. */
export function serviceChangeHistory(svc: { id: string; slug: string }, storedFrom: Date, out: ChangeRows, random: () => number) {
  const pending: Record<Env, SeedChange[]> = { dev: [], staging: [], prod: [] };
  let seq = 0;
  return {
    /** `n` PRs merged after `after` and before `before` (ms), in merge order, waiting for dev. */
    merge(n: number, after: number, before: number) {
      const at = Array.from({ length: n }, () => after + random() * (before - after)).sort((a, b) => a - b);
      for (const t of at) {
        const key = `${svc.slug}-pr-${seq++}`;
        const mergedAt = new Date(t);
        const authoredAt = new Date(t - (1 + random() * 47) * HOUR);
        const row: Insertable<DB["Change"]> = {
          id: `seed-hist-c-${key}`,
          source: "seed",
          externalId: key,
          commitSha: createHash("sha1").update(key).digest("hex").slice(0, 12),
          serviceId: svc.id,
          serviceName: svc.slug,
          repository: `acme/${svc.slug}`,
          title: `PR ${seq} for ${svc.slug}`,
          authoredAt,
          firstCommitAt: authoredAt,
          mergedAt,
        };
        const stored = mergedAt >= storedFrom;
        if (stored) out.changes.push(row);
        pending.dev.push({ row, stored });
      }
    },
    /** How many changes a run to `env` brings now. */
    size: (env: Env) => pending[env].length,
    /** The revision a run to `env` deploys (its newest stored change), as the deployment names it. */
    revision(env: Env) {
      const head = pending[env].findLast((c) => c.stored)?.row;
      return head ? { revision: head.commitSha!, revisionMergedAt: head.mergedAt as Date } : { revision: "", revisionMergedAt: null };
    },
    /** A run to `env` shipped: its changes are linked to it and wait for the next environment. */
    ship(run: ShippingRun) {
      const next = ENVS[ENVS.indexOf(run.environmentName) + 1];
      for (const c of pending[run.environmentName]) {
        if (c.stored) {
          const start = c.row.firstCommitAt as Date;
          out.links.push({
            deploymentId: run.id,
            changeId: c.row.id!,
            serviceId: svc.id,
            environmentId: run.environmentId,
            environmentName: run.environmentName,
            deployedAt: run.deployedAt,
            leadTimeSeconds: Math.max(0, (run.deployedAt.getTime() - start.getTime()) / 1000),
            linkedBy: "revision",
            startKind: "first_commit",
          });
          // Change.deploymentId: the deployment that took it to production, or before that its first one.
          if (run.environmentName === "prod" || !c.row.deploymentId) c.row.deploymentId = run.id;
        }
        if (next) pending[next].push(c);
      }
      pending[run.environmentName] = [];
    },
  };
}
