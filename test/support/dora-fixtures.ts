// Shared builders for the DORA tests (imported by *.test.ts only).
import { getDb } from "../../server/db";
import { makeTeam, uid } from "./factories";

export async function ensureEnvironments() {
  const db = getDb();
  const out: Record<string, { id: string; name: string }> = {};
  for (const e of [
    { name: "dev", rank: 10, isProduction: false },
    { name: "staging", rank: 20, isProduction: false },
    { name: "prod", rank: 30, isProduction: true },
  ]) {
    out[e.name] = await db.environment.upsert({ where: { name: e.name }, update: {}, create: e, select: { id: true, name: true } });
  }
  return out;
}

export async function makeService(teamId?: string, slug = `svc-${uid()}`) {
  const team = teamId ? { id: teamId } : await makeTeam();
  return getDb().service.create({ data: { slug, name: slug, teamId: team.id } });
}

export const at = (iso: string) => new Date(iso);
