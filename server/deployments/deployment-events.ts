// The Pier event every deployment transition announces (server/bus/events.ts is the contract):
// subject filled from the request's service/environment, data with the fields notifications and DORA read.
import type { DeploymentStatus } from "@/generated/prisma/enums";
import { sql } from "kysely";
import { jsonBuildObject } from "kysely/helpers/postgres";
import type { DB, Kysely, Tx } from "../db";
import type { TransitionedRequest } from "./request-store";
import { env } from "../env";
import { notFound } from "../errors";
import type { Actor } from "../audit/audit-log";
import { emitPierEvent, type DeploymentEventType, type PierEvent, type PierEventType } from "../bus/events";

export const EVENT_FOR_STATUS: Record<DeploymentStatus, DeploymentEventType | null> = {
  draft: null,
  pending_approval: "deployment.requested",
  approved: "deployment.approved",
  rejected: "deployment.rejected",
  expired: "deployment.expired",
  cancelled: "deployment.cancelled",
  queued: "deployment.queued",
  deploying: "deployment.started",
  succeeded: "deployment.succeeded",
  failed: "deployment.failed",
  rolled_back: "deployment.rolled_back",
};

const SEVERITY: Partial<Record<PierEventType, PierEvent["severity"]>> = {
  "deployment.failed": "high",
  "deployment.rolled_back": "high",
  "deployment.break_glass": "high",
  "deployment.rejected": "low",
  "deployment.expired": "low",
  "approval.recorded": "info",
};

/**
 * The service and environment as an event's subject needs them, for a query that joins `Service as s`,
 * `Team as t` and `Environment as e` (the event loaders, the set-based run end and the rollouts' step ends).
 */
export const serviceContextJson = () =>
  jsonBuildObject({
    id: sql.ref<string>("s.id"),
    slug: sql.ref<string>("s.slug"),
    name: sql.ref<string>("s.name"),
    tier: sql.ref<number>("s.tier"),
    teamId: sql.ref<string>("s.teamId"),
    team: jsonBuildObject({ slug: sql.ref<string>("t.slug") }),
  });
export const environmentContextJson = () =>
  jsonBuildObject({
    id: sql.ref<string>("e.id"),
    name: sql.ref<string>("e.name"),
    isProduction: sql.ref<boolean>("e.isProduction"),
  });

export const requestUrl = (id: string) => `${env().PIER_BASE_URL.replace(/\/$/, "")}/deployments/${id}`;

/** Loads what an event about the request needs (inside the transaction that changes it). */
async function loadEventSubject(db: Kysely<DB>, requestId: string): Promise<EventRequest & EventContext> {
  const r = await db
    .selectFrom("DeploymentRequest as r")
    .innerJoin("Service as s", "s.id", "r.serviceId")
    .innerJoin("Team as t", "t.id", "s.teamId")
    .innerJoin("Environment as e", "e.id", "r.environmentId")
    .select([
      "r.id",
      "r.version",
      "r.previousVersion",
      "r.requesterId",
      "r.strategy",
      "r.breakGlass",
      "r.breakGlassReason",
      "r.rollbackOfId",
      "r.status",
      serviceContextJson().as("service"),
      environmentContextJson().as("environment"),
    ])
    .where("r.id", "=", requestId)
    .executeTakeFirst();
  if (!r) throw notFound("Deployment request");
  return r;
}

/** The service/environment an event's subject names: callers that already loaded them pass them in. */
export type EventContext = {
  service: { id: string; slug: string; name: string; tier: number; teamId: string; team: { slug: string } };
  environment: { id: string; name: string; isProduction: boolean };
};

/** The request columns the event reads (the row as it is after the change). */
type EventRequest = Pick<
  TransitionedRequest,
  "id" | "version" | "previousVersion" | "requesterId" | "strategy" | "breakGlass" | "breakGlassReason" | "rollbackOfId" | "status"
>;

/**
 * Emits the event for the request. `loaded` (the request row as changed in this transaction plus its context)
 * saves reloading it; without it the request is read back inside the transaction.
 */
export async function emitDeploymentEvent(
  tx: Tx,
  type: DeploymentEventType,
  requestId: string,
  actor: Actor,
  extra: Record<string, unknown> = {},
  loaded?: EventRequest & EventContext,
) {
  const r = loaded ?? (await loadEventSubject(tx, requestId));
  const severity = SEVERITY[type] ?? (r.environment.isProduction ? "medium" : "info");
  return emitPierEvent(tx, {
    type,
    severity,
    actor,
    subject: {
      service: { id: r.service.id, slug: r.service.slug, name: r.service.name, tier: r.service.tier, teamId: r.service.teamId, teamSlug: r.service.team.slug },
      environment: { id: r.environment.id, name: r.environment.name, isProduction: r.environment.isProduction },
      deploymentRequestId: r.id,
    },
    data: {
      requestId: r.id,
      version: r.version,
      previousVersion: r.previousVersion,
      requesterId: r.requesterId,
      strategy: r.strategy,
      breakGlass: r.breakGlass,
      breakGlassReason: r.breakGlassReason,
      isRollback: r.rollbackOfId !== null,
      rollbackOfId: r.rollbackOfId,
      status: r.status,
      url: requestUrl(r.id),
      ...extra,
    },
    labels: { strategy: r.strategy, breakGlass: String(r.breakGlass) },
  });
}
