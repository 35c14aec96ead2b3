import { describe, expect, it } from "vitest";
import { getDb } from "../db";
import { makeTeam, makeUser, sessionUser } from "../../test/support/factories";
import { as, makeWorld, requestInput } from "../../test/support/deployment-world";
import { sweepSchedules } from "./scheduling";
import { activeFreeze, freezeStartsSoon, freezeWindowState, isInFreezeWindow, localClock, validateFreezeWindow } from "./freeze-windows";
import { approverEligibility, defaultPolicy, eligibleApproverIds, pickPolicy, type PolicySnapshot } from "./approval-policy";

const policy = (p: Partial<PolicySnapshot>): PolicySnapshot => ({ ...defaultPolicy(true), ...p });

describe("approver eligibility matrix", () => {
  const owningTeam = "team-own";
  const namedTeam = "team-sre";
  const request = { requesterId: "dana", owningTeamId: owningTeam };
  const people = {
    requesterAdmin: { id: "dana", role: "admin" as const, teamIds: [owningTeam] },
    approver: { id: "alex", role: "approver" as const, teamIds: [] },
    admin: { id: "sam", role: "admin" as const, teamIds: [] },
    ownerDev: { id: "olga", role: "developer" as const, teamIds: [owningTeam] },
    sreDev: { id: "sven", role: "developer" as const, teamIds: [namedTeam] },
    strangerDev: { id: "lee", role: "developer" as const, teamIds: ["elsewhere"] },
  };
  const cases: [string, Partial<PolicySnapshot>, Record<keyof typeof people, boolean>][] = [
    ["role approver", { approverRole: "approver" }, { requesterAdmin: false, approver: true, admin: true, ownerDev: false, sreDev: false, strangerDev: false }],
    ["role admin only", { approverRole: "admin" }, { requesterAdmin: false, approver: false, admin: true, ownerDev: false, sreDev: false, strangerDev: false }],
    [
      "owning team",
      { approverRole: null, allowOwningTeam: true },
      { requesterAdmin: false, approver: false, admin: false, ownerDev: true, sreDev: false, strangerDev: false },
    ],
    [
      "named team",
      { approverRole: null, approverTeamId: namedTeam },
      { requesterAdmin: false, approver: false, admin: false, ownerDev: false, sreDev: true, strangerDev: false },
    ],
    [
      "approver or named team",
      { approverRole: "approver", approverTeamId: namedTeam },
      { requesterAdmin: false, approver: true, admin: true, ownerDev: false, sreDev: true, strangerDev: false },
    ],
  ];
  it.each(cases)("%s", (_name, p, expected) => {
    const got = Object.fromEntries(Object.entries(people).map(([k, u]) => [k, approverEligibility(u, policy(p), request).ok]));
    expect(got).toEqual(expected);
  });

  it("explains refusals: self-approval and the wrong team", () => {
    expect(approverEligibility(people.requesterAdmin, policy({}), request)).toEqual({
      ok: false,
      reason: "You requested this deployment, so you cannot approve it",
    });
    const r = approverEligibility(people.strangerDev, policy({ name: "Prod", approverRole: null, allowOwningTeam: true }), request);
    expect(r).toEqual({ ok: false, reason: 'The policy "Prod" lets members of the owning team approve' });
  });

  it("picks the narrowest policy: service, then tier, then environment-wide", () => {
    const env = { serviceId: null, tier: null, name: "env" };
    const tier1 = { serviceId: null, tier: 1, name: "tier1" };
    const svc = { serviceId: "s1", tier: null, name: "svc" };
    expect(pickPolicy([env, tier1, svc], { id: "s1", tier: 1 })?.name).toBe("svc");
    expect(pickPolicy([env, tier1, svc], { id: "s2", tier: 1 })?.name).toBe("tier1");
    expect(pickPolicy([env, tier1, svc], { id: "s2", tier: 3 })?.name).toBe("env");
    expect(pickPolicy([], { id: "s2", tier: 3 })).toBeNull();
  });

  it("lists eligible approver ids from the database, never the requester", async () => {
    const own = await makeTeam();
    const sre = await makeTeam();
    const requester = await makeUser("approver", [own.id]);
    const approver = await makeUser("approver");
    const ownerDev = await makeUser("developer", [own.id]);
    const sreDev = await makeUser("developer", [sre.id]);
    const ids = await eligibleApproverIds(getDb().kysely, policy({ approverRole: null, allowOwningTeam: true, approverTeamId: sre.id }), {
      requesterId: requester.id,
      owningTeamId: own.id,
    });
    expect(ids.sort()).toEqual([ownerDev.id, sreDev.id].sort());
    const byRole = await eligibleApproverIds(getDb().kysely, policy({ approverRole: "approver" }), { requesterId: requester.id, owningTeamId: own.id });
    expect(byRole).toContain(approver.id);
    expect(byRole).not.toContain(requester.id);
    expect(await eligibleApproverIds(getDb().kysely, policy({ approverRole: null }), { requesterId: requester.id, owningTeamId: own.id })).toEqual([]);
  });
});

describe("N-of-M approvals, expiry and break-glass through the API", () => {
  it("needs N distinct approvals; self-approval and wrong team are refused; duplicates conflict", async () => {
    const w = await makeWorld({
      policies: { prod: { requiredApprovals: 2, approverRole: null, allowOwningTeam: false, approverTeamId: undefined, allowSkipPromotion: true } },
    });
    await getDb().approvalPolicy.updateMany({ where: { serviceId: w.service.id }, data: { approverTeamId: w.otherTeam.id } });
    const reviewerA = await makeUser("developer", [w.otherTeam.id]);
    const reviewerB = await makeUser("developer", [w.otherTeam.id]);
    const dev = await as(w.developer);
    const { id } = await dev.deployments.create(requestInput(w, "prod", "1.2.0"));
    await expect(dev.approvals.decide({ requestId: id, decision: "approve" })).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringMatching(/cannot approve/),
    });
    await expect((await as(w.approver2)).approvals.decide({ requestId: id, decision: "approve" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    const first = await (await as(reviewerA)).approvals.decide({ requestId: id, decision: "approve", comment: "lgtm" });
    expect(first).toMatchObject({ status: "pending_approval", approvals: 1, required: 2, heldBy: null });
    await expect((await as(reviewerA)).approvals.decide({ requestId: id, decision: "approve" })).rejects.toMatchObject({ code: "CONFLICT" });
    const second = await (await as(reviewerB)).approvals.decide({ requestId: id, decision: "approve" });
    expect(second).toMatchObject({ status: "queued", approvals: 2, heldBy: null });
    await expect((await as(w.approver1)).approvals.decide({ requestId: id, decision: "approve" })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringMatching(/queued/),
    });
  });

  it("rejection needs a comment and ends the request", async () => {
    const w = await makeWorld({ policies: { dev: { requiredApprovals: 2 } } });
    const { id } = await (await as(w.developer)).deployments.create(requestInput(w, "dev", "1.2.0"));
    const alex = await as(w.approver1);
    await expect(alex.approvals.decide({ requestId: id, decision: "reject" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    expect(await alex.approvals.decide({ requestId: id, decision: "reject", comment: "missing migration" })).toMatchObject({ status: "rejected" });
  });

  it("expires a request whose approval window passed: decisions refused, the sweep marks it expired", async () => {
    const w = await makeWorld({ policies: { dev: { requiredApprovals: 1, expiryMinutes: 30 } } });
    const { id } = await (await as(w.developer)).deployments.create(requestInput(w, "dev", "1.2.0"));
    const r = await getDb().deploymentRequest.findUniqueOrThrow({ where: { id } });
    expect(r.expiresAt!.getTime() - r.createdAt.getTime()).toBeGreaterThan(29 * 60_000);
    await getDb().deploymentRequest.update({ where: { id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    await expect((await as(w.approver1)).approvals.decide({ requestId: id, decision: "approve" })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringMatching(/window/),
    });
    expect((await sweepSchedules(getDb())).expired).toBeGreaterThanOrEqual(1);
    expect((await getDb().deploymentRequest.findUniqueOrThrow({ where: { id } })).status).toBe("expired");
    expect(await getDb().outboxEvent.count({ where: { type: "deployment.expired" } })).toBe(1);
  });

  it("break-glass: approvers only, reason required, skips approvals and freezes, flagged for review", async () => {
    const w = await makeWorld({ policies: { prod: { requiredApprovals: 2, allowSkipPromotion: true } } });
    await getDb().freezeWindow.create({
      data: {
        environmentId: w.envs.prod.id,
        kind: "range",
        startsAt: new Date(Date.now() - 3600_000),
        endsAt: new Date(Date.now() + 3600_000),
        reason: "Black Friday",
      },
    });
    const input = { ...requestInput(w, "prod", "1.3.0-hotfix.1"), reason: "Checkout is down for every EU customer" };
    await expect((await as(w.developer)).deployments.breakGlass(input)).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect((await as(w.approver1)).deployments.breakGlass({ ...input, reason: "urgent" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    // A normal request during the freeze is blocked, with the freeze named.
    await expect((await as(w.developer)).deployments.create(requestInput(w, "prod", "1.3.0"))).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
      message: expect.stringMatching(/Black Friday/),
    });
    const { id } = await (await as(w.approver1)).deployments.breakGlass(input);
    const r = await getDb().deploymentRequest.findUniqueOrThrow({ where: { id } });
    expect(r).toMatchObject({ status: "queued", breakGlass: true, breakGlassReason: input.reason, approvalsRequired: 0, reviewedAfterAt: null });
    expect(await getDb().outboxEvent.count({ where: { type: "deployment.break_glass" } })).toBe(1);
    await expect((await as(w.approver1)).deployments.reviewBreakGlass({ id, note: "ok" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await (await as(w.admin)).deployments.reviewBreakGlass({ id, note: "Reviewed in the incident retro" });
    await expect((await as(w.admin)).deployments.reviewBreakGlass({ id, note: "again" })).rejects.toMatchObject({ code: "CONFLICT" });
    // A policy can forbid break-glass.
    await getDb().approvalPolicy.updateMany({ where: { serviceId: w.service.id }, data: { allowBreakGlass: false } });
    await expect((await as(w.admin)).deployments.breakGlass(input)).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringMatching(/does not allow break-glass/),
    });
  });
  it("an approval that completes the policy during a freeze holds the request as approved until the freeze ends", async () => {
    const w = await makeWorld({ policies: { staging: { requiredApprovals: 1, allowSkipPromotion: true } } });
    const { id } = await (await as(w.developer)).deployments.create(requestInput(w, "staging", "1.4.0"));
    // The freeze begins after the request was made, before it is approved.
    const freeze = await getDb().freezeWindow.create({
      data: {
        environmentId: w.envs.staging.id,
        kind: "range",
        startsAt: new Date(Date.now() - 60_000),
        endsAt: new Date(Date.now() + 3600_000),
        reason: "Quarter close",
      },
    });
    // The approver is told why it does not start yet.
    expect(await (await as(w.approver1)).approvals.decide({ requestId: id, decision: "approve" })).toMatchObject({
      status: "approved",
      approvals: 1,
      heldBy: "freeze_window",
    });
    const held = await getDb().deploymentRequest.findUniqueOrThrow({ where: { id }, include: { logs: true } });
    expect(held).toMatchObject({ status: "approved", approvedBy: [w.approver1.id], revision: 2 });
    expect(held.logs.map((l) => l.message)).toEqual([expect.stringMatching(/Held by freeze window \d{4}-\d\d-\d\d \d\d:\d\d – .* UTC \(Quarter close\)/)]);
    // The form gets the range itself, to show in the user's own zone.
    const preview = await (await as(w.developer)).deployments.preview({ serviceId: w.service.id, environmentId: w.envs.staging.id, version: "1.0.1" });
    expect(preview.freezeRange).toEqual({ startsAt: freeze.startsAt, endsAt: freeze.endsAt, reason: "Quarter close" });
    await sweepSchedules(getDb()); // still frozen: no second log line, still approved
    expect(await getDb().deploymentLog.count({ where: { requestId: id } })).toBe(1);
    await getDb().freezeWindow.delete({ where: { id: freeze.id } });
    expect((await sweepSchedules(getDb())).queued).toBeGreaterThanOrEqual(1);
    expect((await getDb().deploymentRequest.findUniqueOrThrow({ where: { id } })).status).toBe("queued");
  });
});

describe("freeze windows across time zones", () => {
  const weekly = (days: number[], startTime: string, endTime: string, timeZone: string) => ({
    kind: "weekly",
    startsAt: null,
    endsAt: null,
    daysOfWeek: days,
    startTime,
    endTime,
    timeZone,
    reason: "",
  });

  it("reads the local clock of the window's time zone", () => {
    // 2026-11-27 is a Friday. 16:30 UTC = 17:30 Berlin = 08:30 Los Angeles.
    const at = new Date("2026-11-27T16:30:00Z");
    expect(localClock(at, "Europe/Berlin")).toEqual({ day: 5, minutes: 17 * 60 + 30 });
    expect(localClock(at, "America/Los_Angeles")).toEqual({ day: 5, minutes: 8 * 60 + 30 });
  });

  it("the same instant is inside a Berlin window and outside a Los Angeles one", () => {
    const at = new Date("2026-11-27T16:30:00Z");
    expect(isInFreezeWindow(weekly([5], "17:00", "23:59", "Europe/Berlin"), at)).toBe(true);
    expect(isInFreezeWindow(weekly([5], "17:00", "23:59", "America/Los_Angeles"), at)).toBe(false);
    expect(isInFreezeWindow(weekly([5], "17:00", "23:59", "Asia/Tokyo"), at)).toBe(false); // Saturday 01:30 there
  });

  it("overnight windows span midnight from their start day", () => {
    const w = weekly([5], "22:00", "06:00", "Asia/Tokyo");
    expect(isInFreezeWindow(w, new Date("2026-11-27T14:00:00Z"))).toBe(true); // Fri 23:00 Tokyo
    expect(isInFreezeWindow(w, new Date("2026-11-27T19:00:00Z"))).toBe(true); // Sat 04:00 Tokyo
    expect(isInFreezeWindow(w, new Date("2026-11-27T22:00:00Z"))).toBe(false); // Sat 07:00 Tokyo
    expect(isInFreezeWindow(w, new Date("2026-11-26T19:00:00Z"))).toBe(false); // Fri 04:00 Tokyo (Thu not listed)
  });

  it("honours daylight saving: 09:00 New York is 14:00 UTC in winter and 13:00 UTC in summer", () => {
    const w = weekly([1, 2, 3, 4, 5], "09:00", "10:00", "America/New_York");
    expect(isInFreezeWindow(w, new Date("2026-01-14T14:30:00Z"))).toBe(true);
    expect(isInFreezeWindow(w, new Date("2026-07-15T13:30:00Z"))).toBe(true);
    expect(isInFreezeWindow(w, new Date("2026-07-15T14:30:00Z"))).toBe(false);
  });

  it("ranges, the active window and the 'starts soon' check", () => {
    const range = {
      kind: "range",
      startsAt: new Date("2026-12-20T00:00:00Z"),
      endsAt: new Date("2027-01-02T00:00:00Z"),
      daysOfWeek: [],
      startTime: null,
      endTime: null,
      timeZone: "UTC",
      reason: "Holidays",
    };
    expect(activeFreeze([range], new Date("2026-12-25T12:00:00Z"))).toBe(range);
    expect(activeFreeze([range], new Date("2027-01-02T00:00:00Z"))).toBeNull();
    expect(freezeStartsSoon([range], new Date("2026-12-19T12:00:00Z"))).toBe(true);
    expect(freezeStartsSoon([range], new Date("2026-12-17T12:00:00Z"))).toBe(false);
  });

  it("validates windows with field errors", () => {
    expect(() => validateFreezeWindow({ kind: "weekly", daysOfWeek: [1], startTime: "25:00", endTime: "08:00" })).toThrow(
      expect.objectContaining({ field: "startTime" }),
    );
    expect(() => validateFreezeWindow({ kind: "weekly", daysOfWeek: [1], startTime: "18:00", endTime: "08:00", timeZone: "Mars/Olympus" })).toThrow(
      expect.objectContaining({ field: "timeZone" }),
    );
    expect(() => validateFreezeWindow({ kind: "weekly", daysOfWeek: [], startTime: "18:00", endTime: "08:00" })).toThrow(
      expect.objectContaining({ field: "daysOfWeek" }),
    );
    expect(() => validateFreezeWindow({ kind: "range", startsAt: new Date(2), endsAt: new Date(1) })).toThrow(expect.objectContaining({ field: "endsAt" }));
    expect(() => validateFreezeWindow({ kind: "weekly", daysOfWeek: [5], startTime: "18:00", endTime: "08:00", timeZone: "Europe/Berlin" })).not.toThrow();
  });

  it("says where a window stands: active, upcoming, expired (a range that is over) or recurring", () => {
    const range = { ...weekly([], "", "", "UTC"), kind: "range", startsAt: new Date("2026-12-20T00:00:00Z"), endsAt: new Date("2027-01-02T00:00:00Z") };
    expect(freezeWindowState(range, new Date("2026-12-01T00:00:00Z"))).toBe("upcoming");
    expect(freezeWindowState(range, new Date("2026-12-24T00:00:00Z"))).toBe("active");
    expect(freezeWindowState(range, new Date("2027-01-02T00:00:00Z"))).toBe("expired");
    const fridays = weekly([5], "16:00", "23:00", "Europe/Berlin");
    expect(freezeWindowState(fridays, new Date("2026-11-27T16:30:00Z"))).toBe("active"); // Fri 17:30 Berlin
    expect(freezeWindowState(fridays, new Date("2026-11-28T16:30:00Z"))).toBe("recurring");
  });

  it("the admin list marks expired windows; a range's time zone must be a real one too", async () => {
    const w = await makeWorld();
    const sam = await as(w.admin);
    const input = {
      environmentId: w.envs.dev.id,
      kind: "range" as const,
      startsAt: new Date("2026-01-01T00:00:00Z"),
      endsAt: new Date("2026-01-02T00:00:00Z"),
    };
    await expect(sam.approvals.addFreezeWindow({ ...input, timeZone: "Mars/Olympus" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      cause: { field: "timeZone" },
    });
    const past = await sam.approvals.addFreezeWindow({ ...input, timeZone: "Europe/Berlin", reason: "New year" });
    const listed = (await (await as(w.developer)).approvals.policies()).find((e) => e.id === w.envs.dev.id)!.freezeWindows.find((f) => f.id === past.id);
    expect(listed).toMatchObject({ state: "expired", timeZone: "Europe/Berlin", reason: "New year" });
    await sam.approvals.deleteFreezeWindow({ id: past.id });
  });

  it("a weekly freeze in the environment's zone blocks requests created inside it", async () => {
    const w = await makeWorld();
    const now = new Date();
    const { day } = localClock(now, "Pacific/Auckland");
    await getDb().freezeWindow.create({
      data: {
        environmentId: w.envs.dev.id,
        kind: "weekly",
        daysOfWeek: [day, (day + 6) % 7],
        startTime: "00:00",
        endTime: "23:59",
        timeZone: "Pacific/Auckland",
        reason: "Maintenance",
      },
    });
    const dev = await as(w.developer);
    await expect(dev.deployments.create(requestInput(w, "dev", "1.1.0"))).rejects.toMatchObject({ code: "PRECONDITION_FAILED" });
    const preview = await dev.deployments.preview({ serviceId: w.service.id, environmentId: w.envs.dev.id, version: "1.1.0" });
    expect(preview.freeze).toMatch(/Pacific\/Auckland/);
    expect(await sessionUser(w.developer.id)).toBeTruthy();
  });
});
