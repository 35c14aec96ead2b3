// Creating, editing and deprecating services and their dependencies. Admins and members of the owning team may
// do it; everyone else is refused. Every change: one transaction with the change, an audit record and a
// catalog.service_changed event.
import type { Db, Tx } from "../db";
import { Prisma } from "../db";
import { recordAudit } from "../audit/audit-log";
import { emitPierEvent } from "../bus/events";
import { badRequest, DomainError, forbidden, notFound } from "../errors";
import { hasRole, isTeamMember, type SessionUser } from "../identity/roles";
import {
  createServiceInput,
  dependencyInput,
  updateServiceInput,
  type CreateServiceInput,
  type DependencyInput,
  type UpdateServiceInput,
} from "./service-input";
import { eventSubjectOf, serviceSummarySelect, type ServiceSummary } from "./service-summary";

export function canEditTeamServices(user: Pick<SessionUser, "role" | "teamIds">, teamId: string) {
  return hasRole(user, "admin") || isTeamMember(user, teamId);
}

export function assertCanEdit(user: Pick<SessionUser, "role" | "teamIds">, teamId: string, teamName = "the owning team") {
  if (!canEditTeamServices(user, teamId)) throw forbidden(`Only admins and members of ${teamName} may change this service`);
}

/** The full editable record: what audit before/after holds. */
const editableSelect = {
  ...serviceSummarySelect,
  language: true,
  repositoryUrl: true,
  runbookUrl: true,
  links: true,
  tags: true,
  system: true,
} satisfies Prisma.ServiceSelect;

export type ServiceChange =
  | "created"
  | "updated"
  | "deprecated"
  | "dependency_added"
  | "dependency_removed"
  | "imported";

/** Audit + event for one service change, inside the caller's transaction. */
export async function recordServiceChange(
  tx: Tx,
  user: Pick<SessionUser, "id" | "name">,
  service: ServiceSummary,
  change: ServiceChange,
  before: unknown,
  after: unknown,
  data: Record<string, unknown> = {},
) {
  const actor = { id: user.id, label: user.name };
  await recordAudit(tx, { actor, action: `catalog.service_${change}`, subjectType: "service", subjectId: service.id, before, after });
  await emitPierEvent(tx, {
    type: "catalog.service_changed",
    severity: "info",
    subject: { service: eventSubjectOf(service) },
    actor,
    data: { change, ...data },
    labels: { change },
  });
}

async function teamBySlug(tx: Tx, slug: string) {
  const team = await tx.team.findUnique({ where: { slug }, select: { id: true, slug: true, name: true } });
  if (!team) throw badRequest(`There is no team "${slug}"`, "teamSlug");
  return team;
}

async function loadForEdit(tx: Tx, slug: string) {
  // Row lock: two editors of the same service are serialised, so before/after in the audit are exact.
  const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM "Service" WHERE slug = ${slug} FOR UPDATE`;
  if (!locked.length) throw notFound(`Service "${slug}"`);
  return tx.service.findUniqueOrThrow({ where: { id: locked[0].id }, select: editableSelect });
}

const jsonOrUndefined = (v: unknown) => (v === undefined ? undefined : (v as Prisma.InputJsonValue));

export async function createService(db: Db, user: SessionUser, raw: CreateServiceInput) {
  const input = createServiceInput.parse(raw);
  return db.$transaction(async (tx) => {
    const team = await teamBySlug(tx, input.teamSlug);
    assertCanEdit(user, team.id, team.name);
    if (await tx.service.findUnique({ where: { slug: input.slug }, select: { id: true } })) {
      throw new DomainError("CONFLICT", `A service with the slug "${input.slug}" already exists`, "slug");
    }
    const { teamSlug: _team, links, ...rest } = input;
    const created = await tx.service.create({
      data: { ...rest, links: links as Prisma.InputJsonValue, teamId: team.id },
      select: editableSelect,
    });
    await recordServiceChange(tx, user, created, "created", null, created);
    return created;
  });
}

export async function updateService(db: Db, user: SessionUser, raw: UpdateServiceInput) {
  const { slug, changes } = updateServiceInput.parse(raw);
  return db.$transaction(async (tx) => {
    const before = await loadForEdit(tx, slug);
    assertCanEdit(user, before.teamId, before.team.name);
    const { teamSlug, links, ...rest } = changes;
    let teamId: string | undefined;
    if (teamSlug !== undefined && teamSlug !== before.team.slug) {
      // Handing a service to another team needs a say in that team too.
      const team = await teamBySlug(tx, teamSlug);
      if (!canEditTeamServices(user, team.id)) {
        throw new DomainError("FORBIDDEN", `Only admins and members of ${team.name} may hand services to it`, "teamSlug");
      }
      teamId = team.id;
    }
    const after = await tx.service.update({
      where: { id: before.id },
      data: { ...rest, links: jsonOrUndefined(links), teamId },
      select: editableSelect,
    });
    const changed = Object.keys(changes).filter(
      (k) => JSON.stringify((before as Record<string, unknown>)[k]) !== JSON.stringify((after as Record<string, unknown>)[k]),
    );
    if (teamId) changed.push("team");
    const change: ServiceChange = after.lifecycle === "deprecated" && before.lifecycle !== "deprecated" ? "deprecated" : "updated";
    await recordServiceChange(tx, user, after, change, before, after, { fields: [...new Set(changed)].filter((f) => f !== "teamSlug") });
    return after;
  });
}

export async function deprecateService(db: Db, user: SessionUser, slug: string) {
  return updateService(db, user, { slug, changes: { lifecycle: "deprecated" } });
}

/** `fromSlug` depends on `toSlug`. Declared by the dependent service, so its owners may change it. */
export async function addDependency(db: Db, user: SessionUser, raw: DependencyInput) {
  const input = dependencyInput.parse(raw);
  if (input.fromSlug === input.toSlug) throw badRequest("A service cannot depend on itself", "toSlug");
  return db.$transaction(async (tx) => {
    const from = await loadForEdit(tx, input.fromSlug);
    assertCanEdit(user, from.teamId, from.team.name);
    const to = await tx.service.findUnique({ where: { slug: input.toSlug }, select: { id: true, slug: true } });
    if (!to) throw badRequest(`There is no service "${input.toSlug}"`, "toSlug");
    const existing = await tx.serviceDependency.findUnique({
      where: { fromServiceId_toServiceId: { fromServiceId: from.id, toServiceId: to.id } },
    });
    if (existing) throw new DomainError("CONFLICT", `${from.slug} already depends on ${to.slug}`, "toSlug");
    const dep = await tx.serviceDependency.create({ data: { fromServiceId: from.id, toServiceId: to.id, kind: input.kind } });
    const after = { to: to.slug, kind: dep.kind };
    await recordServiceChange(tx, user, from, "dependency_added", null, after, { dependsOn: to.slug, kind: dep.kind });
    return after;
  });
}

export async function removeDependency(db: Db, user: SessionUser, raw: { fromSlug: string; toSlug: string }) {
  return db.$transaction(async (tx) => {
    const from = await loadForEdit(tx, raw.fromSlug);
    assertCanEdit(user, from.teamId, from.team.name);
    const to = await tx.service.findUnique({ where: { slug: raw.toSlug }, select: { id: true, slug: true } });
    const dep =
      to &&
      (await tx.serviceDependency.findUnique({ where: { fromServiceId_toServiceId: { fromServiceId: from.id, toServiceId: to.id } } }));
    if (!to || !dep) throw notFound(`The dependency ${raw.fromSlug} → ${raw.toSlug}`);
    await tx.serviceDependency.delete({ where: { fromServiceId_toServiceId: { fromServiceId: from.id, toServiceId: to.id } } });
    const before = { to: to.slug, kind: dep.kind };
    await recordServiceChange(tx, user, from, "dependency_removed", before, null, { dependsOn: to.slug });
    return before;
  });
}
