import { describe, expect, it } from "vitest";
import { getDb } from "../db";
import { makeUser, sessionUser } from "../../test/support/factories";
import { as, makeWorld, requestInput } from "../../test/support/deployment-world";
import { approvalInbox } from "./inbox";

describe("approval inbox", () => {
  it("lists what each caller may decide among all pending requests, with totals beyond the list limit", async () => {
    const w = await makeWorld({ policies: { prod: { requiredApprovals: 2, approverRole: null, allowOwningTeam: true, allowSkipPromotion: true } } });
    const db = getDb();
    // Owning-team policy: a member of the team who did not request it may approve; others may not.
    const teammate = await makeUser("developer", [w.team.id]);
    const dev = await as(w.developer);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await dev.deployments.create(requestInput(w, "prod", `3.0.${i}`))).id);
    const [mate, stranger, requester] = await Promise.all([sessionUser(teammate.id), sessionUser(w.approver1.id), sessionUser(w.developer.id)]);

    // Concurrent callers share the view, each gets their own answer.
    const [m, s, r] = await Promise.all([approvalInbox(db, mate, 2), approvalInbox(db, stranger, 2), approvalInbox(db, requester, 2)]);
    const mine = (x: typeof m) => x.mine.filter((i) => ids.includes(i.id)).map((i) => i.version);
    expect(mine(m)).toEqual(["3.0.0", "3.0.1"]); // the oldest two of five, limit 2
    expect(m.counts.mine).toBeGreaterThanOrEqual(5);
    expect(mine(s)).toEqual([]);
    expect(s.others.find((i) => ids.includes(i.id))?.whyNot).toMatch(/members of the owning team/);
    expect(mine(r)).toEqual([]);
    expect(r.others.find((i) => ids.includes(i.id))?.whyNot).toMatch(/you cannot approve it/);

    // Deciding changes the next answer at once, for the decider and for everyone else.
    await (await as(teammate)).approvals.decide({ requestId: ids[0], decision: "reject", comment: "needs a migration" });
    await (await as(teammate)).approvals.decide({ requestId: ids[1], decision: "approve" });
    const after = await approvalInbox(db, mate, 10);
    expect(after.mine.map((i) => i.id)).not.toContain(ids[0]); // rejected: gone from the inbox
    expect(after.others.find((i) => i.id === ids[0])).toBeUndefined();
    expect(after.others.find((i) => i.id === ids[1])).toMatchObject({
      canDecide: false,
      whyNot: "You already approved",
      progress: { approvals: 1, required: 2 },
    });
    expect(after.others.find((i) => i.id === ids[1])?.approvers).toEqual([{ name: teammate.name, decision: "approve" }]);
    expect(mine(after).slice(0, 3)).toEqual(["3.0.2", "3.0.3", "3.0.4"]);
  });
});
