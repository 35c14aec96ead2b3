// The one module that writes TargetLiveVersion and DriftStatus rows. drift.ts decides what they say; this module only
// shapes the statements (a live report older than the one kept changes nothing; a drift row is locked before it
// is judged, so concurrent reports about one target take turns).
import { type DB, type Selectable, type Tx } from "../db";

export type DriftKey = { serviceId: string; environmentId: string; target: string };
export type DriftRow = Selectable<DB["DriftStatus"]>;
export type LiveRow = Selectable<DB["TargetLiveVersion"]>;

/** Keeps the report if it is newer than the one kept; true when it was kept. Out-of-order reports lose. */
export async function upsertLiveVersion(tx: Tx, key: DriftKey, report: { version: string; observedAt: Date; source: string }) {
  const r = await tx
    .insertInto("TargetLiveVersion")
    .values({ ...key, ...report, updatedAt: new Date() })
    .onConflict((oc) =>
      oc
        .columns(["serviceId", "environmentId", "target"])
        .doUpdateSet({ version: report.version, observedAt: report.observedAt, source: report.source, updatedAt: new Date() })
        .where("TargetLiveVersion.observedAt", "<", report.observedAt),
    )
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function readLiveVersion(tx: Tx, key: DriftKey): Promise<LiveRow | undefined> {
  return tx
    .selectFrom("TargetLiveVersion")
    .selectAll()
    .where("serviceId", "=", key.serviceId)
    .where("environmentId", "=", key.environmentId)
    .where("target", "=", key.target)
    .executeTakeFirst();
}

/** The drift row of a target, created if missing, locked for the rest of the transaction. */
export async function lockDriftRow(tx: Tx, key: DriftKey): Promise<DriftRow> {
  await tx
    .insertInto("DriftStatus")
    .values(key)
    .onConflict((oc) => oc.doNothing())
    .execute();
  return tx
    .selectFrom("DriftStatus")
    .selectAll()
    .where("serviceId", "=", key.serviceId)
    .where("environmentId", "=", key.environmentId)
    .where("target", "=", key.target)
    .forUpdate()
    .executeTakeFirstOrThrow();
}

export async function writeDriftRow(
  tx: Tx,
  key: DriftKey,
  set: { desiredVersion: string | null; liveVersion: string | null; status: string; driftSince: Date | null; checkedAt: Date },
) {
  await tx
    .updateTable("DriftStatus")
    .set(set)
    .where("serviceId", "=", key.serviceId)
    .where("environmentId", "=", key.environmentId)
    .where("target", "=", key.target)
    .execute();
}
