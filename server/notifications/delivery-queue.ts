// Delivery jobs: one BullMQ queue per channel type (a slow vendor cannot hold up the others); job id = delivery id
// (and "-r<attempt>" for retries), so re-enqueueing a delivery whose job is still queued is a no-op.
import type { ChannelType } from "@/generated/prisma/enums";
import { logger } from "../logger";
import { getReadyQueue } from "../platform/queues";

export const notifyQueueName = (type: ChannelType) => `pier-notify-${type}`;

export type DeliveryJobData = { deliveryId: string };
export type DeliveryJobRef = {
  id: string;
  channelType: ChannelType;
  attempts: number;
  delayMs?: number;
  /** Distinguishes a re-enqueue made while this delivery's current job is still active (rate-limit deferral). */
  suffix?: string;
};

export const jobIdFor = (id: string, attempts: number) => (attempts === 0 ? id : `${id}-r${attempts}`);

/**
 * Best effort: when Redis is unreachable the rows stay pending in Postgres and the sweeper enqueues them later,
 * so a failure here never fails the caller's transaction.
 */
export async function enqueueDeliveries(refs: DeliveryJobRef[]): Promise<boolean> {
  if (refs.length === 0) return true;
  try {
    const byType = new Map<ChannelType, DeliveryJobRef[]>();
    for (const r of refs) byType.set(r.channelType, [...(byType.get(r.channelType) ?? []), r]);
    for (const [type, list] of byType) {
      const queue = await getReadyQueue(notifyQueueName(type), 500);
      await queue.addBulk(
        list.map((r) => ({
          name: "deliver",
          data: { deliveryId: r.id } satisfies DeliveryJobData,
          opts: {
            jobId: r.suffix ? `${jobIdFor(r.id, r.attempts)}-${r.suffix}` : jobIdFor(r.id, r.attempts),
            delay: r.delayMs && r.delayMs > 0 ? r.delayMs : undefined,
            // State lives in Postgres; finished jobs are dropped so the sweeper can re-add a lost one by id.
            removeOnComplete: true,
            removeOnFail: { age: 24 * 3600 },
          },
        })),
      );
    }
    return true;
  } catch (err) {
    logger.warn({ err: err instanceof Error ? err.message : String(err), count: refs.length }, "delivery enqueue failed; the sweeper will retry");
    return false;
  }
}
