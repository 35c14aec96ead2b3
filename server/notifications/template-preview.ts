// Template preview for the editor: the template (or the built-in default) rendered over a sample event for sample
// recipients, and the payload a channel of that type would send. Nothing is looked up or sent.
import { z } from "zod";
import { CHANNEL_CONFIG, CHANNEL_TYPES } from "./channels/channel-types";
import { previewForChannel } from "./channels/send";
import { composeMessage } from "./message";
import { templateInputSchema } from "./route-admin";
import { assertValidTemplate, defaultTemplate, sampleEvent } from "./templates";

/** A template being edited; without a body, the built-in default for the event type. */
export const templatePreviewSchema = templateInputSchema.partial({ body: true });

/** Sample recipients for previews: shows how role recipients render without looking anyone up. */
const SAMPLE_RECIPIENTS = {
  oncall: { name: "Payments on-call", url: "https://pagerduty.example.com/schedules/P123" },
  users: [
    { id: "u1", name: "Avery Approver", email: "avery@example.com", roles: ["eligible_approvers"] },
    { id: "u2", name: "Dana Developer", email: "dana@example.com", roles: ["requester"] },
  ],
};

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

export function previewTemplate(input: z.output<typeof templatePreviewSchema>) {
  const template = input.body === undefined ? defaultTemplate(input.eventType) : { title: input.title ?? "", body: input.body };
  assertValidTemplate(template);
  const event = sampleEvent(input.eventType);
  const message = composeMessage(template, input.channelType, event, SAMPLE_RECIPIENTS, {
    deliveryId: "preview",
    idempotencyKey: "preview",
    threadKey: "preview",
  });
  const sample = SAMPLE_SECRETS[input.channelType];
  const settings = CHANNEL_CONFIG[input.channelType].settings.parse(sample.settings) as Record<string, unknown>;
  const payload = previewForChannel(
    { id: "preview", type: input.channelType, ...sample, settings },
    message,
    SAMPLE_RECIPIENTS.users.map((u) => u.email),
  );
  return { source: template, title: message.title, text: message.text, payload, event };
}
