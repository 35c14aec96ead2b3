// The environment comparison: every service's versions side by side across environments (dev → staging → prod),
// per target where an environment has several, with desired vs live and how long a target has drifted.
import type { Db } from "../db";

export async function compareEnvironments(db: Db, now = new Date()) {
  const [environments, placements, drift, targets] = await Promise.all([
    db.kysely.selectFrom("Environment").select(["id", "name", "isProduction"]).orderBy("rank").execute(),
    db.kysely
      .selectFrom("ServiceEnvironment as se")
      .innerJoin("Service as s", "s.id", "se.serviceId")
      .select(["s.id", "s.slug", "s.name", "se.environmentId", "se.currentVersion", "se.lastDeployedAt"])
      .orderBy("s.name")
      .execute(),
    db.kysely.selectFrom("DriftStatus").selectAll().execute(),
    db.kysely.selectFrom("DeploymentTarget").select(["environmentId", "name"]).orderBy("name").execute(),
  ]);
  const services = new Map<string, { id: string; slug: string; name: string; cells: Record<string, Cell> }>();
  for (const p of placements) {
    const entry = services.get(p.id) ?? { id: p.id, slug: p.slug, name: p.name, cells: {} };
    const names = targets.filter((t) => t.environmentId === p.environmentId).map((t) => t.name);
    const rows = (names.length ? names : [""]).map((target) => {
      const d = drift.find((x) => x.serviceId === p.id && x.environmentId === p.environmentId && x.target === target);
      return {
        target,
        desired: d?.desiredVersion ?? null,
        live: d?.liveVersion ?? null,
        status: (d?.status ?? "unknown") as "in_sync" | "drifted" | "unknown",
        driftSince: d?.driftSince ?? null,
        driftSeconds: d?.status === "drifted" && d.driftSince ? Math.max(0, Math.round((now.getTime() - d.driftSince.getTime()) / 1000)) : null,
      };
    });
    entry.cells[p.environmentId] = { version: p.currentVersion, lastDeployedAt: p.lastDeployedAt, targets: rows };
    services.set(p.id, entry);
  }
  const list = [...services.values()];
  return {
    environments,
    services: list,
    drifted: list.reduce((n, s) => n + Object.values(s.cells).reduce((m, c) => m + c.targets.filter((t) => t.status === "drifted").length, 0), 0),
  };
}

type Cell = {
  version: string | null;
  lastDeployedAt: Date | null;
  targets: {
    target: string;
    desired: string | null;
    live: string | null;
    status: "in_sync" | "drifted" | "unknown";
    driftSince: Date | null;
    driftSeconds: number | null;
  }[];
};
