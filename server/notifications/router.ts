// Notifications API. Configuration, route test, test events and the delivery log are admin-only; a user's own
// preferences need only a session. Inputs are validated here; the rules live in the modules it calls.
import { z } from "zod";
import { PIER_EVENT_TYPES } from "../bus/events";
import { authedProcedure, roleProcedure, router } from "../trpc";
import { addAllowEntry, allowEntrySchema, listAllowEntries, removeAllowEntry } from "./allow-list";
import { channelInputSchema, channelUpdateSchema, createChannel, deleteChannel, listChannels, reEncryptChannelSecrets, updateChannel } from "./channel-admin";
import { CHANNEL_CONFIG, CHANNEL_TYPES } from "./channels/channel-types";
import { previewForChannel } from "./channels/send";
import { systemClock } from "./clock";
import { deliveryCounts, deliveryFilterSchema, listDeliveries, retryDelivery } from "./delivery-log";
import { composeMessage } from "./message";
import { getPreferences, preferencesInputSchema, setPreferences } from "./preferences";
import { routeInputSchema } from "./route-config";
import {
  createRoute,
  createSilence,
  deleteRoute,
  deleteTemplate,
  expireSilence,
  listRoutes,
  listSilences,
  listTemplates,
  moveRoute,
  saveTemplate,
  silenceInputSchema,
  templateInputSchema,
  updateRoute,
} from "./route-admin";
import { pastedEventSchema, testRoutes } from "./route-test";
import { assertValidTemplate, defaultTemplate, sampleEvent, TEMPLATE_VARIABLES } from "./templates";
import { buildEvent, emitTestEvent, eventSpecSchema } from "./test-events";

const admin = roleProcedure("admin");
const id = z.object({ id: z.string().min(1) });
const actorOf = (u: { id: string; name: string }) => ({ id: u.id, label: u.name });

/** Sample recipients for previews: shows how role recipients render without looking anyone up. */
const SAMPLE_RECIPIENTS = {
  oncall: { name: "Payments on-call", url: "https://pagerduty.example.com/schedules/P123" },
  users: [
    { id: "u1", name: "Avery Approver", email: "avery@example.com", roles: ["eligible_approvers"] },
    { id: "u2", name: "Dana Developer", email: "dana@example.com", roles: ["requester"] },
  ],
};

export const notificationsRouter = router({
  options: admin.query(async ({ ctx }) => ({
    eventTypes: PIER_EVENT_TYPES,
    channelTypes: CHANNEL_TYPES,
    templateVariables: TEMPLATE_VARIABLES,
    services: await ctx.db.service.findMany({ orderBy: { slug: "asc" }, select: { id: true, slug: true, name: true } }),
    environments: await ctx.db.environment.findMany({ orderBy: { rank: "asc" }, select: { name: true } }),
    teams: await ctx.db.team.findMany({ orderBy: { slug: "asc" }, select: { slug: true, name: true } }),
  })),

  listChannels: admin.query(({ ctx }) => listChannels(ctx.db)),
  createChannel: admin.input(channelInputSchema).mutation(({ ctx, input }) => createChannel(ctx.db, actorOf(ctx.user), input)),
  /** Edit in place; secret fields left empty keep their stored value (the browser only ever has them masked). */
  updateChannel: admin
    .input(channelUpdateSchema.extend({ id: z.string().min(1) }))
    .mutation(({ ctx, input: { id, ...rest } }) => updateChannel(ctx.db, actorOf(ctx.user), id, rest)),
  deleteChannel: admin.input(id).mutation(({ ctx, input }) => deleteChannel(ctx.db, actorOf(ctx.user), input.id)),
  /** After an encryption key rotation: re-seal every channel secret with the current key. */
  reEncryptSecrets: admin.mutation(({ ctx }) => reEncryptChannelSecrets(ctx.db, actorOf(ctx.user))),

  listRoutes: admin.query(({ ctx }) => listRoutes(ctx.db)),
  createRoute: admin.input(routeInputSchema).mutation(({ ctx, input }) => createRoute(ctx.db, actorOf(ctx.user), input)),
  updateRoute: admin
    .input(routeInputSchema.extend({ id: z.string().min(1) }))
    .mutation(({ ctx, input: { id, ...rest } }) => updateRoute(ctx.db, actorOf(ctx.user), id, rest)),
  deleteRoute: admin.input(id).mutation(({ ctx, input }) => deleteRoute(ctx.db, actorOf(ctx.user), input.id)),
  moveRoute: admin
    .input(z.object({ id: z.string().min(1), direction: z.enum(["up", "down"]) }))
    .mutation(({ ctx, input }) => moveRoute(ctx.db, actorOf(ctx.user), input.id, input.direction)),

  listSilences: admin.query(({ ctx }) => listSilences(ctx.db, systemClock.now())),
  createSilence: admin.input(silenceInputSchema).mutation(({ ctx, input }) => createSilence(ctx.db, actorOf(ctx.user), input)),
  expireSilence: admin.input(id).mutation(({ ctx, input }) => expireSilence(ctx.db, actorOf(ctx.user), input.id, systemClock.now())),

  listTemplates: admin.query(({ ctx }) => listTemplates(ctx.db)),
  saveTemplate: admin.input(templateInputSchema).mutation(({ ctx, input }) => saveTemplate(ctx.db, actorOf(ctx.user), input)),
  deleteTemplate: admin.input(id).mutation(({ ctx, input }) => deleteTemplate(ctx.db, actorOf(ctx.user), input.id)),
  /** Live preview: the template rendered over a sample event, and the payload a channel of that type would get. */
  previewTemplate: admin.input(templateInputSchema.partial({ body: true })).query(({ input }) => {
    const template = input.body === undefined ? defaultTemplate(input.eventType) : { title: input.title ?? "", body: input.body };
    assertValidTemplate(template);
    const event = sampleEvent(input.eventType);
    const message = composeMessage(template, input.channelType, event, SAMPLE_RECIPIENTS, { deliveryId: "preview", idempotencyKey: "preview", threadKey: "preview" });
    const sample = SAMPLE_SECRETS[input.channelType];
    const settings = CHANNEL_CONFIG[input.channelType].settings.parse(sample.settings) as Record<string, unknown>;
    const payload = previewForChannel({ id: "preview", type: input.channelType, ...sample, settings }, message, SAMPLE_RECIPIENTS.users.map((u) => u.email));
    return { source: template, title: message.title, text: message.text, payload, event };
  }),

  routeTest: admin
    .input(z.union([z.object({ spec: eventSpecSchema }), z.object({ event: pastedEventSchema })]))
    .mutation(async ({ ctx, input }) => {
      const event = "spec" in input ? await buildEvent(ctx.db, input.spec, actorOf(ctx.user)) : input.event;
      return testRoutes(ctx.db, event, systemClock.now());
    }),
  emitTestEvent: admin.input(eventSpecSchema).mutation(({ ctx, input }) => emitTestEvent(ctx.db, actorOf(ctx.user), input)),

  listDeliveries: admin.input(deliveryFilterSchema).query(({ ctx, input }) => listDeliveries(ctx.db, input)),
  deliveryCounts: admin.query(({ ctx }) => deliveryCounts(ctx.db)),
  retryDelivery: admin.input(id).mutation(({ ctx, input }) => retryDelivery(ctx.db, actorOf(ctx.user), input.id)),

  listAllowList: admin.query(({ ctx }) => listAllowEntries(ctx.db)),
  addAllowEntry: admin.input(allowEntrySchema).mutation(({ ctx, input }) => addAllowEntry(ctx.db, actorOf(ctx.user), input)),
  removeAllowEntry: admin.input(id).mutation(({ ctx, input }) => removeAllowEntry(ctx.db, actorOf(ctx.user), input.id)),

  myPreferences: authedProcedure.query(async ({ ctx }) => ({
    ...(await getPreferences(ctx.db, ctx.user.id)),
    services: await ctx.db.service.findMany({ orderBy: { name: "asc" }, select: { id: true, slug: true, name: true } }),
  })),
  setMyPreferences: authedProcedure
    .input(preferencesInputSchema)
    .mutation(({ ctx, input }) => setPreferences(ctx.db, actorOf(ctx.user), input)),
});

/** Placeholder endpoints for previews only: never called, and not secrets of any real channel. */
const SAMPLE_SECRETS: Record<(typeof CHANNEL_TYPES)[number], { secret: Record<string, unknown>; settings: Record<string, unknown> }> = {
  slack: { secret: { url: "https://hooks.slack.com/services/T000/B000/XXXX" }, settings: {} },
  teams: { secret: { url: "https://example.webhook.office.com/workflows/XXXX" }, settings: {} },
  discord: { secret: { url: "https://discord.com/api/webhooks/1/XXXX" }, settings: {} },
  google_chat: { secret: { url: "https://chat.googleapis.com/v1/spaces/AAA/messages?key=XXXX" }, settings: {} },
  webhook: { secret: { url: "https://receiver.example.com/pier", signingSecret: "preview-signing-secret", headers: {} }, settings: {} },
  pagerduty: { secret: { routingKey: "0".repeat(32) }, settings: {} },
  email: { secret: { password: "" }, settings: { host: "smtp.example.com", from: "pier@example.com", to: ["team@example.com"] } },
};
