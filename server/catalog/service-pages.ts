// What the service page and the team page show. The service page is one statement (its sections as JSON
// subqueries on indexed columns): it is measured by bench:catalog.
import { SERVICE_CARD_COLUMNS } from "./service-summary";
import type { ExpressionBuilder } from "kysely";
import { jsonArrayFrom, jsonBuildObject } from "kysely/helpers/postgres";
import { parseUtcTimestamp, type DB, type Db, type Kysely } from "../db";
import { notFound } from "../errors";
import { canManageService } from "../identity/access";
import type { SessionUser } from "../identity/roles";

const peerSelect = { id: true, slug: true, name: true, tier: true, lifecycle: true, kind: true } as const;

/** The service with its team (and members), environments (and who deployed last) and both dependency directions. */
/** The services this one depends on (upstream) or that depend on it (downstream), by name. */
function dependencies(eb: ExpressionBuilder<DB & { s: DB["Service"] }, "s">, direction: "upstream" | "downstream") {
  const [self, other] = direction === "upstream" ? (["dep.fromServiceId", "dep.toServiceId"] as const) : (["dep.toServiceId", "dep.fromServiceId"] as const);
  return eb
    .selectFrom("ServiceDependency as dep")
    .innerJoin("Service as p", "p.id", other)
    .select(["p.id", "p.slug", "p.name", "p.tier", "p.lifecycle", "p.kind", "dep.kind as dependencyKind"])
    .whereRef(self, "=", "s.id")
    .orderBy("p.name");
}

function serviceDetailQuery(db: Kysely<DB>, slug: string) {
  return db
    .selectFrom("Service as s")
    .innerJoin("Team as t", "t.id", "s.teamId")
    .where("s.slug", "=", slug)
    .select((eb) => [
      ...SERVICE_CARD_COLUMNS,
      "s.language",
      "s.repositoryUrl",
      "s.runbookUrl",
      "s.links",
      "s.tags",
      "s.system",
      "s.annotations",
      "s.incidentAliases",
      "s.createdAt",
      "s.updatedAt",
      "s.teamId",
      jsonBuildObject({
        id: eb.ref("t.id"),
        slug: eb.ref("t.slug"),
        name: eb.ref("t.name"),
        onCallName: eb.ref("t.onCallName"),
        onCallUrl: eb.ref("t.onCallUrl"),
        members: jsonArrayFrom(
          eb
            .selectFrom("TeamMember as m")
            .innerJoin("User as u", "u.id", "m.userId")
            .select((eb) => ["m.role", jsonBuildObject({ id: eb.ref("u.id"), name: eb.ref("u.name"), email: eb.ref("u.email") }).as("user")])
            .whereRef("m.teamId", "=", "t.id")
            .orderBy("u.name"),
        ),
      }).as("team"),
      jsonArrayFrom(
        eb
          .selectFrom("ServiceEnvironment as se")
          .innerJoin("Environment as e", "e.id", "se.environmentId")
          .leftJoin("User as d", "d.id", "se.lastDeployedById")
          .select(["e.id", "e.name", "e.rank", "e.isProduction", "se.currentVersion", "se.lastDeployedAt", "d.name as lastDeployedBy"])
          .whereRef("se.serviceId", "=", "s.id")
          .orderBy("e.rank"),
      ).as("environments"),
      jsonArrayFrom(dependencies(eb, "upstream")).as("upstream"),
      jsonArrayFrom(dependencies(eb, "downstream")).as("downstream"),
    ]);
}

export async function serviceDetail(db: Db, slug: string, viewer: Pick<SessionUser, "role" | "teamIds">) {
  const service = await serviceDetailQuery(db.kysely, slug).executeTakeFirst();
  if (!service) throw notFound(`Service "${slug}"`);
  const { links, environments, ...rest } = service;
  // The imported entity this service stands for (if any), and its System's entity page.
  const entity = await db.kysely.selectFrom("CatalogEntity").select(["kind", "namespace", "name"]).where("serviceId", "=", service.id).executeTakeFirst();
  const system = service.system
    ? await db.kysely
        .selectFrom("CatalogEntity")
        .select(["kind", "namespace", "name"])
        .where("ref", "=", `system:default/${service.system.toLowerCase()}`)
        .executeTakeFirst()
    : undefined;
  return {
    ...rest,
    entity: entity ?? null,
    systemEntity: system ?? null,
    links: Array.isArray(links) ? (links as { title: string; url: string }[]) : [],
    // JSON carries timestamps as text (UTC wall time).
    environments: environments.map((e) => ({ ...e, lastDeployedAt: e.lastDeployedAt === null ? null : parseUtcTimestamp(e.lastDeployedAt) })),
    // The same rule the edit mutations check (service-editing.ts), so the page offers only what will be allowed.
    canEdit: canManageService(viewer, service.teamId),
  };
}
export type ServiceDetail = Awaited<ReturnType<typeof serviceDetail>>;

export async function teamPage(db: Db, slug: string) {
  const team = await db.team.findUnique({
    where: { slug },
    select: {
      id: true,
      slug: true,
      name: true,
      description: true,
      onCallName: true,
      onCallUrl: true,
      chatChannel: true,
      members: { orderBy: { user: { name: "asc" } }, select: { role: true, user: { select: { id: true, name: true, email: true, role: true } } } },
      services: { orderBy: [{ tier: "asc" }, { name: "asc" }], select: { ...peerSelect, type: true, description: true } },
    },
  });
  if (!team) throw notFound(`Team "${slug}"`);
  return team;
}

/** Slugs and names for pickers (e.g. "depends on …"), filtered by a prefix so it stays small at 5,000 services. */
export async function servicePicker(db: Db, q: string, limit = 20) {
  return db.service.findMany({
    where: q ? { OR: [{ slug: { contains: q, mode: "insensitive" } }, { name: { contains: q, mode: "insensitive" } }] } : undefined,
    orderBy: { name: "asc" },
    take: limit,
    select: { slug: true, name: true },
  });
}
