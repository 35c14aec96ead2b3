// Releases move on when their members' requests finish: this outbox subscriber takes the deployment events that end
// a request (or its rollback) and advances the release the request belongs to, under the release's row lock.
// Idempotent twice over: the fan-out's consumed-marker, and advanceRelease acting only on the state it reads.
// Listed in server/subscriptions.ts.
import type { Db, Tx } from "../../db";
import { isTestEvent } from "../../bus/events";
import type { DeliveredEvent } from "../../bus/fanout";
import { advanceRelease } from "./orchestrator";
import { lockRelease } from "./release-store";

export const RELEASE_SUBSCRIBER = "releases.advance";
export const RELEASE_MEMBER_EVENTS = [
  "deployment.succeeded",
  "deployment.failed",
  "deployment.rolled_back",
  "deployment.cancelled",
  "deployment.expired",
  "deployment.rejected",
] as const;

/** Advances every release one of the events' requests (or the request a rollback undoes) belongs to. */
export async function advanceReleasesOf(tx: Tx, requestIds: string[]) {
  if (!requestIds.length) return;
  const releases = await tx.selectFrom("ReleaseMember").select("releaseId").distinct().where("requestId", "in", requestIds).orderBy("releaseId").execute();
  for (const { releaseId } of releases) {
    const r = await lockRelease(tx, releaseId);
    if (r) await advanceRelease(tx, r);
  }
}

export async function advanceReleases(tx: Tx, events: DeliveredEvent<(typeof RELEASE_MEMBER_EVENTS)[number]>[], _db: Db) {
  const ids = new Set<string>();
  for (const e of events) {
    if (isTestEvent(e)) continue;
    if (typeof e.data.requestId === "string") ids.add(e.data.requestId);
    if (typeof e.data.rollbackOfId === "string") ids.add(e.data.rollbackOfId);
  }
  await advanceReleasesOf(tx, [...ids]);
}
