// doraRouter (as `dora`) and incidentsRouter (as `incidents`): input validation, then server/dora logic.
// Metrics are readable by every signed-in user (DORA is an org-wide mirror, not a secret).
import { z } from "zod";
import { calendarDate, dateInput } from "../platform/input-rules";
import { authedProcedure, router } from "../trpc";
import { serviceDeliveryActivity } from "./delivery-activity";
import { changesBehind, deploymentsBehind, incidentsBehind } from "./drilldown";
import { flagSuspectsByIncident } from "./flag-suspects";
import { declareIncident, declareIncidentInput, listIncidents, listIncidentsInput, resolveIncident, serviceTimeline } from "./incidents";
import { BAND_SETS, BANDS, DEFAULT_BANDS, LEVEL_SOURCES } from "./levels";
import { DORA_MODES } from "./modes";
import { liveVersions } from "./live-version";
import { reviewIncidentLink, reviewIncidentLinkInput } from "./incident-review";
import { doraSummary, weeklyTrend } from "./metrics";
import { compareModes } from "./compare";

const filterInput = z.object({
  from: dateInput("from"),
  to: dateInput("to"),
  environment: z.string().trim().min(1).max(60).optional(),
  teamId: z.string().min(1).nullish(),
  serviceId: z.string().min(1).nullish(),
  target: z.string().min(1).max(120).nullish(),
  timeZone: z.string().min(1).max(64).optional(),
});
const drillInput = filterInput.extend({
  week: calendarDate("week").nullish(),
  page: z
    .number({ error: "page must be a whole number from 1" })
    .int("page must be a whole number from 1")
    .min(1, "page must be a whole number from 1")
    .max(10_000, "page must be at most 10000")
    .nullish(),
});

const summaryInput = filterInput.extend({
  /** Whose definitions: Pier's (default), Four Keys' or DevLake's (README "DORA definitions"). */
  mode: z.enum(DORA_MODES, { error: `mode must be one of ${DORA_MODES.join(", ")}` }).optional(),
  /** Which report's level bands: 2023 (current, default) or 2021. */
  bands: z.enum(BAND_SETS, { error: `bands must be one of ${BAND_SETS.join(", ")}` }).optional(),
});

export const doraRouter = router({
  summary: authedProcedure.input(summaryInput).query(({ ctx, input }) => doraSummary(ctx.db, input)),
  /** The keys of one scope in Pier's, Four Keys' and DevLake's definitions side by side (server/dora/compare.ts). */
  compare: authedProcedure.input(summaryInput.omit({ mode: true })).query(({ ctx, input }) => compareModes(ctx.db, input)),
  trend: authedProcedure.input(filterInput).query(({ ctx, input }) => weeklyTrend(ctx.db, input)),
  deployments: authedProcedure.input(drillInput.extend({ onlyFailures: z.boolean().optional() })).query(({ ctx, input }) => deploymentsBehind(ctx.db, input)),
  changes: authedProcedure.input(drillInput.extend({ deploymentId: z.string().nullish() })).query(({ ctx, input }) => changesBehind(ctx.db, input)),
  incidents: authedProcedure.input(drillInput).query(({ ctx, input }) => incidentsBehind(ctx.db, input)),
  timeline: authedProcedure
    .input(z.object({ serviceId: z.string().min(1).max(64), from: dateInput("from"), to: dateInput("to") }))
    .query(({ ctx, input }) => serviceTimeline(ctx.db, input.serviceId, input.from, input.to)),
  /** Per incident: flag changes on its service in the `hours` before it started (suspects), newest first. */
  incidentFlagSuspects: authedProcedure
    .input(
      z.object({
        incidentIds: z.array(z.string().min(1).max(64)).min(1, "incidentIds must name at least one incident").max(200, "incidentIds: at most 200"),
        hours: z.number({ error: "hours must be a number" }).int().min(1, "hours must be 1 to 168").max(168, "hours must be 1 to 168").optional(),
      }),
    )
    .query(async ({ ctx, input }) => Object.fromEntries(await flagSuspectsByIncident(ctx.db, input.incidentIds, input.hours))),
  /** The service's latest CI runs and environment changes (GitLab, Argo CD, Terraform webhooks), newest first. */
  deliveryActivity: authedProcedure
    .input(z.object({ serviceId: z.string().min(1).max(64) }))
    .query(({ ctx, input }) => serviceDeliveryActivity(ctx.db, input.serviceId)),
  /** The version live in each environment, whatever deployment source reported it. */
  liveVersions: authedProcedure.input(z.object({ serviceId: z.string().min(1).max(64) })).query(({ ctx, input }) => liveVersions(ctx.db, input.serviceId)),
  /** Filter choices for the dashboard. */
  filters: authedProcedure.query(async ({ ctx }) => {
    const [teams, services, environments, targets] = await Promise.all([
      ctx.db.team.findMany({ orderBy: { name: "asc" }, select: { id: true, name: true, slug: true } }),
      ctx.db.service.findMany({ orderBy: { name: "asc" }, select: { id: true, name: true, slug: true, teamId: true } }),
      ctx.db.environment.findMany({ orderBy: { rank: "asc" }, select: { id: true, name: true, isProduction: true } }),
      // Fleet targets, for the target/region filter.
      ctx.db.deploymentTarget.findMany({ orderBy: { name: "asc" }, select: { name: true, labels: true, environment: { select: { name: true } } } }),
    ]);
    return {
      teams,
      services,
      environments,
      targets: targets.map((t) => ({ name: t.name, environment: t.environment.name, region: (t.labels as Record<string, string>).region ?? null })),
    };
  }),
  definitions: authedProcedure.query(() => ({
    thresholds: BANDS[DEFAULT_BANDS],
    bands: BANDS,
    defaultBands: DEFAULT_BANDS,
    modes: DORA_MODES,
    sources: LEVEL_SOURCES,
  })),
});

export const incidentsRouter = router({
  list: authedProcedure.input(listIncidentsInput).query(({ ctx, input }) => listIncidents(ctx.db, input)),
  declare: authedProcedure.input(declareIncidentInput).mutation(({ ctx, input }) => declareIncident(ctx.db, ctx.user, input)),
  /** Owners (and admins) confirm or dispute the deployment an incident is attributed to; audited. */
  reviewLink: authedProcedure.input(reviewIncidentLinkInput).mutation(({ ctx, input }) => reviewIncidentLink(ctx.db, ctx.user, input)),
  resolve: authedProcedure
    .input(z.object({ incidentId: z.string().min(1), resolvedAt: z.coerce.date().optional() }))
    .mutation(({ ctx, input }) => resolveIncident(ctx.db, ctx.user, input)),
});
