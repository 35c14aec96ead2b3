import type { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import type { ZodError } from "zod";
import { getDb } from "../db";
import { zodFieldErrors } from "../trpc";
import { loadSignedInUser } from "./sessions";
import { resolveExternalSignIn } from "./sign-in";
import { callerFor, callerWithRole, makeTeam, makeUser, uid } from "../../test/support/factories";

/** An account made by an OIDC sign-in whose provider did not verify the e-mail it claimed. */
async function unverifiedAccount(claimedEmail: string) {
  const subject = `sub-${uid()}`;
  const result = await resolveExternalSignIn(getDb(), { provider: "oidc", subject, email: claimedEmail, emailVerified: false, name: "Claimant" });
  if (!result.ok) throw new Error("sign-in refused");
  return { id: result.account.id, subject };
}

describe("account administration", () => {
  it("an admin merges an unverified sign-in's account into the right user: later sign-ins are that user, audited", async () => {
    const team = await makeTeam();
    const real = await makeUser("approver", [team.id]);
    const orphan = await unverifiedAccount(real.email);
    const { caller: admin, user: adminUser } = await callerWithRole("admin");

    const listed = (await admin.identity.listUsers()).find((u) => u.id === orphan.id);
    expect(listed).toMatchObject({ role: "developer", disabledAt: null, externalAccounts: [{ provider: "oidc", email: real.email, emailVerified: false }] });

    expect(await admin.identity.mergeAccount({ fromUserId: orphan.id, intoUserId: real.id })).toEqual({ mergedInto: real.id, identities: 1 });

    const again = await resolveExternalSignIn(getDb(), {
      provider: "oidc",
      subject: orphan.subject,
      email: real.email,
      emailVerified: false,
      name: "Claimant",
    });
    expect(again).toMatchObject({ ok: true, account: { id: real.id }, linked: "known" });
    const merged = await getDb().user.findUniqueOrThrow({ where: { id: orphan.id } });
    expect(merged.disabledAt).not.toBeNull();
    expect(await loadSignedInUser(getDb(), { userId: orphan.id, sessionVersion: merged.sessionVersion })).toBeNull();
    const audit = await getDb().auditEvent.findMany({ where: { action: "user.merged", subjectId: orphan.id } });
    expect(audit).toEqual([expect.objectContaining({ actorId: adminUser.id })]);
    expect(await getDb().auditEvent.count({ where: { action: "user.account_linked", subjectId: real.id } })).toBe(1);

    // Merging it again, or an account that never signed in through a provider, is refused with the field named.
    await expect(admin.identity.mergeAccount({ fromUserId: orphan.id, intoUserId: real.id })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    const plain = await makeUser();
    await expect(admin.identity.mergeAccount({ fromUserId: plain.id, intoUserId: real.id })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: "Only accounts created by a GitHub or single sign-on sign-in can be merged",
    });
    await expect(admin.identity.mergeAccount({ fromUserId: plain.id, intoUserId: plain.id })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(admin.identity.mergeAccount({ fromUserId: adminUser.id, intoUserId: real.id })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(admin.identity.mergeAccount({ fromUserId: "nope", intoUserId: real.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(admin.identity.mergeAccount({ fromUserId: "", intoUserId: real.id })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("an admin disables and enables an account (audited); never their own", async () => {
    const { caller: admin, user: adminUser } = await callerWithRole("admin");
    const dev = await makeUser();
    await admin.identity.setDisabled({ userId: dev.id, disabled: true });
    expect(await loadSignedInUser(getDb(), { userId: dev.id, sessionVersion: 1 })).toBeNull();
    await admin.identity.setDisabled({ userId: dev.id, disabled: false });
    expect(await loadSignedInUser(getDb(), { userId: dev.id, sessionVersion: 2 })).toMatchObject({ id: dev.id });
    expect(await getDb().auditEvent.count({ where: { subjectId: dev.id, action: { in: ["user.disabled", "user.enabled"] } } })).toBe(2);
    await expect(admin.identity.setDisabled({ userId: adminUser.id, disabled: true })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(admin.identity.setDisabled({ userId: "nope", disabled: true })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("session lookups made at once share statements yet each gets its own answer: current, stale version, disabled, unknown", async () => {
    const team = await makeTeam();
    const [a, b, off] = await Promise.all([makeUser("approver", [team.id]), makeUser(), makeUser()]);
    await getDb().user.update({ where: { id: off.id }, data: { disabledAt: new Date() } });
    const asks = [
      { userId: a.id, sessionVersion: a.sessionVersion },
      { userId: a.id, sessionVersion: a.sessionVersion + 1 },
      { userId: b.id, sessionVersion: b.sessionVersion },
      { userId: off.id, sessionVersion: off.sessionVersion },
      { userId: "nobody", sessionVersion: 1 },
      { userId: b.id, sessionVersion: b.sessionVersion },
    ];
    // Many at once, so most go in batches with others.
    const answers = await Promise.all(Array.from({ length: 20 }, () => asks.map((c) => loadSignedInUser(getDb(), c))).flat());
    for (let i = 0; i < answers.length; i += asks.length) {
      const [current, stale, other, disabled, unknown, otherAgain] = answers.slice(i, i + asks.length);
      expect(current).toMatchObject({ id: a.id, role: "approver", teamIds: [team.id] });
      expect(stale).toBeNull();
      expect(other).toMatchObject({ id: b.id, role: "developer", teamIds: [] });
      expect(disabled).toBeNull();
      expect(unknown).toBeNull();
      expect(otherAgain).toEqual(other);
      expect(otherAgain).not.toBe(other); // each caller's own copy
    }
  });

  it("only admins may disable or merge accounts", async () => {
    const target = await makeUser();
    const orphan = await unverifiedAccount(`someone-${uid()}@example.com`);
    const anonymous = await callerFor(null);
    await expect(anonymous.identity.setDisabled({ userId: target.id, disabled: true })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(anonymous.identity.mergeAccount({ fromUserId: orphan.id, intoUserId: target.id })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    for (const role of ["developer", "approver"] as const) {
      const { caller } = await callerWithRole(role);
      await expect(caller.identity.setDisabled({ userId: target.id, disabled: true })).rejects.toMatchObject({ code: "FORBIDDEN" });
      await expect(caller.identity.mergeAccount({ fromUserId: orphan.id, intoUserId: target.id })).rejects.toMatchObject({ code: "FORBIDDEN" });
    }
    expect(await getDb().user.findUniqueOrThrow({ where: { id: target.id } })).toMatchObject({ disabledAt: null, sessionVersion: 0 });
    expect(await getDb().externalAccount.count({ where: { userId: orphan.id } })).toBe(1);
  });
});

describe("display time zone", () => {
  it("a user sets their own time zone (audited), the session carries it, and null goes back to the browser's", async () => {
    const { caller, user } = await callerWithRole("developer");
    expect((await caller.identity.session())?.timeZone).toBeNull();
    expect(await caller.identity.setTimeZone({ timeZone: "Europe/Berlin" })).toEqual({ id: user.id, timeZone: "Europe/Berlin" });
    const row = await getDb().user.findUniqueOrThrow({ where: { id: user.id } });
    // Not a security change: the session goes on (no new session version), and the next request sees the zone.
    expect(row).toMatchObject({ timeZone: "Europe/Berlin", sessionVersion: 0 });
    expect(await loadSignedInUser(getDb(), { userId: user.id, sessionVersion: 0 })).toMatchObject({ timeZone: "Europe/Berlin" });
    const audit = await getDb().auditEvent.findMany({ where: { action: "user.time_zone_changed", subjectId: user.id } });
    expect(audit).toEqual([
      expect.objectContaining({ actorId: user.id, before: { id: user.id, timeZone: null }, after: { id: user.id, timeZone: "Europe/Berlin" } }),
    ]);

    // The same zone again changes nothing and audits nothing; null clears it.
    await caller.identity.setTimeZone({ timeZone: "Europe/Berlin" });
    await caller.identity.setTimeZone({ timeZone: null });
    expect((await getDb().user.findUniqueOrThrow({ where: { id: user.id } })).timeZone).toBeNull();
    expect(await getDb().auditEvent.count({ where: { action: "user.time_zone_changed", subjectId: user.id } })).toBe(2);
  });

  it("refuses a zone that is not an IANA name with 400 naming the field, writing nothing", async () => {
    const { caller, user } = await callerWithRole("admin");
    for (const timeZone of ["Mars/Olympus", "", "CET; DROP TABLE", "x".repeat(65)]) {
      await expect(caller.identity.setTimeZone({ timeZone })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    }
    const err = (await caller.identity.setTimeZone({ timeZone: "Mars/Olympus" }).catch((e: unknown) => e)) as TRPCError;
    expect(zodFieldErrors(err.cause as ZodError)).toEqual({ timeZone: ["Unknown time zone: pick an IANA name like Europe/Paris"] });
    expect((await getDb().user.findUniqueOrThrow({ where: { id: user.id } })).timeZone).toBeNull();
    expect(await getDb().auditEvent.count({ where: { action: "user.time_zone_changed", subjectId: user.id } })).toBe(0);
  });

  it("only a signed-in user may set one, and only their own", async () => {
    const anonymous = await callerFor(null);
    await expect(anonymous.identity.setTimeZone({ timeZone: "UTC" })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    // The input has no user id: an admin setting a zone changes the admin's own, never someone else's.
    const other = await makeUser();
    const { caller: admin, user: adminUser } = await callerWithRole("admin");
    await admin.identity.setTimeZone({ timeZone: "Asia/Tokyo" });
    expect((await getDb().user.findUniqueOrThrow({ where: { id: other.id } })).timeZone).toBeNull();
    expect((await getDb().user.findUniqueOrThrow({ where: { id: adminUser.id } })).timeZone).toBe("Asia/Tokyo");
  });
});
