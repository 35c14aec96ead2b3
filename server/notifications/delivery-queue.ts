// Delivery jobs: one BullMQ queue per channel type (a slow vendor cannot hold up the others). First attempts routed
// together travel as one job per batch (up to DELIVERY_BATCH deliveries of one channel type): at hundreds of
// deliveries a second, BullMQ's per-job Redis work costs more than the sends. Retries, rate-limit deferrals and the
// sweeper's re-enqueues are one job per delivery, id = delivery id (and "-r<attempt>" for retries), so re-enqueueing
// a delivery whose job is still queued is a no-op. The row in Postgres decides whether anything is sent (claim in
// delivery.ts), so a delivery listed in two jobs is still sent once.
import type { JobsOptions } from "bullmq";
import type { ChannelType } from "@/generated/prisma/enums";
import { logger } from "../logger";
import { addReplacingFinished, getReadyQueue } from "../platform/queues";

export const notifyQueueName = (type: ChannelType) => `pier-notify-${type}`;

/** A job names one delivery (`deliveryId`) or a batch of them (`deliveryIds`). */
export type DeliveryJobData = { deliveryId: string } | { deliveryIds: string[] };

export const deliveryIdsOf = (data: DeliveryJobData) => ("deliveryIds" in data ? data.deliveryIds : [data.deliveryId]);

const DELIVERY_BATCH = 50;
export type DeliveryJobRef = {
  id: string;
  channelType: ChannelType;
  attempts: number;
  delayMs?: number;
  /** Distinguishes a re-enqueue made while this delivery's current job is still active (rate-limit deferral). */
  suffix?: string;
};

const jobIdFor = (id: string, attempts: number) => (attempts === 0 ? id : `${id}-r${attempts}`);

// State lives in Postgres; finished jobs are dropped so the sweeper can re-add a lost one by id.
const JOB_OPTIONS: JobsOptions = { removeOnComplete: true, removeOnFail: { age: 24 * 3600 } };

/**
 * Best effort: when Redis is unreachable the rows stay pending in Postgres and the sweeper enqueues them later,
 * so a failure here never fails the caller's transaction. `replaceFinished` (the sweeper's re-enqueues): a failed
 * job of the same id — its handler threw while the database was away — is replaced, not silently kept.
 */
export async function enqueueDeliveries(refs: DeliveryJobRef[], opts: { replaceFinished?: boolean } = {}): Promise<boolean> {
  if (refs.length === 0) return true;
  try {
    const byType = new Map<ChannelType, DeliveryJobRef[]>();
    for (const r of refs) byType.set(r.channelType, [...(byType.get(r.channelType) ?? []), r]);
    for (const [type, list] of byType) {
      const queue = await getReadyQueue(notifyQueueName(type), 500);
      const first = list.filter((r) => r.attempts === 0 && !r.delayMs && !r.suffix);
      const single = list.filter((r) => !first.includes(r));
      const batches: { name: string; data: DeliveryJobData; opts: JobsOptions }[] = [];
      for (let i = 0; i < first.length; i += DELIVERY_BATCH) {
        const ids = first.slice(i, i + DELIVERY_BATCH).map((r) => r.id);
        batches.push({
          name: "deliver",
          data: ids.length === 1 ? { deliveryId: ids[0] } : { deliveryIds: ids },
          opts: { ...JOB_OPTIONS, jobId: ids.length === 1 ? ids[0] : `b-${ids[0]}-${ids.length}` },
        });
      }
      const jobs = [
        ...batches,
        ...single.map((r) => ({
          name: "deliver",
          data: { deliveryId: r.id } satisfies DeliveryJobData,
          opts: {
            ...JOB_OPTIONS,
            jobId: r.suffix ? `${jobIdFor(r.id, r.attempts)}-${r.suffix}` : jobIdFor(r.id, r.attempts),
            delay: r.delayMs && r.delayMs > 0 ? r.delayMs : undefined,
          },
        })),
      ];
      if (opts.replaceFinished) await addReplacingFinished(queue, jobs);
      else await queue.addBulk(jobs);
    }
    return true;
  } catch (err) {
    logger.warn({ err: err instanceof Error ? err.message : String(err), count: refs.length }, "delivery enqueue failed; the sweeper will retry");
    return false;
  }
}
