import { describe, expect, it } from "vitest";
import { seedNotifications } from "../../prisma/seed/notifications";
import { getDb } from "../db";
import { routeInputSchema } from "./route-config";
import { listRoutes } from "./route-admin";

describe("notification demo seed", () => {
  it("is idempotent, ships channels disabled, and every route is valid configuration", async () => {
    const db = getDb();
    await seedNotifications(db);
    await seedNotifications(db);
    const channels = await db.notificationChannel.findMany();
    expect(channels).toHaveLength(5);
    expect(channels.every((c) => !c.enabled && c.secretEncrypted.startsWith("v1:"))).toBe(true);
    const raw = await db.notificationRoute.findMany({ orderBy: { position: "asc" } });
    expect(raw).toHaveLength(5);
    for (const r of raw) {
      const parsed = routeInputSchema.safeParse({ ...r, quietHours: r.quietHours ?? null, escalation: r.escalation ?? null });
      expect(parsed.success, `${r.name}: ${parsed.error?.message}`).toBe(true);
    }
    const routes = await listRoutes(db.kysely);
    expect(routes.find((r) => r.name.startsWith("Pending approvals"))?.escalation).toMatchObject({ afterMinutes: 30, channelIds: [expect.any(String)] });
    expect(routes.find((r) => r.name.startsWith("Everything else"))?.quietHours).toMatchObject({ timeZone: "Europe/Paris", action: "drop" });
  });
});
