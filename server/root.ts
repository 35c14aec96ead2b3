// appRouter: the merge of every domain's router.
import { auditRouter } from "./audit/router";
import { catalogRouter } from "./catalog/router";
import { identityRouter } from "./identity/router";
import { deploymentsRouter } from "./deployments/router";
import { approvalsRouter } from "./approvals/router";
import { notificationsRouter } from "./notifications/router";
import { doraRouter, incidentsRouter } from "./dora/router";
import { eventsRouter } from "./ingest/router";
import { rolloutsRouter } from "./deployments/rollouts/router";
import { inboxRouter } from "./inbox/router";
import { releasesRouter } from "./deployments/releases/router";
import { driftRouter } from "./deployments/drift-router";
import { analyticsRouter } from "./analytics/router";
import { impactRouter } from "./deployments/impact/router";
import { riskModelRouter } from "./deployments/risk-model/router";
import { createCallerFactory, router } from "./trpc";

export const appRouter = router({
  identity: identityRouter,
  deployments: deploymentsRouter,
  rollouts: rolloutsRouter,
  releases: releasesRouter,
  drift: driftRouter,
  impact: impactRouter,
  riskModel: riskModelRouter,
  approvals: approvalsRouter,
  catalog: catalogRouter,
  notifications: notificationsRouter,
  dora: doraRouter,
  incidents: incidentsRouter,
  events: eventsRouter,
  audit: auditRouter,
  inbox: inboxRouter,
  analytics: analyticsRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
