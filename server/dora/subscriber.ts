// Pier's own deployments count automatically: this outbox subscriber turns deployment.succeeded / failed /
// rolled_back events into canonical Deployment rows (source "pier", keyed by the request id) and links changes.
// Registered by the import in server/bus/subscriptions.ts.
import type { Tx } from "../db";
import { registerSubscriber } from "../bus/fanout";
import type { PierEvent } from "../bus/events";
import { lockServiceHistory, markPreviousRolledBack, recordDeployment } from "./canonical";

const STATUS = {
  "deployment.succeeded": "succeeded",
  "deployment.failed": "failed",
  "deployment.rolled_back": "rolled_back",
} as const;

export async function recordPierDeployment(tx: Tx, event: PierEvent) {
  const status = STATUS[event.type as keyof typeof STATUS];
  const service = event.subject.service;
  const environment = event.subject.environment;
  const requestId = String(event.data.requestId ?? event.subject.deploymentRequestId ?? "");
  if (!status || !service || !environment || !requestId) return null;
  await lockServiceHistory(tx, service.slug);
  const isRollback = event.data.isRollback === true;
  const deployment = await recordDeployment(tx, {
    source: "pier",
    deploymentRequestId: requestId,
    serviceName: service.slug,
    serviceId: service.id,
    environmentName: environment.name,
    environmentId: environment.id,
    version: typeof event.data.version === "string" ? event.data.version : "",
    status,
    isRollback,
    deployedAt: new Date(event.occurredAt),
  });
  if (isRollback && status === "succeeded") {
    // A rollback request that succeeded: the deployment it undid counts as a change failure.
    const rollbackOfId = typeof event.data.rollbackOfId === "string" ? event.data.rollbackOfId : null;
    const target = rollbackOfId ? await tx.deployment.findUnique({ where: { deploymentRequestId: rollbackOfId } }) : null;
    if (target && target.status !== "failed") {
      await tx.deployment.update({ where: { id: target.id }, data: { status: "rolled_back", rolledBackAt: deployment.deployedAt, rolledBackById: deployment.id } });
    } else if (!target) {
      await markPreviousRolledBack(tx, deployment, typeof event.data.previousVersion === "string" ? event.data.previousVersion : undefined);
    }
  }
  return deployment;
}

registerSubscriber({
  name: "dora.pier-deployments",
  // Pier's own deployments only: events without a request are not deployments it can record.
  wants: (type, event) => type in STATUS && Boolean(event.data.requestId ?? event.subject.deploymentRequestId),
  handle: async (tx, event) => {
    await recordPierDeployment(tx, event);
  },
});
