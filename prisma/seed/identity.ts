// Demo organisation: teams and the demo users. Idempotent (upserts by natural keys).
import type { Db } from "../../server/db";

const DEMO_TEAMS = [
  {
    slug: "payments",
    name: "Payments",
    description: "Checkout, billing and the ledger",
    onCallName: "Payments primary",
    onCallUrl: "https://example.com/oncall/payments",
  },
  {
    slug: "platform",
    name: "Platform",
    description: "Runtime, CI/CD and developer tooling",
    onCallName: "Platform on-call",
    onCallUrl: "https://example.com/oncall/platform",
  },
  {
    slug: "growth",
    name: "Growth",
    description: "Sign-up, onboarding and experiments",
    onCallName: "Growth on-call",
    onCallUrl: "https://example.com/oncall/growth",
  },
  { slug: "data", name: "Data", description: "Pipelines, warehouse and reporting", onCallName: null, onCallUrl: null },
] as const;

const DEMO_USERS = [
  { id: "demo-dana", email: "dana@pier.example", name: "Dana", role: "developer", teams: ["payments", "growth"] },
  { id: "demo-alex", email: "alex@pier.example", name: "Alex", role: "approver", teams: ["platform"] },
  { id: "demo-sam", email: "sam@pier.example", name: "Sam", role: "admin", teams: ["platform"] },
  // Priya saved a time zone (Settings → Time zone): she sees dates in Bengaluru time; the others follow their browser.
  { id: "demo-priya", email: "priya@pier.example", name: "Priya", role: "approver", teams: ["payments"], timeZone: "Asia/Kolkata" },
  { id: "demo-lee", email: "lee@pier.example", name: "Lee", role: "developer", teams: ["data"] },
] as const;

export async function seedIdentity(db: Db) {
  const teamIds: Record<string, string> = {};
  for (const t of DEMO_TEAMS) {
    const team = await db.team.upsert({
      where: { slug: t.slug },
      update: {},
      create: { ...t },
      select: { id: true },
    });
    teamIds[t.slug] = team.id;
  }
  for (const u of DEMO_USERS) {
    await db.user.upsert({
      where: { email: u.email },
      update: {},
      create: { id: u.id, email: u.email, name: u.name, role: u.role, provider: "demo", timeZone: "timeZone" in u ? u.timeZone : null },
    });
    for (const slug of u.teams) {
      await db.teamMember.upsert({
        where: { teamId_userId: { teamId: teamIds[slug], userId: u.id } },
        update: {},
        create: { teamId: teamIds[slug], userId: u.id, role: slug === u.teams[0] ? "lead" : "member" },
      });
    }
  }
  return { teamIds };
}
