// Audit subjects by name: the audit log stores (subjectType, subjectId); people read "Checkout API" or "Dana", with
// a link to the thing. One query per subject type on the page, whatever the number of records.
import type { Db } from "../db";

export type SubjectLink = { label: string; href: string | null };

type Row = { subjectType: string; subjectId: string };

export async function subjectNames(db: Db, rows: Row[]): Promise<Map<string, SubjectLink>> {
  const k = db.reader;
  const ids = (type: string) => [...new Set(rows.filter((r) => r.subjectType === type).map((r) => r.subjectId))];
  const out = new Map<string, SubjectLink>();
  const put = (type: string, id: string, label: string, href: string | null) => out.set(`${type}:${id}`, { label, href });
  const [services, teams, users, requests, incidents] = [ids("service"), ids("team"), ids("user"), ids("deployment_request"), ids("incident")];
  await Promise.all([
    services.length &&
      k
        .selectFrom("Service")
        .select(["id", "slug", "name"])
        .where("id", "in", services)
        .execute()
        .then((list) => list.forEach((s) => put("service", s.id, s.name, `/services/${s.slug}`))),
    teams.length &&
      k
        .selectFrom("Team")
        .select(["id", "slug", "name"])
        .where("id", "in", teams)
        .execute()
        .then((list) => list.forEach((t) => put("team", t.id, t.name, `/teams/${t.slug}`))),
    users.length &&
      k
        .selectFrom("User")
        .select(["id", "name"])
        .where("id", "in", users)
        .execute()
        .then((list) => list.forEach((u) => put("user", u.id, u.name, `/audit?actor=${encodeURIComponent(u.name)}`))),
    requests.length &&
      k
        .selectFrom("DeploymentRequest as r")
        .innerJoin("Service as s", "s.id", "r.serviceId")
        .innerJoin("Environment as e", "e.id", "r.environmentId")
        .select(["r.id", "r.version", "s.name", "e.name as environment"])
        .where("r.id", "in", requests)
        .execute()
        .then((list) => list.forEach((r) => put("deployment_request", r.id, `${r.name} ${r.version} → ${r.environment}`, `/deployments/${r.id}`))),
    incidents.length &&
      k
        .selectFrom("Incident as i")
        .leftJoin("Service as s", "s.id", "i.serviceId")
        .select(["i.id", "i.title", "s.slug"])
        .where("i.id", "in", incidents)
        .execute()
        .then((list) => list.forEach((i) => put("incident", i.id, i.title, i.slug ? `/services/${i.slug}` : "/incidents"))),
  ]);
  return out;
}
