// What the service page and the team page show, each in a handful of indexed queries.
import type { Db, Tx } from "../db";
import { notFound } from "../errors";
import type { SessionUser } from "../identity/roles";
import { canEditTeamServices } from "./service-editing";

const peerSelect = { id: true, slug: true, name: true, tier: true, lifecycle: true, kind: true } as const;

export async function serviceDetail(db: Db | Tx, slug: string, viewer: Pick<SessionUser, "role" | "teamIds">) {
  const service = await db.service.findUnique({
    where: { slug },
    select: {
      id: true,
      slug: true,
      name: true,
      description: true,
      tier: true,
      lifecycle: true,
      type: true,
      kind: true,
      language: true,
      repositoryUrl: true,
      runbookUrl: true,
      links: true,
      tags: true,
      system: true,
      annotations: true,
      createdAt: true,
      updatedAt: true,
      teamId: true,
      team: {
        select: {
          id: true,
          slug: true,
          name: true,
          onCallName: true,
          onCallUrl: true,
          members: { orderBy: { user: { name: "asc" } }, select: { role: true, user: { select: { id: true, name: true, email: true } } } },
        },
      },
      environments: {
        orderBy: { environment: { rank: "asc" } },
        select: {
          currentVersion: true,
          lastDeployedAt: true,
          lastDeployedById: true,
          environment: { select: { id: true, name: true, rank: true, isProduction: true } },
        },
      },
      dependsOn: { orderBy: { toService: { name: "asc" } }, select: { kind: true, toService: { select: peerSelect } } },
      dependedOnBy: { orderBy: { fromService: { name: "asc" } }, select: { kind: true, fromService: { select: peerSelect } } },
    },
  });
  if (!service) throw notFound(`Service "${slug}"`);
  const deployerIds = [...new Set(service.environments.map((e) => e.lastDeployedById).filter((x): x is string => !!x))];
  const deployers = deployerIds.length
    ? await db.user.findMany({ where: { id: { in: deployerIds } }, select: { id: true, name: true } })
    : [];
  const nameOf = new Map(deployers.map((u) => [u.id, u.name]));
  const { dependsOn, dependedOnBy, environments, links, ...rest } = service;
  return {
    ...rest,
    links: Array.isArray(links) ? (links as { title: string; url: string }[]) : [],
    environments: environments.map((e) => ({
      ...e.environment,
      currentVersion: e.currentVersion,
      lastDeployedAt: e.lastDeployedAt,
      lastDeployedBy: e.lastDeployedById ? (nameOf.get(e.lastDeployedById) ?? null) : null,
    })),
    upstream: dependsOn.map((d) => ({ ...d.toService, dependencyKind: d.kind })),
    downstream: dependedOnBy.map((d) => ({ ...d.fromService, dependencyKind: d.kind })),
    canEdit: canEditTeamServices(viewer, service.teamId),
  };
}
export type ServiceDetail = Awaited<ReturnType<typeof serviceDetail>>;

export async function teamPage(db: Db | Tx, slug: string) {
  const team = await db.team.findUnique({
    where: { slug },
    select: {
      id: true,
      slug: true,
      name: true,
      description: true,
      onCallName: true,
      onCallUrl: true,
      members: { orderBy: { user: { name: "asc" } }, select: { role: true, user: { select: { id: true, name: true, email: true, role: true } } } },
      services: { orderBy: [{ tier: "asc" }, { name: "asc" }], select: { ...peerSelect, type: true, description: true } },
    },
  });
  if (!team) throw notFound(`Team "${slug}"`);
  return team;
}

/** Slugs and names for pickers (e.g. "depends on …"), filtered by a prefix so it stays small at 5,000 services. */
export async function servicePicker(db: Db | Tx, q: string, limit = 20) {
  return db.service.findMany({
    where: q ? { OR: [{ slug: { contains: q, mode: "insensitive" } }, { name: { contains: q, mode: "insensitive" } }] } : undefined,
    orderBy: { name: "asc" },
    take: limit,
    select: { slug: true, name: true },
  });
}
