// Owners confirm or dispute the deployment an incident is attributed to (server/dora/incident-links.ts). A confirmed
// link stays whatever the feeds send later; a disputed one is removed (the deployment no longer counts as a change
// failure) and stays removed until the source sends evidence. Change + audit record + outbox event, one transaction.
import { z } from "zod";
import { recordAudit } from "../audit/audit-log";
import { transaction, type Db } from "../db";
import { badRequest, notFound } from "../errors";
import { emitPierEvent } from "../bus/events";
import { actorOf, assertCanManageService } from "../identity/access";
import type { SessionUser } from "../identity/roles";
import { lockServiceHistory, refreshHasIncident } from "./canonical";
import { refreshRework } from "./deployment-facts";

export const reviewIncidentLinkInput = z.object({
  incidentId: z.string().min(1, "incidentId is required").max(64),
  decision: z.enum(["confirmed", "disputed"], { error: "decision must be confirmed or disputed" }),
});

export async function reviewIncidentLink(db: Db, user: SessionUser, raw: z.input<typeof reviewIncidentLinkInput>) {
  const input = reviewIncidentLinkInput.parse(raw);
  return transaction(db, async (tx) => {
    const before = await tx.selectFrom("Incident").selectAll().where("id", "=", input.incidentId).executeTakeFirst();
    if (!before) throw notFound("Incident");
    if (!before.serviceId) throw badRequest("This incident names no catalog service", "incidentId");
    const service = await tx
      .selectFrom("Service as s")
      .innerJoin("Team as t", "t.id", "s.teamId")
      .select(["s.id", "s.slug", "s.name", "s.tier", "s.teamId", "t.slug as teamSlug"])
      .where("s.id", "=", before.serviceId)
      .executeTakeFirstOrThrow();
    assertCanManageService(user, service.teamId, "Only the owning team or admins can confirm or dispute an incident's deployment");
    if (!before.deploymentId) throw badRequest("This incident is not linked to a deployment", "incidentId");
    await lockServiceHistory(tx, service.slug);
    const after = await tx
      .updateTable("Incident")
      .set(input.decision === "confirmed" ? { linkStatus: "confirmed" } : { linkStatus: "disputed", deploymentId: null })
      .where("id", "=", before.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await refreshHasIncident(tx, [before.deploymentId]);
    // A disputed link no longer makes the service's later deployments rework.
    await refreshRework(tx, [before.serviceId], before.detectedAt);
    recordAudit(tx, { actor: actorOf(user), action: `incident.link_${input.decision}`, subjectType: "incident", subjectId: after.id, before, after });
    emitPierEvent(tx, {
      type: "incident.link_reviewed",
      severity: "info",
      actor: actorOf(user),
      subject: { service, incidentId: after.id },
      data: { incidentId: after.id, deploymentId: before.deploymentId, decision: input.decision, linkReason: before.linkReason },
    });
    return after;
  });
}
