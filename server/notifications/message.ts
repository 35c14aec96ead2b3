// Builds the message a delivery sends: the template for (event type, channel type) — or the built-in default —
// rendered over the event and the recipients resolved at send time.
import type { ChannelType } from "@/generated/prisma/enums";
import type { DB, Kysely } from "../db";
import type { PierEventShape } from "../bus/events";
import type { OutgoingMessage, Recipients } from "./channels/channel-types";
import type { DeliveryPayload } from "./routing";
import { defaultTemplate, linkFor, renderTemplate, templateVariables, type TemplateText } from "./templates";

export async function templateFor(db: Kysely<DB>, eventType: string, channelType: ChannelType): Promise<TemplateText> {
  const t = await db
    .selectFrom("NotificationTemplate")
    .select(["title", "body"])
    .where("eventType", "=", eventType)
    .where("channelType", "=", channelType)
    .executeTakeFirst();
  return t ? { title: t.title, body: t.body } : defaultTemplate(eventType);
}

export function composeMessage(
  template: TemplateText,
  channelType: ChannelType,
  event: PierEventShape,
  recipients: Recipients,
  ids: { deliveryId: string; idempotencyKey: string; threadKey: string },
  extra: Pick<DeliveryPayload, "kind" | "digest"> = { kind: "notify" },
): OutgoingMessage {
  const rendered = renderTemplate(template, templateVariables(event, recipients), channelType);
  const digest = extra.digest && extra.digest.length > 1 ? extra.digest : null;
  const prefix = extra.kind === "escalation" ? "Escalation: " : "";
  return {
    ...ids,
    title: digest ? `${digest.length} notifications: ${rendered.title}` : `${prefix}${rendered.title}`,
    text: digest ? `${digest.length} events grouped together:` : rendered.body,
    url: linkFor(event),
    event,
    recipients,
    digest,
  };
}

/** The one-line title of an event, as listed in a digest. */
export function digestTitle(event: PierEventShape) {
  return renderTemplate(defaultTemplate(event.type), templateVariables(event, { oncall: null, users: [] }), "webhook").title;
}
