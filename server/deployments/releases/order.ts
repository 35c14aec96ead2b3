// The order a release rolls out in: the catalog's dependency graph among its services, providers before consumers
// (an edge says fromService depends on toService, so toService goes first; edges are the catalog's service graph:
// declared dependencies and API consumption, server/catalog/service-graph.ts). A cycle has no such
// order: it is refused with a 400 naming the services in it.
import { alg, Graph } from "@dagrejs/graphlib";
import { dependencyEdgesAmong } from "../../catalog/service-graph";
import type { DB, Kysely } from "../../db";
import { badRequest } from "../../errors";

export type OrderedService = { id: string; slug: string };
export type DependencyEdge = { consumerId: string; providerId: string };

/** Topological order of `services` over `edges` (edges to services outside the release are ignored). */
export function dependencyOrder<S extends OrderedService>(
  services: readonly S[],
  edges: readonly DependencyEdge[],
): { order: S[]; after: Map<string, string[]> } {
  const byId = new Map(services.map((s) => [s.id, s]));
  const g = new Graph({ directed: true });
  // Nodes in slug order: services with no dependency between them keep a stable, readable order.
  for (const s of [...services].sort((a, b) => a.slug.localeCompare(b.slug))) g.setNode(s.id);
  const after = new Map<string, string[]>(services.map((s) => [s.id, []]));
  for (const e of edges) {
    const provider = byId.get(e.providerId);
    if (!provider || !byId.has(e.consumerId) || e.providerId === e.consumerId) continue;
    g.setEdge(e.providerId, e.consumerId);
    after.get(e.consumerId)!.push(provider.slug);
  }
  const cycles = alg.findCycles(g);
  if (cycles.length) {
    const named = cycles.map((c) =>
      [...c]
        .map((id) => byId.get(id)!.slug)
        .sort()
        .join(", "),
    );
    throw badRequest(`These services depend on each other in a cycle, so no order puts providers first: ${named.join("; ")}`, "members");
  }
  return { order: alg.topsort(g).map((id) => byId.get(id)!), after };
}

/** The catalog's dependency edges among the given services (a consumer of an API after its providers). */
export async function loadDependencyEdges(db: Kysely<DB>, serviceIds: readonly string[]): Promise<DependencyEdge[]> {
  return dependencyEdgesAmong(db, serviceIds);
}
