// 90 days of delivery history for the demo org so the DORA dashboard is alive on first start: deployments to
// dev → staging → prod, the commits they shipped, incidents (some caused by deployments, some not), rollbacks, a
// few events from a service the catalog does not know, and a couple of rejected events for the data-quality page.
// Team profiles differ on purpose (payments ships often, data rarely) so filters show different levels.
// Idempotent: skipped when seed history already exists. Rows are bulk-inserted; links are made in SQL.
import type { Insertable } from "kysely";
import { createHash } from "node:crypto";
import { newId, transaction, type DB, type Db } from "../../server/db";
import { relinkChanges } from "../../server/dora/linkage";
import { backfillDeploymentFacts } from "../../server/dora/deployment-facts";
import { rng } from "./random";

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** Deployments to prod per week, lead time range (hours), change failure odds, restore range (minutes). */
const PROFILES: Record<string, { perWeek: number; lead: [number, number]; failure: number; restore: [number, number] }> = {
  payments: { perWeek: 9, lead: [2, 30], failure: 0.08, restore: [20, 180] },
  platform: { perWeek: 5, lead: [6, 96], failure: 0.14, restore: [30, 600] },
  growth: { perWeek: 3, lead: [24, 240], failure: 0.22, restore: [60, 1440] },
  data: { perWeek: 1, lead: [72, 600], failure: 0.3, restore: [240, 4320] },
};

/** A stable 12-hex-digit fake commit sha for a seed change. */
const sha = (key: string) => createHash("sha1").update(key).digest("hex").slice(0, 12);

export async function seedDora(db: Db, now = new Date()) {
  if ((await db.deployment.count({ where: { source: "seed" } })) > 0) return { skipped: "already seeded" };
  const services = await db.service.findMany({
    where: { team: { slug: { in: Object.keys(PROFILES) } } },
    select: { id: true, slug: true, team: { select: { slug: true } } },
  });
  const envs = await db.environment.findMany({ where: { name: { in: ["dev", "staging", "prod"] } }, select: { id: true, name: true } });
  const envId = Object.fromEntries(envs.map((e) => [e.name, e.id]));
  if (services.length === 0 || !envId.prod) return { skipped: "no catalog services or prod environment yet" };
  // A PagerDuty service id as an incident alias (editable on the service page), so PagerDuty incidents find it.
  const aliased = [...services].sort((a, b) => a.slug.localeCompare(b.slug))[0];
  await db.service.update({ where: { id: aliased.id }, data: { incidentAliases: ["PSEED01", `${aliased.slug} (PagerDuty)`] } });

  const random = rng(20260105);
  const between = (lo: number, hi: number) => lo + random() * (hi - lo);
  const start = now.getTime() - 90 * DAY;
  const deployments: Insertable<DB["Deployment"]>[] = [];
  const changes: Insertable<DB["Change"]>[] = [];
  const incidents: Insertable<DB["Incident"]>[] = [];
  let seq = 0;
  const id = (p: string) => `seed-${p}-${(seq++).toString(36)}`;

  for (const svc of services) {
    const profile = PROFILES[svc.team.slug];
    // Fewer deployments for tier-3-ish services: a per-service factor keeps the numbers varied.
    const rate = (profile.perWeek * between(0.6, 1.3)) / (7 * DAY);
    let t = start + between(0, 2 * DAY);
    let version = 1;
    while (t < now.getTime() - HOUR) {
      const deployedAt = new Date(t);
      const v = `1.${version++}.0`;
      // The commits this release ships: authored within the lead-time range before prod.
      const commitCount = 1 + Math.floor(random() * 4);
      const merged = new Date(t - between(1, 3) * HOUR);
      // The release's head commit: deployments name it as their revision (server/dora/linkage.ts), except the growth
      // team's, which report no revision (merge-order fallback, counted on the data-quality page).
      const head = sha(`${svc.slug}-${v}-0`);
      for (let c = 0; c < commitCount; c++) {
        const authored = new Date(t - between(profile.lead[0], profile.lead[1]) * HOUR);
        changes.push({
          commitSha: sha(`${svc.slug}-${v}-${c}`),
          // PRs merged a minute apart, newest (c = 0) last; the first commit starts the lead time.
          firstCommitAt: authored < merged ? authored : new Date(merged.getTime() - HOUR),
          id: id("c"),
          source: "seed",
          externalId: `${svc.slug}-${v}-${c}`,
          serviceId: svc.id,
          serviceName: svc.slug,
          repository: `acme/${svc.slug}`,
          title: `Change ${c + 1} for ${v}`,
          authoredAt: authored < merged ? authored : new Date(merged.getTime() - HOUR),
          mergedAt: new Date(merged.getTime() - c * 60_000),
        });
      }
      for (const [env, offset] of [
        ["dev", -2 * HOUR],
        ["staging", -HOUR],
      ] as const) {
        if (envId[env])
          deployments.push({
            id: id("d"),
            source: "seed",
            externalId: `${svc.slug}-${env}-${v}`,
            serviceId: svc.id,
            serviceName: svc.slug,
            environmentId: envId[env],
            environmentName: env,
            version: v,
            revision: svc.team.slug === "growth" ? "" : head,
            status: "succeeded",
            deployedAt: new Date(t + offset),
          });
      }
      const prodId = id("d");
      const roll = random();
      const failed = roll < 0.03;
      const rolledBack = !failed && roll < 0.03 + profile.failure * 0.4;
      const causesIncident = !failed && !rolledBack && roll < 0.03 + profile.failure;
      deployments.push({
        id: prodId,
        source: "seed",
        externalId: `${svc.slug}-prod-${v}`,
        serviceId: svc.id,
        serviceName: svc.slug,
        environmentId: envId.prod,
        environmentName: "prod",
        version: v,
        revision: svc.team.slug === "growth" ? "" : head,
        status: failed ? "failed" : rolledBack ? "rolled_back" : "succeeded",
        deployedAt,
        rolledBackAt: rolledBack ? new Date(t + 40 * 60_000) : null,
        hasIncident: causesIncident,
      });
      if (rolledBack) {
        deployments.push({
          id: id("d"),
          source: "seed",
          externalId: `${svc.slug}-prod-${v}-rollback`,
          serviceId: svc.id,
          serviceName: svc.slug,
          environmentId: envId.prod,
          environmentName: "prod",
          version: `1.${version - 2}.0`,
          status: "succeeded",
          isRollback: true,
          deployedAt: new Date(t + 40 * 60_000),
        });
      }
      if (causesIncident) {
        const detected = new Date(t + between(10, 240) * 60_000);
        const resolved = new Date(detected.getTime() + between(profile.restore[0], profile.restore[1]) * 60_000);
        incidents.push({
          id: id("i"),
          source: "seed",
          externalId: `${svc.slug}-${v}-incident`,
          serviceId: svc.id,
          serviceName: svc.slug,
          environmentId: envId.prod,
          title: `Errors after ${svc.slug} ${v}`,
          severity: random() < 0.3 ? "critical" : "high",
          detectedAt: detected,
          resolvedAt: resolved.getTime() < now.getTime() ? resolved : null,
          deploymentId: prodId,
          // The alert named the version it started on: evidence, not the time-window heuristic.
          linkReason: "version",
        });
      }
      t += -Math.log(1 - random()) / rate; // exponential gaps: bursty, like real teams
    }
    // Incidents no deployment caused (a dependency, traffic…): they count for restore time only.
    for (let k = 0; k < 2; k++) {
      const detected = new Date(start + between(0, 88) * DAY);
      incidents.push({
        id: id("i"),
        source: "seed",
        externalId: `${svc.slug}-ext-${k}`,
        serviceId: svc.id,
        serviceName: svc.slug,
        environmentId: envId.prod,
        title: `Upstream degradation affecting ${svc.slug}`,
        severity: "medium",
        detectedAt: detected,
        resolvedAt: new Date(detected.getTime() + between(profile.restore[0], profile.restore[1]) * 60_000),
      });
    }
  }
  // A feed from a service the catalog does not know, and an incident with no service: data-quality examples.
  deployments.push({
    id: id("d"),
    source: "seed",
    externalId: "shadow-it-prod-1",
    serviceName: "shadow-reporting",
    environmentName: "prod",
    environmentId: envId.prod,
    version: "0.1.0",
    status: "succeeded",
    deployedAt: new Date(now.getTime() - 3 * DAY),
  });
  incidents.push({
    id: id("i"),
    source: "seed",
    externalId: "no-service-1",
    title: "Office VPN outage",
    severity: "low",
    detectedAt: new Date(now.getTime() - 5 * DAY),
    resolvedAt: new Date(now.getTime() - 5 * DAY + 2 * HOUR),
  });

  await transaction(db, async (tx) => {
    for (let i = 0; i < deployments.length; i += 2000)
      await tx
        .insertInto("Deployment")
        .values(deployments.slice(i, i + 2000))
        .execute();
    for (let i = 0; i < changes.length; i += 2000)
      await tx
        .insertInto("Change")
        .values(changes.slice(i, i + 2000))
        .execute();
    for (let i = 0; i < incidents.length; i += 2000)
      await tx
        .insertInto("Incident")
        .values(incidents.slice(i, i + 2000))
        .execute();
    // Same rule as server/dora/canonical.ts, in bulk (server/dora/linkage.ts): a change ships with the first
    // successful deployment per environment whose revision contains it (merge order where it names none).
    await relinkChanges(tx, [...new Set(services.map((x) => x.slug))]);
    // The recovery time and rework flag the summary reads (server/dora/deployment-facts.ts), in bulk.
    await backfillDeploymentFacts(tx, [...new Set(services.map((x) => x.slug))]);
    await tx
      .insertInto("RejectedEvent")
      .values([
        {
          id: newId(),
          source: "cdevents",
          reason: "invalid_cdevent: dev.cdevents.service.deployed.0.3.0: subject.content.environment is required",
          field: "subject.content.environment",
          receivedAt: new Date(now.getTime() - 2 * DAY),
          bodyExcerpt: '{"context":{"id":"jenkins-4411"',
        },
        {
          id: newId(),
          source: "github",
          reason: "bad_signature: X-Hub-Signature-256 does not match the body",
          field: "X-Hub-Signature-256",
          receivedAt: new Date(now.getTime() - DAY),
        },
      ])
      .execute();
    // Ingestion findings: a custom CDEvents type Pier stores but does not know, an event dated in 2099 (its
    // deployment took the received time), and a deployment to an environment the catalog lacks.
    const received = new Date(now.getTime() - 6 * HOUR);
    const future = new Date("2099-01-01T09:00:00Z");
    const context = (id: string, type: string, timestamp: Date) => ({ specversion: "0.5.1", id, source: "/ci/seed", type, timestamp: timestamp.toISOString() });
    const custom = "dev.cdeventsx.jenkins-queue.stalled.0.1.0";
    const deployed = "dev.cdevents.service.deployed.0.3.0";
    const inbound = { source: "cdevents", specVersion: "0.5.1", receivedAt: received, processedAt: received };
    await tx
      .insertInto("InboundEvent")
      .values([
        {
          ...inbound,
          id: newId(),
          externalId: "seed-custom-1",
          type: custom,
          payload: JSON.stringify({ context: context("seed-custom-1", custom, received), subject: { id: "queue/default", content: { waiting: 14 } } }),
          status: "ignored",
          knownType: false,
          occurredAt: received,
        },
        {
          ...inbound,
          id: newId(),
          externalId: "seed-future-1",
          type: deployed,
          payload: JSON.stringify({
            context: context("seed-future-1", deployed, future),
            subject: { id: "service/shadow-reporting", content: { environment: { id: "qa-eu" }, artifactId: "pkg:oci/shadow-reporting@sha256%3A5f1d9e" } },
          }),
          status: "processed",
          occurredAt: future,
        },
      ])
      .execute();
    await tx
      .insertInto("Deployment")
      .values({
        id: newId(),
        source: "cdevents",
        externalId: "seed-future-1",
        serviceName: "shadow-reporting",
        environmentName: "qa-eu",
        version: "sha256:5f1d9e",
        status: "succeeded",
        deployedAt: received,
      })
      .execute();
  });
  return { deployments: deployments.length, changes: changes.length, incidents: incidents.length };
}
