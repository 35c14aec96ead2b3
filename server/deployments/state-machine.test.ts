import { describe, expect, it } from "vitest";
import type { DeploymentStatus } from "@/generated/prisma/enums";
import { getDb, transaction } from "../db";
import { systemActor, verifyAuditChain } from "../audit/audit-log";
import { makeUser } from "../../test/support/factories";
import { as, forceStatus, makeWorld, requestInput } from "../../test/support/deployment-world";
import { DEPLOYMENT_STATUSES, isLegalTransition, transition, TRANSITIONS } from "./state-machine";

describe("deployment state machine", () => {
  it("allows exactly the transitions in the table and refuses every other one with CONFLICT", async () => {
    const w = await makeWorld({ policies: { dev: { requiredApprovals: 1 } } });
    const { id } = await (await as(w.developer)).deployments.create(requestInput(w, "dev", "1.1.0"));
    const db = getDb();
    const outcomes: string[] = [];
    for (const from of DEPLOYMENT_STATUSES) {
      for (const to of DEPLOYMENT_STATUSES) {
        await forceStatus(id, from);
        const auditBefore = await db.auditEvent.count();
        const outboxBefore = await db.outboxEvent.count();
        try {
          await transaction(db, (tx) => transition(tx, id, [from], to, { actor: systemActor("test") }));
          outcomes.push(`${from}->${to}:ok`);
          expect((await db.deploymentRequest.findUniqueOrThrow({ where: { id } })).status).toBe(to);
          expect(await db.auditEvent.count()).toBe(auditBefore + 1);
          expect(await db.outboxEvent.count()).toBe(outboxBefore + 1);
        } catch (err) {
          expect(err).toMatchObject({ code: "CONFLICT" });
          expect((err as Error).message).toMatch(/cannot become/);
          outcomes.push(`${from}->${to}:refused`);
          expect(await db.auditEvent.count()).toBe(auditBefore);
        }
      }
    }
    const expected = DEPLOYMENT_STATUSES.flatMap((from) => DEPLOYMENT_STATUSES.map((to) => `${from}->${to}:${isLegalTransition(from, to) ? "ok" : "refused"}`));
    expect(outcomes).toEqual(expected);
    // The table itself: terminal states have no way out, and the documented happy path exists.
    expect(TRANSITIONS.rejected).toEqual([]);
    expect(TRANSITIONS.rolled_back).toEqual([]);
    const path: DeploymentStatus[] = ["draft", "pending_approval", "approved", "queued", "deploying", "succeeded", "rolled_back"];
    for (let i = 1; i < path.length; i++) expect(isLegalTransition(path[i - 1], path[i])).toBe(true);
    expect((await verifyAuditChain(db)).ok).toBe(true);
  });

  it("refuses a move when the caller expected a different current state or revision", async () => {
    const w = await makeWorld({ policies: { dev: { requiredApprovals: 1 } } });
    const { id } = await (await as(w.developer)).deployments.create(requestInput(w, "dev", "1.1.0"));
    const db = getDb();
    await expect(transaction(db, (tx) => transition(tx, id, ["approved"], "queued", { actor: systemActor("t") }))).rejects.toMatchObject({
      code: "CONFLICT",
      message: "This request is waiting for approval and cannot become queued",
    });
    await expect(
      transaction(db, (tx) => transition(tx, id, ["pending_approval"], "cancelled", { actor: systemActor("t"), expectedRevision: 99 })),
    ).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(transaction(db, (tx) => transition(tx, "missing", ["draft"], "cancelled", { actor: systemActor("t") }))).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });

  it("50 concurrent approve/reject calls on one request produce exactly one outcome", async () => {
    const w = await makeWorld({ policies: { prod: { requiredApprovals: 2, allowSkipPromotion: true } } });
    const { id } = await (await as(w.developer)).deployments.create(requestInput(w, "prod", "1.1.0"));
    const approvers = await Promise.all(Array.from({ length: 50 }, () => makeUser("approver")));
    const callers = await Promise.all(approvers.map((a) => as(a)));
    const results = await Promise.allSettled(
      callers.map((c, i) => c.approvals.decide({ requestId: id, decision: i % 3 === 0 ? "reject" : "approve", comment: `decision ${i}` })),
    );
    const db = getDb();
    const request = await db.deploymentRequest.findUniqueOrThrow({ where: { id }, include: { approvals: true } });
    const fulfilled = results.filter((r) => r.status === "fulfilled");
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    // Every loser got a clear conflict, not a 500.
    for (const r of rejected) expect(r.reason).toMatchObject({ code: "CONFLICT" });
    expect(request.approvals).toHaveLength(fulfilled.length);
    const outcome = request.status;
    expect(["rejected", "queued"]).toContain(outcome);
    if (outcome === "rejected") {
      expect(request.approvals.filter((a) => a.decision === "reject")).toHaveLength(1);
      expect(request.approvals.at(-1)!.decision).toBe("reject");
    } else {
      expect(request.approvals.filter((a) => a.decision === "approve")).toHaveLength(2);
      expect(request.approvals.filter((a) => a.decision === "reject")).toHaveLength(0);
    }
    const finals = await db.auditEvent.count({ where: { subjectId: id, action: { in: ["deployment.rejected", "deployment.approved"] } } });
    expect(finals).toBe(1);
    expect(
      await db.outboxEvent.count({
        where: { type: { in: ["deployment.rejected", "deployment.approved"] }, payload: { path: ["subject", "deploymentRequestId"], equals: id } },
      }),
    ).toBe(1);
    expect((await verifyAuditChain(db)).ok).toBe(true);
  });
});
