// Validated shapes of the JSON columns on NotificationRoute/Silence, shared by the admin forms and the router.
import { z } from "zod";
import type { DB, Selectable } from "../db";
import { matchersSchema, parseMatchers, type Matcher } from "./matchers";
import { quietHoursSchema, type QuietHours } from "./quiet-hours";

const ROLE_RECIPIENTS = ["owning_team_oncall", "eligible_approvers", "requester"] as const;
export type RoleRecipient = (typeof ROLE_RECIPIENTS)[number];

const escalationSchema = z.object({
  afterMinutes: z
    .number()
    .int()
    .min(1, "at least 1 minute")
    .max(7 * 24 * 60),
  channelIds: z.array(z.string().min(1)).max(10).default([]),
  roleRecipients: z.array(z.enum(ROLE_RECIPIENTS)).default([]),
});
type Escalation = z.output<typeof escalationSchema>;

const labelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_.]*$/, "label may hold letters, digits, _ and .");

export const routeInputSchema = z.object({
  name: z.string().trim().min(1, "name is required").max(100),
  enabled: z.boolean().default(true),
  matchers: matchersSchema.default([]),
  continue: z.boolean().default(false),
  channelIds: z.array(z.string().min(1)).max(20).default([]),
  roleRecipients: z.array(z.enum(ROLE_RECIPIENTS)).default([]),
  groupBy: z.array(labelName).max(10).default([]),
  groupWaitSec: z.number().int().min(0).max(3600).default(0),
  groupIntervalSec: z
    .number()
    .int()
    .min(0)
    .max(24 * 3600)
    .default(300),
  repeatIntervalSec: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 3600)
    .default(0),
  quietHours: quietHoursSchema.nullable().default(null),
  escalation: escalationSchema.nullable().default(null),
});
export type RouteInput = z.input<typeof routeInputSchema>;

/** A route as routing uses it: JSON columns parsed (bad stored JSON degrades to "not set" instead of failing). */
export type RouteConfig = {
  id: string;
  name: string;
  position: number;
  enabled: boolean;
  matchers: Matcher[];
  continue: boolean;
  channelIds: string[];
  roleRecipients: RoleRecipient[];
  groupBy: string[];
  groupWaitSec: number;
  groupIntervalSec: number;
  repeatIntervalSec: number;
  quietHours: QuietHours | null;
  escalation: Escalation | null;
};

/** Takes a stored row (from Kysely or Prisma: both have these columns). */
export function toRouteConfig(r: Selectable<DB["NotificationRoute"]>): RouteConfig {
  const qh = r.quietHours ? quietHoursSchema.safeParse(r.quietHours) : null;
  const esc = r.escalation ? escalationSchema.safeParse(r.escalation) : null;
  return {
    id: r.id,
    name: r.name,
    position: r.position,
    enabled: r.enabled,
    matchers: parseMatchers(r.matchers),
    continue: r.continue,
    channelIds: r.channelIds,
    roleRecipients: r.roleRecipients.filter((x): x is RoleRecipient => (ROLE_RECIPIENTS as readonly string[]).includes(x)),
    groupBy: r.groupBy,
    groupWaitSec: r.groupWaitSec,
    groupIntervalSec: r.groupIntervalSec,
    repeatIntervalSec: r.repeatIntervalSec,
    quietHours: qh?.success ? qh.data : null,
    escalation: esc?.success ? esc.data : null,
  };
}

export type SilenceConfig = { id: string; matchers: Matcher[]; startsAt: Date; endsAt: Date; reason: string };

export const toSilenceConfig = (s: Selectable<DB["Silence"]>): SilenceConfig => ({
  id: s.id,
  matchers: parseMatchers(s.matchers),
  startsAt: s.startsAt,
  endsAt: s.endsAt,
  reason: s.reason,
});
