import { describe, expect, it } from "vitest";
import { getDb } from "../db";
import { verifyAuditChain } from "../audit/audit-log";
import { makeUser } from "../../test/support/factories";
import { as, makeWorld, requestInput } from "../../test/support/deployment-world";

describe("approval decisions (group commit)", () => {
  it("100 concurrent decisions on four requests fill each approval slot once and end each request once", { timeout: 120_000 }, async () => {
    const w = await makeWorld({ policies: { prod: { requiredApprovals: 2, allowSkipPromotion: true } } });
    const dev = await as(w.developer);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await dev.deployments.create(requestInput(w, "prod", `5.0.${i}`))).id);
    const approvers = await Promise.all(Array.from({ length: 25 }, () => makeUser("approver")));
    const callers = await Promise.all(approvers.map((a) => as(a)));
    // Every approver decides on every request at once (batches hold several decisions of one request).
    const asks = callers.flatMap((c, i) =>
      ids.map((requestId, r) => ({
        requestId,
        i,
        promise: c.approvals.decide({ requestId, decision: (i + r) % 7 === 3 ? "reject" : "approve", comment: "why not" }),
      })),
    );
    const settled = await Promise.allSettled(asks.map((a) => a.promise));
    for (const s of settled) if (s.status === "rejected") expect(s.reason).toMatchObject({ code: "CONFLICT" });

    const db = getDb();
    for (const id of ids) {
      const request = await db.deploymentRequest.findUniqueOrThrow({ where: { id }, include: { approvals: true } });
      const won = asks.filter((a, n) => a.requestId === id && settled[n].status === "fulfilled").length;
      expect(request.approvals).toHaveLength(won);
      expect(["rejected", "queued"]).toContain(request.status);
      const approvals = request.approvals.filter((a) => a.decision === "approve");
      const rejections = request.approvals.filter((a) => a.decision === "reject");
      if (request.status === "queued") {
        expect(approvals).toHaveLength(2);
        expect(rejections).toHaveLength(0);
        expect(request.approvedBy).toHaveLength(2);
      } else {
        expect(rejections).toHaveLength(1);
        expect(approvals.length).toBeLessThan(2);
      }
      // No approver twice on a request.
      expect(new Set(request.approvals.map((a) => a.approverId)).size).toBe(request.approvals.length);
      const finals = await db.auditEvent.count({ where: { subjectId: id, action: { in: ["deployment.rejected", "deployment.approved"] } } });
      expect(finals).toBe(1);
      const recorded = await db.auditEvent.count({ where: { subjectId: id, action: "approval.recorded" } });
      expect(recorded).toBe(won);
    }
    expect((await verifyAuditChain(db)).ok).toBe(true);
  });

  it("answers each decision of a batch on its own: a refusal does not fail its neighbours", async () => {
    const w = await makeWorld({ policies: { prod: { requiredApprovals: 1, allowSkipPromotion: true } } });
    const { id } = await (await as(w.developer)).deployments.create(requestInput(w, "prod", "6.0.0"));
    const [alex, dana, outsider] = await Promise.all([as(w.approver1), as(w.developer), as(w.outsider)]);
    const [forbidden, noComment, approved, missing] = await Promise.allSettled([
      dana.approvals.decide({ requestId: id, decision: "approve" }),
      alex.approvals.decide({ requestId: id, decision: "reject" }),
      alex.approvals.decide({ requestId: id, decision: "approve" }),
      outsider.approvals.decide({ requestId: "no-such-request", decision: "approve" }),
    ]);
    expect(forbidden).toMatchObject({ status: "rejected", reason: { code: "FORBIDDEN" } });
    expect(noComment).toMatchObject({ status: "rejected", reason: { code: "BAD_REQUEST" } });
    expect(approved).toMatchObject({ status: "fulfilled", value: { status: "queued", approvals: 1, required: 1, heldBy: null } });
    expect(missing).toMatchObject({ status: "rejected", reason: { code: "NOT_FOUND" } });
    const request = await getDb().deploymentRequest.findUniqueOrThrow({ where: { id }, include: { approvals: true } });
    expect(request.approvals.map((a) => a.approverId)).toEqual([w.approver1.id]);
  });
});
