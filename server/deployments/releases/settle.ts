// Drives one release to its end in this process, as the workers would: runs its members' queued requests (and
// their rollbacks), taking their jobs out of the outbox first as the dispatcher does, and advances the release as
// its subscriber would. For the seed (a demo release with real history); the worker process never calls it.
import { sql, transaction, type Db } from "../../db";
import { markOutboxProcessed } from "../../bus/outbox";
import { runDeployment, type RunOptions } from "../execution";
import { EXECUTE_JOB } from "../scheduling";
import { advanceReleasesOf } from "./subscriber";

export async function settleRelease(db: Db, releaseId: string, opts: RunOptions & { maxRounds?: number } = {}) {
  for (let round = 0; round < (opts.maxRounds ?? 50); round++) {
    const r = await db.kysely.selectFrom("Release").select("status").where("id", "=", releaseId).executeTakeFirst();
    if (!r || (r.status !== "rolling_out" && r.status !== "rolling_back")) return r?.status ?? null;
    const memberIds = (await db.kysely.selectFrom("ReleaseMember").select("requestId").where("releaseId", "=", releaseId).execute()).map((m) => m.requestId);
    const queued = await db.kysely
      .selectFrom("DeploymentRequest")
      .select("id")
      .where("status", "=", "queued")
      .where((eb) => eb.or([eb("id", "in", memberIds), eb("rollbackOfId", "in", memberIds)]))
      .execute();
    const ids = queued.map((q) => q.id);
    if (ids.length) {
      const jobs = await db.kysely
        .selectFrom("OutboxEvent")
        .select("id")
        .where("type", "=", EXECUTE_JOB)
        .where("processedAt", "is", null)
        .where(sql<string>`payload->>'requestId'`, "in", ids)
        .execute();
      await markOutboxProcessed(
        db.kysely,
        jobs.map((j) => j.id),
      );
      for (const id of ids) await runDeployment(db, id, opts);
    }
    await transaction(db, (tx) => advanceReleasesOf(tx, memberIds));
    if (!ids.length) {
      const after = await db.kysely.selectFrom("Release").select("status").where("id", "=", releaseId).executeTakeFirst();
      if (after?.status === r.status) return "unsettled";
    }
  }
  return "unsettled";
}
