// The notification workers: one per channel type's queue, plus the sweeper loop (on the first one only).
import type { Job } from "bullmq";
import type { Db } from "../db";
import { CHANNEL_TYPES } from "./channels/channel-types";
import { processDelivery } from "./delivery";
import { notifyQueueName, type DeliveryJobData } from "./delivery-queue";
import { closeRateLimiter, redisRateLimiter } from "./rate-limit";
import { startNotificationSweeper } from "./sweeper";

export const NOTIFICATION_WORKERS = CHANNEL_TYPES.map((type, i) => ({
  queue: notifyQueueName(type),
  // Deliveries mostly wait on the network: many in flight per process is cheap, and the jobs in flight are claimed
  // and finished in batches (see delivery.ts), so more of them means fewer statements per delivery.
  concurrency: type === "webhook" ? 128 : 8,
  handle: (db: Db, job: Job) => processDelivery(db, (job.data as DeliveryJobData).deliveryId, { rateLimiter: redisRateLimiter }),
  start:
    i === 0
      ? (db: Db) => {
          const stop = startNotificationSweeper(db);
          return async () => {
            await stop();
            closeRateLimiter();
          };
        }
      : undefined,
}));
