import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { callerFor, callerWithRole, makeTeam, makeUser, sessionUser } from "../../test/support/factories";
import { assertCanManageService } from "./access";
import { getDb } from "../db";
import { verifyAuditChain } from "../audit/audit-log";

type Who = "anonymous" | "developer" | "approver" | "admin";
const WHO: Who[] = ["anonymous", "developer", "approver", "admin"];

async function callerAs(who: Who) {
  if (who === "anonymous") return callerFor(null);
  return (await callerWithRole(who)).caller;
}

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "OK";
  } catch (err) {
    return err instanceof TRPCError ? err.code : `unexpected: ${String(err)}`;
  }
}

describe("role guard matrix", () => {
  const expected: Record<string, Record<Who, string>> = {
    "identity.me (authed)": { anonymous: "UNAUTHORIZED", developer: "OK", approver: "OK", admin: "OK" },
    "identity.listUsers (approver)": { anonymous: "UNAUTHORIZED", developer: "FORBIDDEN", approver: "OK", admin: "OK" },
    "identity.setRole (admin)": { anonymous: "UNAUTHORIZED", developer: "FORBIDDEN", approver: "FORBIDDEN", admin: "OK" },
  };

  it.each(WHO)("%s gets exactly the allowed procedures", async (who) => {
    const target = await makeUser("developer");
    const caller = await callerAs(who);
    const got = {
      "identity.me (authed)": await outcome(caller.identity.me()),
      "identity.listUsers (approver)": await outcome(caller.identity.listUsers()),
      "identity.setRole (admin)": await outcome(caller.identity.setRole({ userId: target.id, role: "approver" })),
    };
    expect(got).toEqual(Object.fromEntries(Object.entries(expected).map(([k, v]) => [k, v[who]])));
  });

  it("session is public and null when anonymous", async () => {
    expect(await (await callerFor(null)).identity.session()).toBeNull();
  });

  it("setRole writes an audit record and validates input", async () => {
    const { caller } = await callerWithRole("admin");
    const target = await makeUser("developer");
    await caller.identity.setRole({ userId: target.id, role: "admin" });
    const audit = await getDb().auditEvent.findFirst({ where: { subjectId: target.id, action: "user.role_changed" } });
    expect(audit?.before).toMatchObject({ role: "developer" });
    expect(audit?.after).toMatchObject({ role: "admin" });
    expect((await verifyAuditChain(getDb())).ok).toBe(true);
    await expect(caller.identity.setRole({ userId: "nobody", role: "admin" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    const me = await caller.identity.session();
    await expect(caller.identity.setRole({ userId: me!.id, role: "developer" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: "You cannot change your own role",
    });
    // @ts-expect-error invalid role is refused by zod
    await expect(caller.identity.setRole({ userId: target.id, role: "god" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("me returns the user's teams from the database", async () => {
    const team = await makeTeam("Checkout");
    const user = await makeUser("developer", [team.id]);
    const me = await (await callerFor(user.id)).identity.me();
    expect(me.teams.map((t) => t.name)).toEqual(["Checkout"]);
  });

  it("team guard admits admins and members only", async () => {
    const team = await makeTeam();
    const member = await sessionUser((await makeUser("developer", [team.id])).id);
    const outsider = await sessionUser((await makeUser("approver")).id);
    const admin = await sessionUser((await makeUser("admin")).id);
    expect(() => assertCanManageService(member, team.id)).not.toThrow();
    expect(() => assertCanManageService(admin, team.id)).not.toThrow();
    expect(() => assertCanManageService(outsider, team.id)).toThrow(expect.objectContaining({ code: "FORBIDDEN" }));
  });
});

describe("field errors for forms", () => {
  it("keys zod issues by dotted path and by field name", async () => {
    const { zodFieldErrors } = await import("../trpc");
    const { z } = await import("zod");
    const parsed = z
      .object({ changes: z.object({ runbookUrl: z.url("Must be a URL"), tags: z.array(z.string().min(2, "Too short")) }) })
      .safeParse({ changes: { runbookUrl: "x", tags: ["a"] } });
    expect(parsed.success).toBe(false);
    if (!parsed.success) {
      expect(zodFieldErrors(parsed.error)).toEqual({
        "changes.runbookUrl": ["Must be a URL"],
        runbookUrl: ["Must be a URL"],
        "changes.tags.0": ["Too short"],
        tags: ["Too short"],
      });
    }
  });
});
