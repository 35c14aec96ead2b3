// Notification routing consumes every Pier event from the transactional outbox (so a Redis flush loses nothing:
// the outbox re-dispatches, and consumeOnce keeps the routing itself exactly-once per event).
import { registerSubscriber } from "../bus/fanout";
import { systemClock } from "./clock";
import { CONFIG_CACHE_MS } from "./config-cache";
import { routeEvent, routeEvents } from "./routing";

export const NOTIFICATION_SUBSCRIBER = "notifications";

registerSubscriber({
  name: NOTIFICATION_SUBSCRIBER,
  wants: () => true,
  sql: true,
  handle: async (tx, event) => {
    await routeEvent(tx, event, systemClock.now(), { cacheMs: CONFIG_CACHE_MS });
  },
  handleMany: async (tx, events) => (await routeEvents(tx, events, systemClock.now(), { cacheMs: CONFIG_CACHE_MS })).enqueue,
});
