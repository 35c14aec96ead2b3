// What every channel adapter works with: the rendered message, the channel's decrypted config, and the outcome
// classification that drives retries (delivered / retry later / permanent failure / endpoint gone for good).
import { z } from "zod";
import type { ChannelType } from "@/generated/prisma/enums";
import type { PierEventShape } from "../../bus/events";

export const CHANNEL_TYPES = ["slack", "teams", "email", "webhook", "discord", "google_chat", "pagerduty"] as const satisfies readonly ChannelType[];

export type Recipients = {
  oncall: { name: string; url: string | null } | null;
  users: { id: string; name: string; email: string; roles: string[] }[];
};

export type OutgoingMessage = {
  deliveryId: string;
  idempotencyKey: string;
  title: string;
  text: string;
  url: string | null;
  event: PierEventShape;
  recipients: Recipients;
  /** Set for a digest: the events it summarises. */
  digest: { eventId: string; type: string; title: string }[] | null;
  /** Thread/grouping key chat channels may use to keep related messages together. */
  threadKey: string;
};

export type SendOutcome = {
  kind: "delivered" | "retry" | "permanent" | "gone";
  statusCode?: number;
  error?: string;
  retryAfterMs?: number;
};

const httpsUrl = z.string().trim().url("must be a URL").max(2000);

const common = { ratePerMinute: z.number().int().min(1).max(100_000).optional() };

/** Secret part (encrypted at rest) and public settings, per channel type. */
export const CHANNEL_CONFIG = {
  slack: { secret: z.object({ url: httpsUrl }), settings: z.object(common) },
  discord: { secret: z.object({ url: httpsUrl }), settings: z.object(common) },
  google_chat: { secret: z.object({ url: httpsUrl }), settings: z.object(common) },
  teams: {
    secret: z.object({ url: httpsUrl }),
    settings: z.object({ ...common, format: z.enum(["workflows", "messagecard"]).default("workflows") }),
  },
  webhook: {
    secret: z.object({
      url: httpsUrl,
      signingSecret: z.string().min(16, "use at least 16 characters").max(200),
      headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, "header names may hold letters, digits and -"), z.string().max(2000)).default({}),
    }),
    settings: z.object(common),
  },
  pagerduty: {
    secret: z.object({ routingKey: z.string().trim().length(32, "a PagerDuty routing key has 32 characters") }),
    settings: z.object({ ...common, baseUrl: httpsUrl.default("https://events.pagerduty.com") }),
  },
  email: {
    secret: z.object({ password: z.string().max(500).default("") }),
    settings: z.object({
      ...common,
      host: z.string().trim().min(1, "SMTP host is required").max(255),
      port: z.number().int().min(1).max(65535).default(587),
      secure: z.boolean().default(false),
      username: z.string().max(255).default(""),
      from: z.string().trim().email("must be an email address"),
      to: z.array(z.string().trim().email("must be an email address")).max(50).default([]),
    }),
  },
} as const;

export type ChannelSecret<T extends ChannelType> = z.output<(typeof CHANNEL_CONFIG)[T]["secret"]>;
export type ChannelSettings<T extends ChannelType> = z.output<(typeof CHANNEL_CONFIG)[T]["settings"]>;

/** Requests per minute when the admin set none: the vendors' documented limits. */
export const DEFAULT_RATE_PER_MINUTE: Record<ChannelType, number | null> = {
  slack: 60,
  discord: 30,
  google_chat: 60,
  teams: 60,
  pagerduty: 120,
  webhook: null,
  email: null,
};

export type ChannelRuntime = { id: string; type: ChannelType; secret: Record<string, unknown>; settings: Record<string, unknown> };
