// Pier's own deployments count automatically: this outbox subscriber turns deployment.succeeded / failed /
// rolled_back events into canonical Deployment rows (source "pier", keyed by the request id) and links changes.
// Listed in server/subscriptions.ts.
import type { Db, Tx } from "../db";
import { isTestEvent } from "../bus/events";
import type { DeliveredEvent } from "../bus/fanout";
import { lockServiceHistory, markPreviousRolledBack, markRolledBack, recordDeployment } from "./canonical";

const STATUS = {
  "deployment.succeeded": "succeeded",
  "deployment.failed": "failed",
  "deployment.rolled_back": "rolled_back",
} as const;

/** The events that finish a deployment request. */
export const PIER_DEPLOYMENT_EVENTS = ["deployment.succeeded", "deployment.failed", "deployment.rolled_back"] as const;
type PierDeploymentEvent = DeliveredEvent<(typeof PIER_DEPLOYMENT_EVENTS)[number]>;

async function recordPierDeployment(tx: Tx, event: PierDeploymentEvent) {
  const { service, environment } = event.subject;
  // An admin's test event names no real request; without a service and environment there is nothing to record.
  if (isTestEvent(event) || !service || !environment) return null;
  await lockServiceHistory(tx, service.slug);
  const status = STATUS[event.type];
  const { isRollback } = event.data;
  const deployment = await recordDeployment(tx, {
    source: "pier",
    deploymentRequestId: event.data.requestId,
    serviceName: service.slug,
    serviceId: service.id,
    environmentName: environment.name,
    environmentId: environment.id,
    version: event.data.version,
    status,
    isRollback,
    deployedAt: new Date(event.occurredAt),
  });
  if (isRollback && status === "succeeded") {
    // A rollback request that succeeded: the deployment it undid counts as a change failure.
    const undone = event.data.rollbackOfId ? await markRolledBack(tx, { deploymentRequestId: event.data.rollbackOfId }, deployment) : "absent";
    if (undone === "absent") await markPreviousRolledBack(tx, deployment, event.data.previousVersion ?? undefined);
  }
  return deployment;
}

/** The subscriber's handler: each event in order, in the fan-out's transaction. */
export async function recordPierDeployments(tx: Tx, events: PierDeploymentEvent[], _db: Db) {
  for (const event of events) await recordPierDeployment(tx, event);
}
