// The workers' loop that keeps registered locations up to date: every LOOP_MS, under a lease (one run at a time
// across worker processes), the locations not read for REFRESH_AFTER_MS are read, oldest first, a few per run.
import type { Db } from "../../db";
import { logger } from "../../logger";
import { startPeriodic } from "../../platform/periodic";
import { dueLocationIds } from "./location-store";
import { refreshLocation } from "./refresh";

const LOOP_MS = 60_000;
/** How stale a location may get (Backstage refreshes every couple of minutes; an unchanged file costs one 304). */
const REFRESH_AFTER_MS = 5 * 60_000;
const PER_RUN = 20;

/** One run: reads the due locations; returns how many were read. */
export async function refreshDueLocations(db: Db, now = new Date()): Promise<number> {
  const ids = await dueLocationIds(db.kysely, new Date(now.getTime() - REFRESH_AFTER_MS), PER_RUN);
  for (const id of ids) {
    const r = await refreshLocation(db, id);
    if (r.status === "error") logger.warn({ locationId: id, message: r.message }, "catalog location read failed");
  }
  return ids.length;
}

export function startLocationRefresh(db: Db) {
  return startPeriodic("catalog-locations", LOOP_MS, () => refreshDueLocations(db), { lease: db });
}
