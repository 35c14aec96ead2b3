import { afterEach, describe, expect, it } from "vitest";
import { authConfig, authorizeDemoUser, jwtCallback, signInOptions } from "./auth";
import { getDb } from "./db";
import { resetEnvForTests } from "./env";
import { makeUser } from "../test/support/factories";

const saved = { ...process.env };
afterEach(() => {
  for (const k of ["PIER_DEMO_LOGIN", "AUTH_GITHUB_ID", "AUTH_GITHUB_SECRET", "OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"]) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  resetEnvForTests();
});

describe("auth", () => {
  it("offers demo sign-in only while enabled, and only for demo accounts", async () => {
    const demo = await getDb().user.create({ data: { email: "demo-x@pier.example", name: "Demo X", provider: "demo" } });
    const github = await makeUser("admin"); // provider defaults to "demo" in the schema: make it a GitHub account
    await getDb().user.update({ where: { id: github.id }, data: { provider: "github" } });

    expect(await authorizeDemoUser({ userId: demo.id })).toMatchObject({ id: demo.id, name: "Demo X" });
    expect(await authorizeDemoUser({ userId: github.id })).toBeNull();
    expect(await authorizeDemoUser({ userId: "" })).toBeNull();
    expect(await authorizeDemoUser({})).toBeNull();

    process.env.PIER_DEMO_LOGIN = "false";
    resetEnvForTests();
    expect(await authorizeDemoUser({ userId: demo.id })).toBeNull();
    expect(authConfig().providers.map((p) => (typeof p === "function" ? "fn" : p.id))).toEqual([]);
    expect(signInOptions()).toEqual({ demo: false, github: false, oidc: null });
  });

  it("enables GitHub and OIDC providers from their variables", () => {
    Object.assign(process.env, {
      AUTH_GITHUB_ID: "gh-id",
      AUTH_GITHUB_SECRET: "gh-secret",
      OIDC_ISSUER: "https://id.example.com",
      OIDC_CLIENT_ID: "c",
      OIDC_CLIENT_SECRET: "s",
    });
    resetEnvForTests();
    // next-auth merges a provider's `options` (our id) over its defaults when it initialises.
    const ids = authConfig().providers.map((p) => {
      const cfg = (typeof p === "function" ? p() : p) as { id: string; options?: { id?: string } };
      return cfg.options?.id ?? cfg.id;
    });
    expect(ids).toEqual(["demo", "github", "oidc"]);
    expect(signInOptions()).toEqual({ demo: true, github: true, oidc: "Single sign-on" });
  });

  it("pins the Pier user id into the token; a first GitHub sign-in creates a developer account", async () => {
    const token = await jwtCallback({ token: {}, user: { id: "demo-1" }, account: { provider: "demo" } });
    expect(token.uid).toBe("demo-1");

    const t2 = await jwtCallback({ token: {}, user: { id: "gh-123", email: "New.Person@Example.com", name: "New Person" }, account: { provider: "github" } });
    const created = await getDb().user.findUniqueOrThrow({ where: { email: "new.person@example.com" } });
    expect(t2.uid).toBe(created.id);
    expect(created).toMatchObject({ role: "developer", provider: "github", name: "New Person" });

    // Later sign-ins keep the id and the role an admin gave.
    await getDb().user.update({ where: { id: created.id }, data: { role: "approver" } });
    const t3 = await jwtCallback({ token: {}, user: { email: "new.person@example.com", name: "N. Person" }, account: { provider: "github" } });
    expect(t3.uid).toBe(created.id);
    expect((await getDb().user.findUniqueOrThrow({ where: { id: created.id } })).role).toBe("approver");

    // Token refreshes (no user/account) leave it alone.
    expect(await jwtCallback({ token: { uid: "x" } })).toEqual({ uid: "x" });
  });
});
