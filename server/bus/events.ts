// Pier's internal event model: what state changes announce through the transactional outbox.
// Consumers (DORA projection, notification routing, …) are listed in server/subscriptions.ts.
// Where a CDEvents type exists, `cdeventType` names it so DORA and external sinks speak the canonical model.
import type { DeploymentStatus, DeploymentStrategy } from "@/generated/kysely/enums";
import type { Tx } from "../db";
import { writeOutbox } from "./outbox";
import { QUEUES } from "../platform/queues";

const DEPLOYMENT_EVENT_TYPES = [
  "deployment.requested",
  "deployment.approved",
  "deployment.rejected",
  "deployment.expired",
  "deployment.cancelled",
  "deployment.queued",
  "deployment.started",
  "deployment.succeeded",
  "deployment.failed",
  "deployment.rolled_back",
  "deployment.break_glass",
  "approval.recorded",
  "approval.escalation_due",
] as const;
/** Events about one deployment request: they all carry the request's facts (DeploymentEventData). */
export type DeploymentEventType = (typeof DEPLOYMENT_EVENT_TYPES)[number];

/** Events about a fleet rollout of a request (server/deployments/rollouts). */
const ROLLOUT_EVENT_TYPES = [
  "rollout.wave_started",
  "rollout.analysis_failed",
  "rollout.paused",
  "rollout.resumed",
  "rollout.aborted",
  "rollout.rolled_back",
  "rollout.target_drained",
] as const;
export type RolloutEventType = (typeof ROLLOUT_EVENT_TYPES)[number];

/** Events about a coordinated release (server/deployments/releases). */
const RELEASE_EVENT_TYPES = [
  "release.requested",
  "release.approved",
  "release.rejected",
  "release.member_started",
  "release.held",
  "release.rolling_back",
  "release.succeeded",
  "release.rolled_back",
  "release.failed",
  "release.aborted",
] as const;
export type ReleaseEventType = (typeof RELEASE_EVENT_TYPES)[number];

/** A target's live version stopped (or started again) matching its desired one (server/deployments/drift*.ts). */
const DRIFT_EVENT_TYPES = ["drift.detected", "drift.resolved"] as const;
type DriftEventType = (typeof DRIFT_EVENT_TYPES)[number];

export const PIER_EVENT_TYPES = [
  ...DEPLOYMENT_EVENT_TYPES,
  ...ROLLOUT_EVENT_TYPES,
  ...RELEASE_EVENT_TYPES,
  ...DRIFT_EVENT_TYPES,
  "incident.detected",
  "incident.resolved",
  "incident.link_reviewed",
  "change.merged",
  "catalog.service_changed",
  "catalog.import_finished",
  "catalog.entity_changed",
  "catalog.team_changed",
  "catalog.location_changed",
  "audit.chain_broken",
  "alert.firing",
  "alert.resolved",
  "test.event",
] as const;

export type PierEventType = (typeof PIER_EVENT_TYPES)[number];

const CDEVENT_FOR: Partial<Record<PierEventType, string>> = {
  "deployment.succeeded": "dev.cdevents.service.deployed.0.2.0",
  "deployment.rolled_back": "dev.cdevents.service.rolledback.0.2.0",
  "incident.detected": "dev.cdevents.incident.detected.0.2.0",
  "incident.resolved": "dev.cdevents.incident.resolved.0.2.0",
  "change.merged": "dev.cdevents.change.merged.0.2.0",
};

export type Severity = "critical" | "high" | "medium" | "low" | "info";

/**
 * Data fields read by name. Every event's data has them besides its typed fields: emitters add transition-specific
 * facts (reason, message, attempt, …), and notification templates and route tests read data generically.
 */
export type EventFields = { readonly [field: string]: unknown };

/** What server/deployments/deployment-events.ts puts in every event about a request (plus the transition's extras). */
type DeploymentEventData = {
  requestId: string;
  version: string;
  previousVersion: string | null;
  requesterId: string;
  strategy: DeploymentStrategy;
  breakGlass: boolean;
  breakGlassReason: string | null;
  isRollback: boolean;
  rollbackOfId: string | null;
  status: DeploymentStatus;
  url: string;
} & EventFields;

/** server/deployments/rollouts: what happened to the rollout (wave, targets, reason), with its request's link. */
type RolloutEventData = { rolloutId: string | null; requestId: string | null; wave: number | null; message: string; url: string } & EventFields;

/** server/deployments/releases: the release, its members in order, and its page. */
type ReleaseEventData = { releaseId: string; name: string; status: string; message: string; url: string } & EventFields;
/** server/deployments/drift.ts: desired vs live on one target, and since when they differ. */
type DriftEventData = {
  target: string;
  desiredVersion: string | null;
  liveVersion: string | null;
  driftSince: string | null;
  url: string;
} & EventFields;

/** server/dora/incidents.ts: an incident declared in the portal. */
type IncidentDetectedData = { incidentId: string; title: string; detectedAt: string; deploymentId: string | null } & EventFields;
/** server/dora/incidents.ts: an incident resolved in the portal. */
type IncidentResolvedData = { incidentId: string; title: string; detectedAt: string; resolvedAt: string; restoreSeconds: number } & EventFields;
/** server/dora/incident-review.ts: an owner confirmed or disputed the deployment an incident is attributed to. */
type IncidentLinkReviewedData = { incidentId: string; deploymentId: string | null; decision: "confirmed" | "disputed"; linkReason: string } & EventFields;
/** server/catalog/service-editing.ts: what happened to the service (plus the change's own facts). */
export type ServiceChangedData = {
  change: "created" | "updated" | "deprecated" | "dependency_added" | "dependency_removed" | "imported";
} & EventFields;

/** server/catalog/import-runner.ts: a background catalog import ended (succeeded, or failed: the summary says why). */
type CatalogImportFinishedData = {
  importId: string;
  status: "succeeded" | "failed";
  summary: string;
  url: string;
  counts: { documents: number; created: number; updated: number; unchanged: number; skipped: number; errors: number };
} & EventFields;

/** server/catalog/entity-store.ts: a Backstage entity was imported new or changed. */
type CatalogEntityChangedData = { ref: string; change: "created" | "updated" } & EventFields;
/** server/catalog/team-editing.ts: an admin created or edited a team, or its members. */
type CatalogTeamChangedData = { teamSlug: string; change: string } & EventFields;

/** server/catalog/discovery/location-store.ts: a location was registered, read with changes, failed or was deleted. */
type CatalogLocationChangedData = {
  locationId: string;
  target: string;
  change: "registered" | "refreshed" | "failed" | "deleted" | "orphan_deleted";
  summary: string;
} & EventFields;

/** server/audit/chain-check.ts: a verification found the audit chain broken (critical). */
type AuditChainBrokenData = {
  summary: string;
  url: string;
  seq: string;
  problem: string;
  detail: string;
  mode: "incremental" | "full";
  record: { action: string; subjectType: string; subjectId: string; actorLabel: string; createdAt: string } | null;
} & EventFields;

/** server/analytics/alert-evaluation.ts: an alert rule started or stopped firing (routing labels: rule, metric, kind). */
type AlertEventData = {
  ruleId: string;
  ruleName: string;
  metric: string;
  kind: "threshold" | "anomaly";
  value: number | null;
  summary: string;
  url: string;
} & EventFields;

/** The data each event type carries. */
type PierEventData = { [T in DeploymentEventType]: DeploymentEventData } & { [T in RolloutEventType]: RolloutEventData } & {
  [T in ReleaseEventType]: ReleaseEventData;
} & { [T in DriftEventType]: DriftEventData } & {
  "incident.detected": IncidentDetectedData;
  "incident.resolved": IncidentResolvedData;
  "incident.link_reviewed": IncidentLinkReviewedData;
  // Nothing in Pier emits change.merged yet; its type is reserved for the CDEvents mapping.
  "change.merged": EventFields;
  "catalog.service_changed": ServiceChangedData;
  "catalog.import_finished": CatalogImportFinishedData;
  "catalog.entity_changed": CatalogEntityChangedData;
  "catalog.team_changed": CatalogTeamChangedData;
  "catalog.location_changed": CatalogLocationChangedData;
  "audit.chain_broken": AuditChainBrokenData;
  "alert.firing": AlertEventData;
  "alert.resolved": AlertEventData;
  "test.event": EventFields;
};

type PierEventSubject = {
  service?: { id: string; slug: string; name: string; tier: number; teamId: string; teamSlug: string };
  environment?: { id: string; name: string; isProduction: boolean };
  deploymentRequestId?: string;
  incidentId?: string;
  releaseId?: string;
};

/** One event type with its data. */
export type PierEventOf<T extends PierEventType> = {
  /** Outbox id once written; consumers use it as their idempotency key. */
  id?: string;
  type: T;
  occurredAt: string;
  severity: Severity;
  subject: PierEventSubject;
  actor?: { id: string | null; label: string };
  data: PierEventData[T];
  /** Flat string labels routing matches on: type, service, team, environment, tier, severity, plus extras. */
  labels: Record<string, string>;
  cdeventType?: string;
};

/** A Pier event: narrow by `type` to get its data's fields. */
export type PierEvent = { [T in PierEventType]: PierEventOf<T> }[PierEventType];

/**
 * Any event as generic readers see it (notification templates, route tests, sample and test events): the same
 * envelope, data as named fields. Every PierEvent is one.
 */
export type PierEventShape = Omit<PierEventOf<PierEventType>, "data"> & { data: EventFields };

/** Builds the routing labels every event carries, from its subject. */
export function labelsFor(e: Pick<PierEventShape, "type" | "severity" | "subject">, extra: Record<string, string> = {}) {
  const labels: Record<string, string> = { type: e.type, severity: e.severity, ...extra };
  if (e.subject.service) {
    labels.service = e.subject.service.slug;
    labels.team = e.subject.service.teamSlug;
    labels.tier = String(e.subject.service.tier);
  }
  if (e.subject.environment) labels.environment = e.subject.environment.name;
  return labels;
}

type Emitted<E> = E extends unknown
  ? Omit<E, "id" | "labels" | "occurredAt" | "cdeventType"> & { labels?: Record<string, string>; occurredAt?: string }
  : never;
/** What an emitter passes: the event without what emitting fills in. */
export type PierEventInput = Emitted<PierEvent>;

function write(tx: Tx, event: Emitted<PierEventShape>): { id: string } {
  const full: PierEventShape = {
    ...event,
    occurredAt: event.occurredAt ?? new Date().toISOString(),
    labels: labelsFor(event, event.labels),
    cdeventType: CDEVENT_FOR[event.type],
  };
  return writeOutbox(tx, { queue: QUEUES.events, type: event.type, payload: full });
}

/** Writes the event to the outbox inside the caller's transaction (same commit as the state change). */
export function emitPierEvent(tx: Tx, event: PierEventInput): { id: string } {
  return write(tx, event);
}

/**
 * An admin's test event: any type, made-up data, marked `data.test`. It takes the path real events take (outbox,
 * routing, delivery); subscribers that project state skip it (isTestEvent).
 */
export function emitTestEvent(tx: Tx, event: Emitted<PierEventShape>): { id: string } {
  return write(tx, { ...event, data: { ...event.data, test: true } });
}

/** A test event's data is made up: it does not carry what its type promises. */
export const isTestEvent = (event: { data: EventFields }) => event.data.test === true;
