// Demo in-app notifications (the header's bell) for the seeded history, which was written without events: Dana
// hears how her requests ended; the owning teams hear about their services' open incidents. Approvals needed for
// the seeded pending requests arrive the real way (the worker runs the inbox subscriber on their outbox events).
// Idempotent: every item is keyed by a fixed "seed:" event id.
import { transaction, type Db } from "../../server/db";
import { addInboxItems, type NewInboxItem } from "../../server/inbox/inbox-store";

const OUTCOME = {
  succeeded: { kind: "deployment_finished", verb: "Deployed", severity: "info" },
  failed: { kind: "deployment_failed", verb: "Failed", severity: "high" },
  rolled_back: { kind: "deployment_failed", verb: "Rolled back", severity: "high" },
  rejected: { kind: "request_decided", verb: "Rejected", severity: "low" },
} as const;

export async function seedInbox(db: Db) {
  const requests = await db.deploymentRequest.findMany({
    where: { id: { startsWith: "seed-dr-" }, status: { in: ["succeeded", "failed", "rolled_back", "rejected"] } },
    select: {
      id: true,
      requesterId: true,
      status: true,
      version: true,
      finishedAt: true,
      updatedAt: true,
      service: { select: { name: true } },
      environment: { select: { name: true } },
    },
  });
  const items: NewInboxItem[] = requests.map((r) => {
    const o = OUTCOME[r.status as keyof typeof OUTCOME];
    return {
      userId: r.requesterId,
      kind: o.kind,
      title: `${o.verb}: ${r.service.name} → ${r.environment.name} ${r.version}`,
      href: `/deployments/${r.id}`,
      eventId: `seed:${r.id}`,
      subject: `request:${r.id}`,
      severity: o.severity,
      createdAt: r.finishedAt ?? r.updatedAt,
    };
  });
  const incidents = await db.incident.findMany({
    where: { resolvedAt: null, serviceId: { not: null } },
    orderBy: { detectedAt: "desc" },
    take: 3,
    select: {
      id: true,
      title: true,
      severity: true,
      detectedAt: true,
      service: { select: { slug: true, name: true, team: { select: { members: { select: { userId: true } } } } } },
    },
  });
  for (const i of incidents) {
    for (const m of i.service?.team.members ?? []) {
      items.push({
        userId: m.userId,
        kind: "incident",
        title: `Incident on ${i.service!.name}: ${i.title}`,
        body: `Severity ${i.severity}`,
        href: `/services/${i.service!.slug}`,
        eventId: `seed:${i.id}`,
        subject: `incident:${i.id}`,
        severity: i.severity,
        createdAt: i.detectedAt,
      });
    }
  }
  await transaction(db, async (tx) => addInboxItems(tx, items));
  return items.length;
}
