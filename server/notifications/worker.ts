// The notification workers: one per channel type's queue, plus (on the first one only) the sweeper loop and the
// process's direct sends (first attempts sent by the process that routed them, direct-send.ts).
import type { Job } from "bullmq";
import type { Db } from "../db";
import { CHANNEL_TYPES } from "./channels/channel-types";
import { processDeliveries } from "./delivery";
import { deliveryIdsOf, notifyQueueName, type DeliveryJobData } from "./delivery-queue";
import { startDirectSends } from "./direct-send";
import { closeRateLimiter, redisRateLimiter } from "./rate-limit";
import { startNotificationSweeper } from "./sweeper";

export const NOTIFICATION_WORKERS = CHANNEL_TYPES.map((type, i) => ({
  queue: notifyQueueName(type),
  // Deliveries mostly wait on the network: many in flight per process is cheap, and the deliveries in flight are
  // claimed and finished in batches (see delivery.ts), so more of them means fewer statements per delivery. A job
  // may carry a batch of deliveries (delivery-queue.ts).
  concurrency: type === "webhook" ? 32 : 8,
  handle: (db: Db, job: Job) => processDeliveries(db, deliveryIdsOf(job.data as DeliveryJobData), { rateLimiter: redisRateLimiter }),
  start:
    i === 0
      ? (db: Db) => {
          const stop = startNotificationSweeper(db);
          const stopDirect = startDirectSends({ rateLimiter: redisRateLimiter });
          return async () => {
            await stop();
            await stopDirect();
            closeRateLimiter();
          };
        }
      : undefined,
}));
