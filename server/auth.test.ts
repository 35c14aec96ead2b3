import { encode } from "next-auth/jwt";
import { NextRequest } from "next/server";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { authConfig, authorizeDemoUser, githubUserinfo, handlers, jwtCallback, signInCallback, signInErrorMessage, signInOptions } from "./auth";
import { getDb } from "./db";
import { env, resetEnvForTests } from "./env";
import { loadSignedInUser } from "./identity/sessions";
import { closeSignInLimits } from "./identity/sign-in-limit";
import { changeRole, setDisabled } from "./identity/users";
import { FakeVendor } from "../test/support/fake-http";
import { makeTeam, makeUser, sessionUser, uid } from "../test/support/factories";

const VARS = [
  "PIER_DEMO_LOGIN",
  "AUTH_GITHUB_ID",
  "AUTH_GITHUB_SECRET",
  "OIDC_ISSUER",
  "OIDC_CLIENT_ID",
  "OIDC_CLIENT_SECRET",
  "PIER_SIGNIN_LIMIT_PER_ACCOUNT",
  "PIER_SIGNIN_LIMIT_PER_ADDRESS",
];
const saved = { ...process.env };
afterEach(() => {
  for (const k of VARS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  resetEnvForTests();
});
afterAll(() => closeSignInLimits());

type Args = Parameters<typeof signInCallback>[0];

/** A GitHub/OIDC sign-in as next-auth runs it: the signIn callback, then the jwt callback minting the token. */
async function externalSignIn(provider: "github" | "oidc", subject: string, user: Args["user"], profile: Record<string, unknown>) {
  const account = { provider, providerAccountId: subject, type: provider === "oidc" ? "oidc" : "oauth" };
  const allowed = await signInCallback({ user, account, profile });
  const token = allowed === true ? await jwtCallback({ token: {}, user, account }) : null;
  return { allowed, token };
}

const pierUser = (email: string) => getDb().user.findUniqueOrThrow({ where: { email }, include: { memberships: true, externalAccounts: true } });

/** next-auth's own route handlers, driven like a browser: a cookie jar, CSRF token, form posts. */
class Browser {
  cookies = new Map<string, string>();
  constructor(readonly address = "198.51.100.7") {}
  async send(path: string, form?: Record<string, string>) {
    const res = await (form ? handlers.POST : handlers.GET)(
      new NextRequest(`http://localhost:3000${path}`, {
        method: form ? "POST" : "GET",
        headers: {
          cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "),
          "x-forwarded-for": this.address,
          ...(form ? { "content-type": "application/x-www-form-urlencoded" } : {}),
        },
        body: form ? new URLSearchParams(form).toString() : undefined,
      }),
    );
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const [name, ...value] = pair.split("=");
      if (value.join("=") === "") this.cookies.delete(name);
      else this.cookies.set(name, value.join("="));
    }
    return res;
  }
  async csrf() {
    return ((await (await this.send("/api/auth/csrf")).json()) as { csrfToken: string }).csrfToken;
  }
  /** The session next-auth reads from this browser's cookie, as the request context does. */
  async claims() {
    const session = (await (await this.send("/api/auth/session")).json()) as { user?: { id: string }; sessionVersion?: number } | null;
    return session?.user && typeof session.sessionVersion === "number" ? { userId: session.user.id, sessionVersion: session.sessionVersion } : null;
  }
}

describe("auth", () => {
  it("offers demo sign-in only while enabled, and only for demo accounts", async () => {
    const demo = await getDb().user.create({ data: { email: "demo-x@pier.example", name: "Demo X", provider: "demo" } });
    const github = await makeUser("admin"); // provider defaults to "demo" in the schema: make it a GitHub account
    await getDb().user.update({ where: { id: github.id }, data: { provider: "github" } });

    expect(await authorizeDemoUser({ userId: demo.id })).toMatchObject({ id: demo.id, name: "Demo X", pier: { id: demo.id, sessionVersion: 0 } });
    expect(await authorizeDemoUser({ userId: github.id })).toBeNull();
    expect(await authorizeDemoUser({ userId: "" })).toBeNull();
    expect(await authorizeDemoUser({})).toBeNull();
    expect(await authorizeDemoUser({ userId: "demo\u0000x" })).toBeNull(); // never reaches the database

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
    const configs = authConfig().providers.map((p) => (typeof p === "function" ? p() : p) as { id: string; options?: { id?: string; userinfo?: unknown } });
    expect(configs.map((c) => c.options?.id ?? c.id)).toEqual(["demo", "github", "oidc"]);
    // GitHub's userinfo is ours: it always reads the e-mail list, where GitHub says which addresses are verified.
    expect(configs[1].options?.userinfo).toMatchObject({ request: githubUserinfo });
    expect(signInOptions()).toEqual({ demo: true, github: true, oidc: "Single sign-on" });
  });

  it("links an OIDC sign-in to an existing user by e-mail only when the provider says the e-mail is verified", async () => {
    const team = await makeTeam();
    const admin = await makeUser("admin", [team.id]);
    const user = () => ({ email: admin.email.toUpperCase(), name: "Somebody" });

    // Not verified (false, missing, or the string "true"): a new account of its own, developer, no teams.
    for (const [i, verified] of [false, undefined, "true"].entries()) {
      const subject = `unverified-${i}-${uid()}`;
      const { allowed, token } = await externalSignIn("oidc", subject, user(), { sub: subject, email: admin.email, email_verified: verified });
      expect(allowed).toBe(true);
      expect(token?.uid).not.toBe(admin.id);
      const created = await getDb().user.findUniqueOrThrow({ where: { id: token!.uid as string }, include: { memberships: true, externalAccounts: true } });
      expect(created).toMatchObject({ role: "developer", provider: "oidc", email: `oidc-${subject}@unverified.invalid`.toLowerCase(), memberships: [] });
      expect(created.externalAccounts).toEqual([expect.objectContaining({ subject, email: admin.email.toLowerCase(), emailVerified: false })]);
    }

    // Verified: the existing admin, with their teams; later sign-ins find the identity by subject.
    const subject = `verified-${uid()}`;
    const linked = await externalSignIn("oidc", subject, user(), { sub: subject, email: admin.email, email_verified: true });
    expect(linked.token).toMatchObject({ uid: admin.id, sv: 0 });
    expect((await pierUser(admin.email)).externalAccounts).toEqual([expect.objectContaining({ provider: "oidc", subject, emailVerified: true })]);
    const again = await externalSignIn("oidc", subject, { email: "changed@elsewhere.example" }, { sub: subject, email: "changed@elsewhere.example" });
    expect(again.token?.uid).toBe(admin.id);
    const audit = await getDb().auditEvent.findMany({ where: { subjectId: admin.id, action: "user.account_linked" } });
    expect(audit).toHaveLength(1);
  });

  it("links a GitHub sign-in by e-mail only on GitHub's primary verified address", async () => {
    const approver = await makeUser("approver");
    const gh = (emails: unknown[], email: string | null = approver.email) => ({ id: 4242, login: "octo", email, emails });

    // The public address is the approver's, but GitHub lists it unverified (or not primary, or not at all): own account.
    for (const emails of [
      [{ email: approver.email, primary: true, verified: false }],
      [
        { email: "octo@users.example", primary: true, verified: true },
        { email: approver.email, primary: false, verified: true },
      ],
      [],
    ]) {
      const subject = `gh-${uid()}`;
      const { token } = await externalSignIn("github", subject, { email: approver.email, name: "Octo" }, gh(emails));
      expect(token?.uid).not.toBe(approver.id);
      expect((await getDb().user.findUniqueOrThrow({ where: { id: token!.uid as string } })).role).toBe("developer");
    }

    const subject = `gh-${uid()}`;
    const { token } = await externalSignIn(
      "github",
      subject,
      { email: null, name: "Octo" },
      gh([{ email: approver.email, primary: true, verified: true }], null),
    );
    expect(token?.uid).toBe(approver.id);
  });

  it("a first verified sign-in with a new address creates a developer account that keeps the role an admin gives", async () => {
    const subject = `new-${uid()}`;
    const first = await externalSignIn(
      "github",
      subject,
      { email: "New.Person@Example.com", name: "New Person" },
      {
        id: subject,
        emails: [{ email: "New.Person@Example.com", primary: true, verified: true }],
      },
    );
    const created = await pierUser("new.person@example.com");
    expect(first.token?.uid).toBe(created.id);
    expect(created).toMatchObject({ role: "developer", provider: "github", name: "New Person", memberships: [] });

    await getDb().user.update({ where: { id: created.id }, data: { role: "approver" } });
    const later = await externalSignIn("github", subject, { email: "new.person@example.com", name: "N. Person" }, { id: subject, emails: [] });
    expect(later.token?.uid).toBe(created.id);
    expect((await getDb().user.findUniqueOrThrow({ where: { id: created.id } })).role).toBe("approver");

    // A disabled account cannot sign in; a jwt callback without a resolved sign-in mints no session.
    await getDb().user.update({ where: { id: created.id }, data: { disabledAt: new Date() } });
    expect((await externalSignIn("github", subject, { email: "new.person@example.com" }, { id: subject })).allowed).toBe("/signin?error=AccountDisabled");
    expect(await jwtCallback({ token: {}, user: {}, account: { provider: "github" } })).toBeNull();
    expect(await signInCallback({ user: {}, account: { provider: "oidc" }, profile: {} })).toBe("/signin?error=AccessDenied");
    // Token refreshes (no user/account) leave it alone.
    expect(await jwtCallback({ token: { uid: "x", sv: 1 } })).toEqual({ uid: "x", sv: 1 });
  });

  it("reads GitHub's e-mail list with the user (the default userinfo skips it when the public e-mail is set)", async () => {
    const github = await FakeVendor.start();
    try {
      github.fallback = (req) =>
        req.url === "/api/v3/user"
          ? { status: 200, body: JSON.stringify({ id: 7, login: "octo", email: "public@example.com" }) }
          : { status: 200, body: JSON.stringify([{ email: "primary@example.com", primary: true, verified: true }]) };
      const profile = await githubUserinfo({ tokens: { access_token: "t0k" }, provider: { userinfo: { url: new URL(github.url("/api/v3/user")) } } });
      expect(profile).toMatchObject({ id: 7, email: "public@example.com", emails: [{ email: "primary@example.com", primary: true, verified: true }] });
      expect(github.requests.map((r) => [r.url, r.headers.authorization])).toEqual([
        ["/api/v3/user", "Bearer t0k"],
        ["/api/v3/user/emails", "Bearer t0k"],
      ]);
    } finally {
      await github.close();
    }
  });

  it("sign-out ends the session server-side: the same token is refused afterwards", async () => {
    const dana = await getDb().user.create({ data: { id: `demo-${uid()}`, email: `dana-${uid()}@pier.example`, name: "Dana", provider: "demo" } });
    const browser = new Browser();
    const signedIn = await browser.send("/api/auth/callback/demo", { userId: dana.id, csrfToken: await browser.csrf(), callbackUrl: "/" });
    expect(signedIn.status).toBe(302);
    const claims = await browser.claims();
    expect(claims).toEqual({ userId: dana.id, sessionVersion: 0 });
    expect(await loadSignedInUser(getDb(), claims!)).toMatchObject({ id: dana.id });

    const stolen = new Map(browser.cookies); // the same token, kept by someone else
    const out = await browser.send("/api/auth/signout", { csrfToken: await browser.csrf() });
    expect(out.status).toBe(302);
    expect(await browser.claims()).toBeNull();

    const replay = new Browser();
    replay.cookies = stolen;
    expect(await replay.claims()).toEqual(claims); // the JWT itself still decodes…
    expect(await loadSignedInUser(getDb(), claims!)).toBeNull(); // …but the request context refuses it
    expect(await getDb().auditEvent.count({ where: { subjectId: dana.id, action: "user.signed_out" } })).toBe(1);

    // Signing in again works, under the new version.
    const fresh = new Browser();
    await fresh.send("/api/auth/callback/demo", { userId: dana.id, csrfToken: await fresh.csrf(), callbackUrl: "/" });
    expect(await fresh.claims()).toEqual({ userId: dana.id, sessionVersion: 1 });
  });

  it("a session token from before session versions is no session", async () => {
    const dev = await makeUser();
    const old = new Browser();
    old.cookies.set("authjs.session-token", await encode({ token: { uid: dev.id, sub: dev.id }, secret: env().AUTH_SECRET, salt: "authjs.session-token" }));
    const session = (await (await old.send("/api/auth/session")).json()) as { user?: { id?: string }; sessionVersion?: unknown };
    expect(session).toMatchObject({ user: { id: dev.id }, sessionVersion: null });
    expect(await old.claims()).toBeNull();
  });

  it("a role change or disabling ends the user's sessions", async () => {
    const admin = await sessionUser((await makeUser("admin")).id);
    const dev = await makeUser("developer");
    const claims = { userId: dev.id, sessionVersion: 0 };
    expect(await loadSignedInUser(getDb(), claims)).not.toBeNull();
    await changeRole(getDb(), admin, dev.id, "approver");
    expect(await loadSignedInUser(getDb(), claims)).toBeNull();
    const next = { userId: dev.id, sessionVersion: 1 };
    expect(await loadSignedInUser(getDb(), next)).toMatchObject({ role: "approver" });
    await setDisabled(getDb(), admin, dev.id, true);
    expect(await loadSignedInUser(getDb(), next)).toBeNull();
    expect(await loadSignedInUser(getDb(), { userId: dev.id, sessionVersion: 2 })).toBeNull(); // disabled: no version works
    await setDisabled(getDb(), admin, dev.id, false);
    expect(await loadSignedInUser(getDb(), { userId: dev.id, sessionVersion: 3 })).toMatchObject({ id: dev.id });
  });

  it("rate-limits demo sign-in per account and per source address, with a clear message", async () => {
    Object.assign(process.env, { PIER_SIGNIN_LIMIT_PER_ACCOUNT: "3", PIER_SIGNIN_LIMIT_PER_ADDRESS: "5" });
    resetEnvForTests();
    const demo = await getDb().user.create({ data: { id: `demo-${uid()}`, email: `demo-${uid()}@pier.example`, name: "Demo", provider: "demo" } });
    const from = (address: string) => new Request("http://localhost/api/auth/callback/demo", { headers: { "x-forwarded-for": `10.9.9.9, ${address}` } });

    for (let i = 0; i < 3; i++) expect(await authorizeDemoUser({ userId: demo.id }, from("203.0.113.1"))).toMatchObject({ id: demo.id });
    // The account's fourth attempt is refused, from any address.
    await expect(authorizeDemoUser({ userId: demo.id }, from("203.0.113.2"))).rejects.toMatchObject({ type: "CredentialsSignin", code: "rate_limited" });
    // One address trying many accounts: refused after five attempts (counted before the account is looked up).
    const address = "203.0.113.3";
    for (let i = 0; i < 5; i++) expect(await authorizeDemoUser({ userId: `nobody-${i}` }, from(address))).toBeNull();
    await expect(authorizeDemoUser({ userId: "nobody-6" }, from(address))).rejects.toMatchObject({ code: "rate_limited" });

    // Through the route, as a browser: the sign-in page says why.
    const browser = new Browser("203.0.113.5");
    const refused = await browser.send("/api/auth/callback/demo", { userId: demo.id, csrfToken: await browser.csrf(), callbackUrl: "/" });
    const location = new URL(refused.headers.get("location")!);
    expect(location.pathname).toBe("/signin");
    expect(signInErrorMessage(location.searchParams.get("error") ?? undefined, location.searchParams.get("code") ?? undefined)).toMatch(
      /^Too many sign-in attempts for this account or from this address\. Wait 15 minutes/,
    );
  });

  it("rate-limits GitHub/OIDC sign-ins per identity and their callbacks per source address", async () => {
    Object.assign(process.env, { PIER_SIGNIN_LIMIT_PER_ACCOUNT: "2", PIER_SIGNIN_LIMIT_PER_ADDRESS: "2" });
    resetEnvForTests();
    const subject = `limited-${uid()}`;
    const profile = { sub: subject, email: `${subject}@example.com`, email_verified: true };
    expect((await externalSignIn("oidc", subject, { email: profile.email }, profile)).allowed).toBe(true);
    expect((await externalSignIn("oidc", subject, { email: profile.email }, profile)).allowed).toBe(true);
    expect((await externalSignIn("oidc", subject, { email: profile.email }, profile)).allowed).toBe("/signin?error=RateLimited");

    const browser = new Browser("203.0.113.9");
    for (let i = 0; i < 2; i++)
      expect((await browser.send("/api/auth/callback/github?code=x&state=y")).headers.get("location")).not.toBe("/signin?error=RateLimited");
    const refused = await browser.send("/api/auth/callback/github?code=x&state=y");
    expect(refused.status).toBe(303);
    expect(refused.headers.get("location")).toBe("/signin?error=RateLimited");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(signInErrorMessage("RateLimited")).toContain("Too many sign-in attempts");
    // Another address is not affected.
    expect((await new Browser("203.0.113.10").send("/api/auth/callback/github?code=x&state=y")).headers.get("location")).not.toBe("/signin?error=RateLimited");
  });
});
