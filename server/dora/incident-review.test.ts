// Owners confirm or dispute an incident's deployment: audited, announced, only by the owning team or admins, and a
// disputed link is not re-made by the time-window heuristic when the feed sends the incident again.
import { beforeAll, describe, expect, it } from "vitest";
import { getDb, transaction } from "../db";
import { callerFor, callerWithRole, makeTeam, makeUser, uid } from "../../test/support/factories";
import { recordDeployment, recordIncident } from "./canonical";
import { ensureEnvironments, makeService } from "../../test/support/dora-fixtures";

let team: { id: string };
let service: { id: string; slug: string };

beforeAll(async () => {
  await ensureEnvironments();
  team = await makeTeam();
  service = await makeService(team.id, `rv-${uid()}`);
});

const at = (iso: string) => new Date(iso);

describe("incident link review", () => {
  it("confirms, disputes (removing the change failure), audits, and refuses outsiders and bad input", async () => {
    const db = getDb();
    const dep = await transaction(db, (tx) =>
      recordDeployment(tx, {
        source: "t",
        externalId: `rv-${uid()}`,
        serviceName: service.slug,
        environmentName: "prod",
        status: "succeeded",
        deployedAt: at("2026-06-01T10:00:00Z"),
      }),
    );
    const ext = `PD-${uid()}`;
    const incident = await transaction(db, (tx) =>
      recordIncident(tx, { source: "pagerduty", externalId: ext, serviceName: service.slug, title: "Latency", detectedAt: at("2026-06-01T12:00:00Z") }),
    );
    expect([incident.deploymentId, incident.linkReason]).toEqual([dep.id, "window"]);
    const { caller: outsider } = await callerWithRole("developer");
    await expect(outsider.incidents.reviewLink({ incidentId: incident.id, decision: "disputed" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    const anon = await callerFor(null);
    await expect(anon.incidents.reviewLink({ incidentId: incident.id, decision: "confirmed" })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    const owner = await callerFor((await makeUser("developer", [team.id])).id);
    await expect(owner.incidents.reviewLink({ incidentId: incident.id, decision: "maybe" as never })).rejects.toMatchObject({ code: "BAD_REQUEST" });

    expect(await owner.incidents.reviewLink({ incidentId: incident.id, decision: "confirmed" })).toMatchObject({
      linkStatus: "confirmed",
      deploymentId: dep.id,
    });
    const disputed = await owner.incidents.reviewLink({ incidentId: incident.id, decision: "disputed" });
    expect(disputed).toMatchObject({ linkStatus: "disputed", deploymentId: null });
    expect((await db.deployment.findUniqueOrThrow({ where: { id: dep.id } })).hasIncident).toBe(false);
    await expect(owner.incidents.reviewLink({ incidentId: incident.id, decision: "confirmed" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      cause: { field: "incidentId" },
    });
    const audits = await db.auditEvent.findMany({ where: { subjectId: incident.id }, orderBy: { createdAt: "asc" } });
    expect(audits.map((a) => a.action)).toEqual(["incident.link_confirmed", "incident.link_disputed"]);
    expect(await db.outboxEvent.count({ where: { type: "incident.link_reviewed" } })).toBeGreaterThanOrEqual(2);

    // The feed resends the incident (resolved) without evidence: the dispute stands.
    const again = await transaction(db, (tx) =>
      recordIncident(tx, { source: "pagerduty", externalId: ext, serviceName: service.slug, title: "Latency", resolvedAt: at("2026-06-01T13:00:00Z") }),
    );
    expect([again.deploymentId, again.linkStatus]).toEqual([null, "disputed"]);
  });
});
