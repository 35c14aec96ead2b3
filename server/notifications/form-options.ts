// What the notification admin forms offer to pick from: event types, channel types, template variables, and the
// catalog's services, environments and teams (for matchers and test events).
import type { Db } from "../db";
import { PIER_EVENT_TYPES } from "../bus/events";
import { CHANNEL_TYPES } from "./channels/channel-types";
import { TEMPLATE_VARIABLES } from "./templates";

export async function notificationFormOptions(db: Db) {
  return {
    eventTypes: PIER_EVENT_TYPES,
    channelTypes: CHANNEL_TYPES,
    templateVariables: TEMPLATE_VARIABLES,
    services: await db.service.findMany({ orderBy: { slug: "asc" }, select: { id: true, slug: true, name: true } }),
    environments: await db.environment.findMany({ orderBy: { rank: "asc" }, select: { name: true } }),
    teams: await db.team.findMany({ orderBy: { slug: "asc" }, select: { slug: true, name: true } }),
  };
}
