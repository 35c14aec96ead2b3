// Notification routing consumes every Pier event from the transactional outbox (so a Redis flush loses nothing:
// the outbox re-dispatches, and the consumed-markers keep the routing itself exactly-once per event). The
// subscription itself is listed in server/subscriptions.ts. In a worker process first attempts are sent by this
// process once the transaction has committed (direct-send.ts); otherwise, and past the in-flight bound, delivery jobs
// are queued then (tx.afterCommit, see routing.ts).
import type { Db, Tx } from "../db";
import type { DeliveredEvent } from "../bus/fanout";
import { systemClock } from "./clock";
import { CONFIG_CACHE_MS, listenForConfigChanges } from "./config-cache";
import { directSends } from "./direct-send";
import { routeEvents } from "./routing";

export const NOTIFICATION_SUBSCRIBER = "notifications";

/** A batch of events in the subscriber's transaction (a single event is a batch of one): their rows written together. */
export async function routeNotifications(tx: Tx, events: DeliveredEvent[], db: Db): Promise<void> {
  listenForConfigChanges(db);
  const sends = directSends();
  await routeEvents(tx, events, systemClock.now(), { cacheMs: CONFIG_CACHE_MS, direct: sends && { sends, db } });
}
