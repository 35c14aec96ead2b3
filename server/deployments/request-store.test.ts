import { describe, expect, it } from "vitest";
import { getDb, transaction } from "../db";
import { as, forceStatus, makeWorld, requestInput } from "../../test/support/deployment-world";
import { deferRequestChange, recordApproval, recordRunReport, TRANSITIONED } from "./request-store";

async function pendingRequest() {
  const w = await makeWorld({ policies: { dev: { requiredApprovals: 2 } } });
  const { id } = await (await as(w.developer)).deployments.create(requestInput(w, "dev", "1.1.0"));
  return { w, id };
}

const load = (id: string) => getDb().deploymentRequest.findUniqueOrThrow({ where: { id } });

describe("request store", () => {
  it("folds a transaction's deferred changes of a row into one write with COMMIT, and none when it rolls back", async () => {
    const { w, id } = await pendingRequest();
    const db = getDb();
    const before = await load(id);
    const row = await db.kysely.selectFrom("DeploymentRequest").select(TRANSITIONED).where("id", "=", id).executeTakeFirstOrThrow();
    const finishedAt = new Date("2026-12-01T10:00:00.000Z");
    const seen = await transaction(db, async (tx) => {
      const first = deferRequestChange(tx, row, { set: { status: "approved" }, revision: 1, attempt: 0, approvers: [] });
      const second = deferRequestChange(tx, first, { set: { finishedAt }, revision: 1, attempt: 1, approvers: [] });
      recordApproval(tx, second, w.approver1.id, { bumpRevision: false });
      recordApproval(tx, second, w.approver2.id, { bumpRevision: true });
      // Nothing is written before COMMIT; the returned row is the row as the changes leave it.
      expect((await tx.selectFrom("DeploymentRequest").select("revision").where("id", "=", id).executeTakeFirstOrThrow()).revision).toBe(before.revision);
      return second;
    });
    expect(seen).toMatchObject({ status: "approved", finishedAt, revision: before.revision + 2, attempt: before.attempt + 1 });
    const after = await load(id);
    expect(after).toMatchObject({
      status: "approved",
      finishedAt,
      revision: before.revision + 3,
      attempt: before.attempt + 1,
      approvedBy: [w.approver1.id, w.approver2.id],
    });
    expect(after.updatedAt.getTime()).toBeGreaterThanOrEqual(before.updatedAt.getTime());

    await expect(
      transaction(db, async (tx) => {
        deferRequestChange(tx, { ...row, revision: after.revision }, { set: { status: "cancelled" }, revision: 1, attempt: 0, approvers: [] });
        throw new Error("rolled back");
      }),
    ).rejects.toThrow("rolled back");
    expect(await load(id)).toMatchObject({ status: "approved", revision: after.revision });
  });

  it("records run reports only for the given attempt, and only while deploying unless told otherwise", async () => {
    const { id } = await pendingRequest();
    const db = getDb();
    await forceStatus(id, "deploying");
    expect(await recordRunReport(db, id, { attempt: 7, whileDeploying: true, progress: 50 })).toBe(false);
    expect(await recordRunReport(db, id, { attempt: 0, whileDeploying: true, progress: 50, externalRunId: "run-1" })).toBe(true);
    expect(await load(id)).toMatchObject({ progress: 50, externalRunId: "run-1" });
    await forceStatus(id, "succeeded");
    expect(await recordRunReport(db, id, { whileDeploying: true, progress: 60 })).toBe(false);
    expect(await recordRunReport(db, id, { attempt: 0, whileDeploying: false, externalRunId: "run-2" })).toBe(true);
    expect(await load(id)).toMatchObject({ progress: 50, externalRunId: "run-2" });
    expect((await load(id)).heartbeatAt).not.toBeNull();
  });
});
