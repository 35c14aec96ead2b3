// eventsRouter (as `events`): admin-only management of ingestion — integration tokens, webhook signing secrets,
// the dead-letter list with retry, and the data-quality report — and, for any signed-in user, the Jira status of a
// ticket a deployment request names and the database migrations a deployed version ran.
import { z } from "zod";
import { dataQualityReport } from "../dora/data-quality";
import { authedProcedure, roleProcedure, router } from "../trpc";
import { createIngestToken, listIngestTokens, revokeIngestToken } from "./ingest-tokens";
import { ticketStatus } from "./jira-tickets";
import { migrationsFor } from "./deployment-migrations";
import {
  CUSTOM_AUTH_TYPES,
  HMAC_ALGORITHMS,
  HMAC_ENCODINGS,
  createCustomSource,
  deleteCustomSource,
  listCustomSources,
  previewMapping,
  publishMappingVersion,
} from "./custom-sources";
import { listDeadEvents, retryInboundEvent } from "./ingest-worker";
import { webhookSourceActivity } from "./source-activity";
import { TEST_DELIVERY_SOURCES, sendTestDelivery } from "./test-delivery";
import { addCustomSourceSecret, retireOldCustomSourceSecret } from "./custom-source-secrets";
import { WEBHOOK_KINDS, createWebhookSecret, deleteWebhookSecret, listWebhookSecrets } from "./webhook-secrets";

const admin = roleProcedure("admin");
const actor = (u: { id: string; name: string }) => ({ id: u.id, label: u.name });

export const eventsRouter = router({
  tokens: admin.query(({ ctx }) => listIngestTokens(ctx.db)),
  createToken: admin
    .input(z.object({ name: z.string().trim().min(2, "At least 2 characters").max(80, "At most 80 characters") }))
    .mutation(({ ctx, input }) => createIngestToken(ctx.db, actor(ctx.user), input.name)),
  revokeToken: admin.input(z.object({ id: z.string().min(1) })).mutation(({ ctx, input }) => revokeIngestToken(ctx.db, actor(ctx.user), input.id)),

  webhookSecrets: admin.query(({ ctx }) => listWebhookSecrets(ctx.db)),
  createWebhookSecret: admin
    .input(
      z.object({
        kind: z.enum(WEBHOOK_KINDS),
        name: z.string().trim().min(2, "At least 2 characters").max(80),
        secret: z.string().min(16, "At least 16 characters").max(500),
      }),
    )
    .mutation(({ ctx, input }) => createWebhookSecret(ctx.db, actor(ctx.user), input)),
  deleteWebhookSecret: admin.input(z.object({ id: z.string().min(1) })).mutation(({ ctx, input }) => deleteWebhookSecret(ctx.db, actor(ctx.user), input.id)),
  // Last event, accepted and refused per webhook source over the last 7 days (Admin → Integrations).
  sourceActivity: admin.query(({ ctx }) => webhookSourceActivity(ctx.db)),
  sendTestDelivery: admin.input(z.object({ source: z.enum(TEST_DELIVERY_SOURCES) })).mutation(({ ctx, input }) => sendTestDelivery(ctx.db, input.source)),

  // Custom sources (POST /api/webhooks/custom/<slug>): authentication, versioned JSONata mappings, live preview.
  customSources: admin.query(({ ctx }) => listCustomSources(ctx.db)),
  createCustomSource: admin
    .input(
      z.object({
        slug: z.string().trim().min(3, "At least 3 characters").max(50),
        name: z.string().trim().min(2, "At least 2 characters").max(80),
        authType: z.enum(CUSTOM_AUTH_TYPES),
        settings: z
          .object({
            header: z.string().trim().max(80).optional(),
            algorithm: z.enum(HMAC_ALGORITHMS).optional(),
            encoding: z.enum(HMAC_ENCODINGS).optional(),
            prefix: z.string().max(40).optional(),
            username: z.string().trim().max(100).optional(),
          })
          .default({}),
        secret: z.string().min(16, "At least 16 characters").max(500),
        expression: z.string().min(1, "Write a mapping").max(20_000),
      }),
    )
    .mutation(({ ctx, input }) => createCustomSource(ctx.db, actor(ctx.user), input)),
  // Rotation: add the new secret (both accepted), then retire the old one once the sender uses the new one.
  addCustomSourceSecret: admin
    .input(z.object({ sourceId: z.string().min(1), secret: z.string().min(16, "At least 16 characters").max(500) }))
    .mutation(({ ctx, input }) => addCustomSourceSecret(ctx.db, actor(ctx.user), input)),
  retireOldCustomSourceSecret: admin
    .input(z.object({ sourceId: z.string().min(1) }))
    .mutation(({ ctx, input }) => retireOldCustomSourceSecret(ctx.db, actor(ctx.user), input)),
  publishCustomMapping: admin
    .input(z.object({ sourceId: z.string().min(1), expression: z.string().min(1, "Write a mapping").max(20_000) }))
    .mutation(({ ctx, input }) => publishMappingVersion(ctx.db, actor(ctx.user), input)),
  previewCustomMapping: admin
    .input(z.object({ expression: z.string().min(1, "Write a mapping").max(20_000), sample: z.string().min(1, "Paste a sample event").max(1_000_000) }))
    .mutation(({ input }) => previewMapping(input.expression, input.sample)),
  deleteCustomSource: admin.input(z.object({ id: z.string().min(1) })).mutation(({ ctx, input }) => deleteCustomSource(ctx.db, actor(ctx.user), input.id)),

  deadLetters: admin
    .input(z.object({ status: z.enum(["dead", "failed"]).default("dead") }).default({ status: "dead" }))
    .query(({ ctx, input }) => listDeadEvents(ctx.db, { status: input.status })),
  retry: admin.input(z.object({ id: z.string().min(1) })).mutation(({ ctx, input }) => retryInboundEvent(ctx.db, actor(ctx.user), input.id)),

  // The deployment request page's ticket (any signed-in user sees requests and the keys they name).
  ticketStatus: authedProcedure
    .input(z.object({ key: z.string().regex(/^[A-Z][A-Z0-9]{1,9}-\d{1,7}$/, "Ticket keys look like PAY-123") }))
    .query(({ ctx, input }) => ticketStatus(ctx.db, input.key)),

  // The database migrations a deployed version ran (the request page and the rollback confirmation warn with them).
  migrationsFor: authedProcedure
    .input(z.object({ serviceId: z.string().min(1), environmentId: z.string().min(1), version: z.string().min(1).max(200) }))
    .query(({ ctx, input }) => migrationsFor(ctx.db, input)),

  dataQuality: admin
    .input(
      z
        .object({ days: z.number().int().min(1).max(3650).default(30), basis: z.enum(["event", "received"]).default("event") })
        .default({ days: 30, basis: "event" }),
    )
    .query(({ ctx, input }) => dataQualityReport(ctx.db, new Date(Date.now() - input.days * 86_400_000), input.basis)),
});
