// Builders for notification tests: a team with on-call, a service, an environment, channels pointing at fakes.
import type { ChannelType } from "@/generated/prisma/enums";
import { getDb } from "../../server/db";
import type { PierEventShape, PierEventType } from "../../server/bus/events";
import { labelsFor } from "../../server/bus/events";
import { encryptJson } from "../../server/platform/secrets";
import { uid } from "./factories";
import { createRoute } from "../../server/notifications/route-admin";
import type { RouteInput } from "../../server/notifications/route-config";

export const admin = { id: null, label: "test-admin" };

export async function makeService(opts: { tier?: number; env?: string } = {}) {
  const db = getDb();
  const team = await db.team.create({
    data: { slug: `team-${uid()}`, name: "Payments", onCallName: "Payments primary", onCallUrl: "https://pd.example.com/schedules/P1" },
  });
  const service = await db.service.create({ data: { slug: `svc-${uid()}`, name: "Payments API", teamId: team.id, tier: opts.tier ?? 1 } });
  const name = opts.env ?? "prod";
  const existing = await db.environment.findUnique({ where: { name } });
  const rank = Math.floor(Math.random() * 1_000_000);
  const environment = existing ?? (await db.environment.create({ data: { name, rank, isProduction: name === "prod" } }));
  return { team, service, environment };
}

export async function allow(hostPort: string) {
  await getDb().outboundAllowEntry.upsert({ where: { pattern: hostPort }, create: { pattern: hostPort, reason: "test fake" }, update: {} });
}

export async function makeChannel(type: ChannelType, secret: Record<string, unknown>, settings: Record<string, unknown> = {}) {
  return getDb().notificationChannel.create({
    data: { name: `${type}-${uid()}`, type, secretEncrypted: encryptJson(secret), settings: settings as object },
  });
}

export async function makeRoute(input: RouteInput) {
  return createRoute(getDb(), admin, input);
}

type Svc = Awaited<ReturnType<typeof makeService>>;

export function eventFor(svc: Svc, type: PierEventType, over: Partial<PierEventShape> & { id?: string } = {}): PierEventShape & { id: string } {
  const base = {
    type,
    severity: "high" as const,
    occurredAt: new Date().toISOString(),
    subject: {
      service: { id: svc.service.id, slug: svc.service.slug, name: svc.service.name, tier: svc.service.tier, teamId: svc.team.id, teamSlug: svc.team.slug },
      environment: { id: svc.environment.id, name: svc.environment.name, isProduction: svc.environment.isProduction },
    },
    actor: { id: null, label: "Dana Developer" },
    data: { version: "v1.2.3" },
    ...over,
  };
  return { ...base, id: over.id ?? `evt-${uid()}`, labels: labelsFor(base, over.labels) };
}
