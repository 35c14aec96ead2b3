import { describe, expect, it } from "vitest";
import { getDb } from "../db";
import { makeUser, sessionUser } from "../../test/support/factories";
import { as, makeWorld, requestInput } from "../../test/support/deployment-world";
import { approvalInbox } from "./inbox";

/** An owning-team world: only members of its team (not the requester) may decide its prod requests. */
async function teamWorld(requests: number) {
  const w = await makeWorld({ policies: { prod: { requiredApprovals: 2, approverRole: null, allowOwningTeam: true, allowSkipPromotion: true } } });
  const dev = await as(w.developer);
  const ids: string[] = [];
  for (let i = 0; i < requests; i++) ids.push((await dev.deployments.create(requestInput(w, "prod", `3.0.${i}`))).id);
  const [mate, mate2] = await Promise.all([makeUser("developer", [w.team.id]), makeUser("developer", [w.team.id])]);
  return { w, ids, mate, mate2 };
}

const code = (p: Promise<unknown>) =>
  p.then(
    () => "OK",
    (e: { code?: string }) => e.code,
  );

describe("approval inbox", () => {
  it("lists what each caller may decide among all pending requests, one page at a time, with both totals", { timeout: 120_000 }, async () => {
    const { w, ids, mate } = await teamWorld(5);
    const db = getDb();
    const [m, stranger, requester] = await Promise.all([sessionUser(mate.id), sessionUser(w.approver1.id), sessionUser(w.developer.id)]);

    // Concurrent callers share the view, each gets their own answer.
    const [mine, s, r] = await Promise.all([
      approvalInbox(db, m, { list: "mine", limit: 2 }),
      approvalInbox(db, stranger, { list: "mine", limit: 100 }),
      approvalInbox(db, requester, { list: "mine", limit: 100 }),
    ]);
    expect(mine.items.map((i) => i.version)).toEqual(["3.0.0", "3.0.1"]); // the oldest two of five, limit 2
    expect(mine.counts.mine).toBe(5);
    expect(mine.nextCursor).not.toBeNull();
    expect(s.items.filter((i) => ids.includes(i.id))).toEqual([]);
    expect(r.items.filter((i) => ids.includes(i.id))).toEqual([]);
    const strangerOthers = await approvalInbox(db, stranger, { list: "others", limit: 100 });
    expect(strangerOthers.items.find((i) => i.id === ids[0])?.whyNot).toMatch(/members of the owning team/);
    const requesterOthers = await approvalInbox(db, requester, { list: "others", limit: 100 });
    expect(requesterOthers.items.find((i) => i.id === ids[0])?.whyNot).toMatch(/you cannot approve it/);

    // Deciding changes the next answer at once, for the decider and for everyone else.
    await (await as(mate)).approvals.decide({ requestId: ids[0], decision: "reject", comment: "needs a migration" });
    await (await as(mate)).approvals.decide({ requestId: ids[1], decision: "approve" });
    const after = await approvalInbox(db, m, { list: "mine" });
    const othersAfter = await approvalInbox(db, m, { list: "others", limit: 100 });
    expect(after.items.map((i) => i.version)).toEqual(["3.0.2", "3.0.3", "3.0.4"]);
    expect(othersAfter.items.find((i) => i.id === ids[0])).toBeUndefined(); // rejected: gone from the inbox
    expect(othersAfter.items.find((i) => i.id === ids[1])).toMatchObject({
      canDecide: false,
      whyNot: "You already approved",
      progress: { approvals: 1, required: 2 },
    });
    expect(othersAfter.items.find((i) => i.id === ids[1])?.approvers).toEqual([{ name: mate.name, decision: "approve" }]);
    expect(after.counts).toEqual({ mine: 3, others: othersAfter.counts.others });
  });

  it("pages by cursor: requests decided between pages shift nothing, and totals follow", async () => {
    const { ids, mate, mate2 } = await teamWorld(7);
    const m = await as(mate);
    const page1 = await m.approvals.inbox({ list: "mine", limit: 3 });
    expect(page1.items.map((i) => i.id)).toEqual(ids.slice(0, 3));
    expect(page1.counts.mine).toBe(7);

    // Between pages: the last item of page 1 (the cursor's own) and the first of page 2 are rejected by a teammate,
    // and the caller approves the next one (it moves to "waiting on others").
    const other = await as(mate2);
    await other.approvals.decide({ requestId: ids[2], decision: "reject", comment: "no" });
    await other.approvals.decide({ requestId: ids[3], decision: "reject", comment: "no" });
    await m.approvals.decide({ requestId: ids[4], decision: "approve" });

    const page2 = await m.approvals.inbox({ list: "mine", limit: 3, cursor: page1.nextCursor });
    expect(page2.items.map((i) => i.id)).toEqual([ids[5], ids[6]]); // nothing repeated, nothing skipped
    expect(page2.nextCursor).toBeNull();
    expect(page2.counts.mine).toBe(4); // ids 0, 1, 5, 6
    const others = await m.approvals.inbox({ list: "others", limit: 100 });
    expect(others.items.find((i) => i.id === ids[4])).toMatchObject({ whyNot: "You already approved" });

    // Walking every page (2 at a time) lists each request the caller may decide exactly once.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof m.approvals.inbox>> = await m.approvals.inbox({ list: "mine", limit: 2, cursor });
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([ids[0], ids[1], ids[5], ids[6]]);
  });

  it("refuses a malformed cursor or page size as the caller's 400 naming the field", async () => {
    const { mate } = await teamWorld(1);
    const m = await as(mate);
    await expect(m.approvals.inbox({ list: "mine", cursor: "not-a-cursor" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(m.approvals.inbox({ list: "mine", limit: 0 })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(m.approvals.inbox({ list: "mine", limit: 101 })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    // A well-formed cursor past everything is an empty page, not an error.
    const end = await m.approvals.inbox({ list: "mine", cursor: `${Date.now() + 86400_000}_zzz` });
    expect(end).toMatchObject({ items: [], nextCursor: null });
  });

  it("shows a caller nothing they may not decide, and refuses their decision without writing", async () => {
    const { w, ids } = await teamWorld(2);
    expect(await code((await as(null)).approvals.inbox())).toBe("UNAUTHORIZED");
    for (const user of [w.outsider, w.developer, w.approver1]) {
      const c = await as(user);
      const mine = await c.approvals.inbox({ list: "mine", limit: 100 });
      expect(mine.items.filter((i) => ids.includes(i.id))).toEqual([]);
      expect(mine.items.every((i) => i.canDecide && i.whyNot === null)).toBe(true);
      const others = await c.approvals.inbox({ list: "others", limit: 100 });
      for (const id of ids) expect(others.items.find((i) => i.id === id)).toMatchObject({ canDecide: false });
      expect(await code(c.approvals.decide({ requestId: ids[0], decision: "approve" }))).toBe("FORBIDDEN");
    }
    expect(await getDb().approval.count({ where: { requestId: { in: ids } } })).toBe(0);
  });
});
