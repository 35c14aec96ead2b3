// The one module that writes Release and ReleaseMember rows. State changes come through state-machine.ts, which
// holds the row lock and writes the audit record and the event; this module only shapes the statements.
import type { Updateable } from "kysely";
import { newId, sql, type DB, type Selectable, type Tx } from "../../db";

export type ReleaseRow = Selectable<DB["Release"]>;
type ReleaseSet = Omit<Updateable<DB["Release"]>, "id" | "revision" | "updatedAt" | "approvedBy">;

/** Locks the release row for the rest of the transaction and returns it. */
export async function lockRelease(tx: Tx, id: string): Promise<ReleaseRow | undefined> {
  return tx.selectFrom("Release").selectAll().where("id", "=", id).forUpdate().executeTakeFirst();
}

export async function insertRelease(
  tx: Tx,
  values: { name: string; environmentId: string; onFailure: string; creatorId: string; policySnapshot: unknown; approvalsRequired: number },
  members: { requestId: string; serviceId: string; after: string[] }[],
): Promise<ReleaseRow> {
  const id = newId();
  const row = await tx
    .insertInto("Release")
    .values({ ...values, id, policySnapshot: JSON.stringify(values.policySnapshot) })
    .returningAll()
    .executeTakeFirstOrThrow();
  await tx
    .insertInto("ReleaseMember")
    .values(members.map((m, position) => ({ releaseId: id, requestId: m.requestId, serviceId: m.serviceId, after: m.after, position })))
    .execute();
  return row;
}

/** Changes the release (revision + 1); `approver` is appended to approvedBy. */
export async function changeRelease(tx: Tx, id: string, set: ReleaseSet, approver?: string): Promise<ReleaseRow> {
  return tx
    .updateTable("Release")
    .set((eb) => ({
      ...set,
      ...(approver ? { approvedBy: sql<string[]>`"approvedBy" || ${[approver]}::text[]` } : {}),
      revision: eb("revision", "+", 1),
      updatedAt: new Date(),
    }))
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirstOrThrow();
}
