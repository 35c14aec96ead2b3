// Creating, editing and deprecating services and their dependencies. Admins and members of the owning team may
// do it (server/identity/access.ts); everyone else is refused. Every change: one transaction with the change, an
// audit record and a catalog.service_changed event.
import { newId, transaction, type DB, type Db, type Kysely, type Tx } from "../db";
import { recordAudit } from "../audit/audit-log";
import { emitPierEvent, type ServiceChangedData } from "../bus/events";
import { badRequest, DomainError, notFound } from "../errors";
import { actorOf, assertCanManageService, canManageService } from "../identity/access";
import type { SessionUser } from "../identity/roles";
import {
  createServiceInput,
  dependencyInput,
  updateServiceInput,
  type CreateServiceInput,
  type DependencyInput,
  type UpdateServiceInput,
} from "./service-input";
import { eventSubjectOf, selectServiceSummaries, type ServiceSummary } from "./service-summary";

/** The editable columns besides the summary's: with it, the full record audit before/after holds. */
const EDITABLE_COLUMNS = ["language", "repositoryUrl", "runbookUrl", "links", "tags", "system"] as const;
/** The Service columns of an editable record (the team comes from the join, or is already known after a write). */
const EDITABLE_SERVICE_COLUMNS = ["id", "slug", "name", "description", "tier", "lifecycle", "type", "kind", "teamId", ...EDITABLE_COLUMNS] as const;

function selectEditable(db: Kysely<DB>) {
  return selectServiceSummaries(db).select(EDITABLE_COLUMNS.map((c) => `s.${c}` as const));
}

type EditableService = Awaited<ReturnType<ReturnType<typeof selectEditable>["executeTakeFirstOrThrow"]>>;

export type ServiceChange = ServiceChangedData["change"];

const mayChange = (teamName: string) => `Only admins and members of ${teamName} may change this service`;

/** Audit + event for one service change, with the caller's transaction. */
export function recordServiceChange(
  tx: Tx,
  user: Pick<SessionUser, "id" | "name">,
  service: ServiceSummary,
  change: ServiceChange,
  before: unknown,
  after: unknown,
  data: Record<string, unknown> = {},
) {
  const actor = actorOf(user);
  recordAudit(tx, { actor, action: `catalog.service_${change}`, subjectType: "service", subjectId: service.id, before, after });
  emitPierEvent(tx, {
    type: "catalog.service_changed",
    severity: "info",
    subject: { service: eventSubjectOf(service) },
    actor,
    data: { change, ...data },
    labels: { change },
  });
}

async function teamBySlug(tx: Tx, slug: string) {
  const team = await tx.selectFrom("Team").select(["id", "slug", "name"]).where("slug", "=", slug).executeTakeFirst();
  if (!team) throw badRequest(`There is no team "${slug}"`, "teamSlug");
  return team;
}

async function loadForEdit(tx: Tx, slug: string) {
  // Row lock on the service: two editors of the same service are serialised, so before/after in the audit are exact.
  const service = await selectEditable(tx).where("s.slug", "=", slug).forUpdate("s").executeTakeFirst();
  if (!service) throw notFound(`Service "${slug}"`);
  return service;
}

export async function createService(db: Db, user: SessionUser, raw: CreateServiceInput) {
  const input = createServiceInput.parse(raw);
  return transaction(db, async (tx) => {
    const team = await teamBySlug(tx, input.teamSlug);
    assertCanManageService(user, team.id, mayChange(team.name));
    if (await tx.selectFrom("Service").select("id").where("slug", "=", input.slug).executeTakeFirst()) {
      throw new DomainError("CONFLICT", `A service with the slug "${input.slug}" already exists`, "slug");
    }
    const { teamSlug: _team, links, ...rest } = input;
    const inserted = await tx
      .insertInto("Service")
      .values({ ...rest, id: newId(), links: JSON.stringify(links), teamId: team.id, updatedAt: new Date() })
      .returning(EDITABLE_SERVICE_COLUMNS)
      .executeTakeFirstOrThrow();
    const created: EditableService = { ...inserted, team };
    recordServiceChange(tx, user, created, "created", null, created);
    return created;
  });
}

export async function updateService(db: Db, user: SessionUser, raw: UpdateServiceInput) {
  const { slug, changes } = updateServiceInput.parse(raw);
  return transaction(db, async (tx) => {
    const before = await loadForEdit(tx, slug);
    assertCanManageService(user, before.teamId, mayChange(before.team.name));
    const { teamSlug, links, ...rest } = changes;
    let newTeam: EditableService["team"] | undefined;
    if (teamSlug !== undefined && teamSlug !== before.team.slug) {
      // Handing a service to another team needs a say in that team too.
      newTeam = await teamBySlug(tx, teamSlug);
      if (!canManageService(user, newTeam.id)) {
        throw new DomainError("FORBIDDEN", `Only admins and members of ${newTeam.name} may hand services to it`, "teamSlug");
      }
    }
    const updated = await tx
      .updateTable("Service")
      .set({ ...rest, links: links === undefined ? undefined : JSON.stringify(links), teamId: newTeam?.id, updatedAt: new Date() })
      .where("id", "=", before.id)
      .returning(EDITABLE_SERVICE_COLUMNS)
      .executeTakeFirstOrThrow();
    const after: EditableService = { ...updated, team: newTeam ?? before.team };
    const changed = Object.keys(changes).filter(
      (k) => JSON.stringify((before as Record<string, unknown>)[k]) !== JSON.stringify((after as Record<string, unknown>)[k]),
    );
    if (newTeam) changed.push("team");
    const change: ServiceChange = after.lifecycle === "deprecated" && before.lifecycle !== "deprecated" ? "deprecated" : "updated";
    recordServiceChange(tx, user, after, change, before, after, { fields: [...new Set(changed)].filter((f) => f !== "teamSlug") });
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
  return transaction(db, async (tx) => {
    const from = await loadForEdit(tx, input.fromSlug);
    assertCanManageService(user, from.teamId, mayChange(from.team.name));
    const to = await tx.selectFrom("Service").select(["id", "slug"]).where("slug", "=", input.toSlug).executeTakeFirst();
    if (!to) throw badRequest(`There is no service "${input.toSlug}"`, "toSlug");
    const dep = await tx
      .insertInto("ServiceDependency")
      .values({ fromServiceId: from.id, toServiceId: to.id, kind: input.kind })
      .onConflict((oc) => oc.columns(["fromServiceId", "toServiceId"]).doNothing())
      .returning("kind")
      .executeTakeFirst();
    if (!dep) throw new DomainError("CONFLICT", `${from.slug} already depends on ${to.slug}`, "toSlug");
    const after = { to: to.slug, kind: dep.kind };
    recordServiceChange(tx, user, from, "dependency_added", null, after, { dependsOn: to.slug, kind: dep.kind });
    return after;
  });
}

export async function removeDependency(db: Db, user: SessionUser, raw: { fromSlug: string; toSlug: string }) {
  return transaction(db, async (tx) => {
    const from = await loadForEdit(tx, raw.fromSlug);
    assertCanManageService(user, from.teamId, mayChange(from.team.name));
    const dep = await tx
      .deleteFrom("ServiceDependency")
      .where("fromServiceId", "=", from.id)
      .where("toServiceId", "=", (eb) => eb.selectFrom("Service").select("id").where("slug", "=", raw.toSlug))
      .returning("kind")
      .executeTakeFirst();
    if (!dep) throw notFound(`The dependency ${raw.fromSlug} → ${raw.toSlug}`);
    const before = { to: raw.toSlug, kind: dep.kind };
    recordServiceChange(tx, user, from, "dependency_removed", before, null, { dependsOn: raw.toSlug });
    return before;
  });
}
