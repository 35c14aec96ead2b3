// 90 days of finished deployment runs for the delivery analytics page (/dora/analytics) and the alert rules: each
// team's services deploy to dev, staging and prod on working days (a morning and an afternoon peak, so the capacity
// view has a shape), with strategies, durations, approval and queue waits, failures and rollbacks that differ by
// team — and, within a team, by environment, time of day, version jump and number of changes brought (the signal
// the change-risk model learns). Each run is also the canonical Deployment Pier's own runs become (source "pier",
// as server/dora/subscriber.ts records them), with the commits/PRs it shipped (seed/delivery-change-history.ts).
// History only: no audit trail, events or notifications (these runs are in the past, like seed/dora.ts's).
// checkout-api is left out: the e2e journeys read its request history. Idempotent: skipped once seeded.
import type { Insertable } from "kysely";
import { transaction, type DB, type Db } from "../../server/db";
import { backfillDeploymentFacts } from "../../server/dora/deployment-facts";
import { releaseSize, serviceChangeHistory, sizeRisk, type ChangeRows } from "./delivery-change-history";
import { rng } from "./random";

const DAY = 86_400_000;
const MINUTE = 60_000;
export const ANALYTICS_SEED_PREFIX = "seed-hist-";

/** Runs per working day per service, failure and rollback odds, the strategy prod uses. */
const PROFILES: Record<string, { perDay: number; failure: number; rollback: number; prodStrategy: "rolling" | "canary" | "blue_green" }> = {
  payments: { perDay: 1.6, failure: 0.05, rollback: 0.03, prodStrategy: "canary" },
  platform: { perDay: 1.1, failure: 0.08, rollback: 0.04, prodStrategy: "blue_green" },
  growth: { perDay: 0.9, failure: 0.14, rollback: 0.08, prodStrategy: "rolling" },
  data: { perDay: 0.4, failure: 0.2, rollback: 0.1, prodStrategy: "rolling" },
};
/**
 * How much likelier than the team's base odds a run fails or is rolled back (the signal the risk model learns,
 * server/deployments/risk-model): production and off-hours runs more, dev runs less, major releases more and patch
 * releases less, and runs that bring more changes more (sizeRisk).
 */
const ENV_RISK = { dev: 0.5, staging: 0.8, prod: 1.5 } as const;
const JUMP_RISK = { major: 2.2, minor: 1, patch: 0.5 } as const;
const OFF_HOURS_RISK = 1.7;
/** The change history (commits/PRs) starts this many days into the 90: earlier runs' size is unknown to Pier. */
const CHANGE_HISTORY_AFTER_DAYS = 30;
const REQUESTERS: Record<string, string> = { payments: "demo-dana", platform: "demo-alex", growth: "demo-dana", data: "demo-lee" };
/** Minutes a run takes by strategy (low, high). */
const DURATION: Record<string, [number, number]> = { rolling: [2, 7], canary: [12, 35], blue_green: [6, 14] };

export async function seedDeliveryAnalytics(db: Db, now = new Date()) {
  if ((await db.deploymentRequest.count({ where: { id: { startsWith: ANALYTICS_SEED_PREFIX } } })) > 0) return { skipped: "already seeded" };
  const services = await db.service.findMany({
    where: { team: { slug: { in: Object.keys(PROFILES) } }, slug: { not: "checkout-api" } },
    select: { id: true, slug: true, team: { select: { slug: true } } },
    orderBy: { slug: "asc" },
  });
  const envs = await db.environment.findMany({ where: { name: { in: ["dev", "staging", "prod"] } }, select: { id: true, name: true } });
  const envId = Object.fromEntries(envs.map((e) => [e.name, e.id]));
  if (services.length === 0 || !envId.prod) return { skipped: "no catalog services or environments yet" };

  const random = rng(20261202);
  const between = (lo: number, hi: number) => lo + random() * (hi - lo);
  const rows: Insertable<DB["DeploymentRequest"]>[] = [];
  const deployments: Insertable<DB["Deployment"]>[] = [];
  const changeRows: ChangeRows = { changes: [], links: [] };
  let seq = 0;
  const start = new Date(now.getTime() - 90 * DAY);
  start.setUTCHours(0, 0, 0, 0);
  const changesFrom = new Date(start.getTime() + CHANGE_HISTORY_AFTER_DAYS * DAY);

  for (const svc of services) {
    const profile = PROFILES[svc.team.slug];
    // Releases are mostly minor; every third a patch, every 23rd a new major.
    let release = 0;
    let current = { major: 2, minor: 100, patch: 0 };
    const nextRelease = () => {
      const jump = release % 23 === 22 ? "major" : release % 3 === 1 ? "patch" : "minor";
      release++;
      current =
        jump === "major"
          ? { major: current.major + 1, minor: 0, patch: 0 }
          : jump === "patch"
            ? { ...current, patch: current.patch + 1 }
            : { ...current, minor: current.minor + 1, patch: 0 };
      return jump;
    };
    const versionText = () => `${current.major}.${current.minor}.${current.patch}`;
    const history = serviceChangeHistory(svc, changesFrom, changeRows, random);
    let lastRequested = start.getTime() - DAY;
    for (let day = start.getTime(); day < now.getTime() - DAY; day += DAY) {
      const weekday = new Date(day).getUTCDay();
      // Weekends see a tenth of the traffic (hotfixes only).
      const expected = profile.perDay * (weekday === 0 || weekday === 6 ? 0.1 : 1);
      const runs = Math.floor(expected) + (random() < expected % 1 ? 1 : 0);
      // Two peaks: 10h and 15h UTC (± 2 h); a day's releases in time order (their changes merge in between).
      const hours = Array.from({ length: runs }, () => (random() < 0.55 ? 10 : 15) + between(-2, 2)).sort((a, b) => a - b);
      for (const hour of hours) {
        const requested = day + hour * 3_600_000;
        const previous = versionText();
        const jump = nextRelease();
        const v = versionText();
        history.merge(releaseSize(jump, random), lastRequested, requested - Math.min(5 * MINUTE, (requested - lastRequested) / 2));
        lastRequested = requested;
        for (const env of ["dev", "staging", "prod"] as const) {
          const strategy = env === "prod" ? profile.prodStrategy : "rolling";
          // Approvals: none in dev, minutes in staging, up to two hours in prod; then the queue (longer at the peaks).
          const approval = env === "dev" ? 0 : env === "staging" ? between(2, 30) : between(10, 120);
          const queue = between(0, Math.abs(hour - 10) < 1 || Math.abs(hour - 15) < 1 ? 8 : 2);
          const offset = { dev: 0, staging: 90, prod: 240 }[env] * MINUTE;
          const createdAt = new Date(requested + offset);
          const queuedAt = new Date(createdAt.getTime() + approval * MINUTE);
          const startedAt = new Date(queuedAt.getTime() + queue * MINUTE);
          const finishedAt = new Date(startedAt.getTime() + between(...DURATION[strategy]) * MINUTE);
          if (startedAt >= now) continue;
          const roll = random();
          const [weekday, hourOfDay] = [createdAt.getUTCDay(), createdAt.getUTCHours()];
          const offHours = weekday !== 0 && weekday !== 6 && (hourOfDay < 9 || hourOfDay >= 17);
          const odds = ENV_RISK[env] * JUMP_RISK[jump] * (offHours ? OFF_HOURS_RISK : 1) * sizeRisk(history.size(env));
          const failure = Math.min(0.6, profile.failure * odds);
          const rollback = Math.min(0.3, profile.rollback * odds);
          const status = roll < failure ? "failed" : roll < failure + rollback ? "rolled_back" : "succeeded";
          const id = `${ANALYTICS_SEED_PREFIX}${(seq++).toString(36)}`;
          const base = { serviceId: svc.id, environmentId: envId[env], requesterId: REQUESTERS[svc.team.slug], attempt: 1 };
          rows.push({
            ...base,
            id,
            version: v,
            previousVersion: previous,
            strategy,
            status,
            summary: `Release ${v}`,
            createdAt,
            queuedAt,
            startedAt,
            finishedAt,
            updatedAt: finishedAt,
            progress: status === "failed" ? 60 : 100,
          });
          const deployment = { id: `${ANALYTICS_SEED_PREFIX}dep-${id}`, environmentId: envId[env], environmentName: env, deployedAt: finishedAt };
          deployments.push({
            ...deployment,
            ...history.revision(env),
            source: "pier",
            deploymentRequestId: id,
            serviceId: svc.id,
            serviceName: svc.slug,
            version: v,
            status,
          });
          if (status !== "failed") history.ship(deployment);
          if (status === "rolled_back") {
            // The rollback run that restored the previous version, queued at once.
            const rbStart = new Date(finishedAt.getTime() + between(5, 40) * MINUTE);
            const rbEnd = new Date(rbStart.getTime() + between(...DURATION.rolling) * MINUTE);
            const rollbackId = `${ANALYTICS_SEED_PREFIX}${(seq++).toString(36)}`;
            const undone = deployments[deployments.length - 1];
            undone.rolledBackAt = rbEnd;
            undone.rolledBackById = `${ANALYTICS_SEED_PREFIX}dep-${rollbackId}`;
            deployments.push({
              id: undone.rolledBackById,
              source: "pier",
              deploymentRequestId: rollbackId,
              serviceId: svc.id,
              serviceName: svc.slug,
              environmentId: envId[env],
              environmentName: env,
              version: previous,
              status: "succeeded",
              isRollback: true,
              deployedAt: rbEnd,
            });
            rows.push({
              ...base,
              id: rollbackId,
              version: previous,
              previousVersion: v,
              strategy: "rolling",
              status: "succeeded",
              summary: `Rollback of ${v}`,
              rollbackOfId: id,
              createdAt: rbStart,
              queuedAt: rbStart,
              startedAt: rbStart,
              finishedAt: rbEnd,
              updatedAt: rbEnd,
              progress: 100,
            });
          }
          // A failure stops the release before the next environment.
          if (status !== "succeeded") break;
        }
      }
    }
  }
  await transaction(db, async (tx) => {
    const insert = async <T extends "DeploymentRequest" | "Deployment" | "Change" | "DeploymentChange">(table: T, values: Insertable<DB[T]>[]) => {
      for (let i = 0; i < values.length; i += 1000)
        await tx
          .insertInto(table)
          .values(values.slice(i, i + 1000) as never)
          .execute();
    };
    await insert("DeploymentRequest", rows);
    await insert("Deployment", deployments);
    await insert("Change", changeRows.changes);
    await insert("DeploymentChange", changeRows.links);
    // The recovery time and rework flags the DORA summary reads (server/dora/deployment-facts.ts), in bulk.
    await backfillDeploymentFacts(tx, [...new Set(services.map((s) => s.slug))]);
  });
  return { runs: rows.length, changes: changeRows.changes.length };
}
