import { describe, expect, it } from "vitest";
import { getDb } from "../db";
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
