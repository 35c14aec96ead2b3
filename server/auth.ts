// next-auth (v5): GitHub and generic OIDC when configured, demo sign-in when PIER_DEMO_LOGIN allows it.
// Sessions are JWTs carrying the user id and the user's session version at sign-in; roles and teams are read from
// the database on each request, and a token whose version is no longer current is refused (identity/sessions.ts).
// Sign-in attempts are rate-limited per account and per source address (identity/sign-in-limit.ts).
import NextAuth, { CredentialsSignin, type NextAuthConfig, type Profile, type Session } from "next-auth";
import { decode } from "next-auth/jwt";
import { headers } from "next/headers";
import type { NextRequest } from "next/server";
import Credentials from "next-auth/providers/credentials";
import GitHub from "next-auth/providers/github";
import { z } from "zod";
import { mapUsersOfNewAccount } from "./catalog/user-mapping";
import { getDb } from "./db";
import { env } from "./env";
import { endSession, type SessionClaims } from "./identity/sessions";
import { resolveExternalSignIn, type ExternalIdentity, type SignedInAccount } from "./identity/sign-in";
import { clientAddress, SIGN_IN_RATE_LIMITED_MESSAGE, takeSignInAttempt } from "./identity/sign-in-limit";
import { logger } from "./logger";
import { sameOriginRedirect } from "./platform/web-security";

/** Where a refused sign-in lands: the sign-in page explains each of these. */
const REFUSED = {
  rateLimited: "/signin?error=RateLimited",
  disabled: "/signin?error=AccountDisabled",
  denied: "/signin?error=AccessDenied",
} as const;

/** A demo sign-in refused by the rate limit: the sign-in page shows why (error=CredentialsSignin&code=rate_limited). */
class SignInRateLimited extends CredentialsSignin {
  code = "rate_limited";
}

/** What sign-in resolved, carried from authorize()/the signIn callback to the jwt callback on next-auth's user object. */
type PierSignIn = { pier?: SignedInAccount };

/** Demo sign-in: only seeded demo accounts (provider "demo") that are not disabled, only while demo login is enabled. */
export async function authorizeDemoUser(raw: unknown, request?: Request) {
  if (!env().demoLoginEnabled) return null;
  const parsed = z.object({ userId: z.string().regex(/^[\w-]{1,64}$/) }).safeParse(raw);
  if (!parsed.success) return null;
  const limit = await takeSignInAttempt({ address: clientAddress(request?.headers), account: `demo:${parsed.data.userId}` });
  if (!limit.ok) throw new SignInRateLimited();
  const user = await getDb().user.findFirst({
    where: { id: parsed.data.userId, provider: "demo", disabledAt: null },
    select: { id: true, name: true, email: true, sessionVersion: true },
  });
  return user ? { id: user.id, name: user.name, email: user.email, pier: { id: user.id, sessionVersion: user.sessionVersion } } : null;
}

type GitHubEmail = { email?: unknown; primary?: unknown; verified?: unknown };
type GitHubData = { id?: unknown; login?: unknown; name?: unknown; email?: unknown; avatar_url?: unknown; emails?: GitHubEmail[] };

/** The address GitHub says is the user's primary one and verified (from GET /user/emails), or null. */
function githubVerifiedEmail(profile: GitHubData | undefined): string | null {
  const primary = Array.isArray(profile?.emails) ? profile.emails.find((e) => e?.primary === true && e?.verified === true) : undefined;
  return typeof primary?.email === "string" ? primary.email : null;
}

/**
 * GitHub's userinfo: GET /user plus GET /user/emails, the only answer in which GitHub says which addresses are
 * verified (next-auth's default asks for the e-mail list only when the public e-mail is empty, and ignores `verified`).
 */
export async function githubUserinfo({ tokens, provider }: { tokens: { access_token?: string }; provider: { userinfo?: { url?: URL | string } } }) {
  const userUrl = String(provider.userinfo?.url ?? "https://api.github.com/user");
  const headers = { Authorization: `Bearer ${tokens.access_token}`, "User-Agent": "pier", Accept: "application/vnd.github+json" };
  const user = (await fetch(userUrl, { headers }).then((r) => r.json())) as GitHubData;
  const res = await fetch(userUrl.replace(/\/user$/, "/user/emails"), { headers });
  const emails: unknown = res.ok ? await res.json() : [];
  return { ...user, emails: Array.isArray(emails) ? (emails as GitHubEmail[]) : [] } as Profile;
}

function githubUser(profile: GitHubData) {
  const str = (v: unknown) => (typeof v === "string" && v ? v : null);
  return {
    id: String(profile.id),
    name: str(profile.name) ?? str(profile.login),
    email: githubVerifiedEmail(profile) ?? str(profile.email),
    image: str(profile.avatar_url),
  };
}

type SignInArgs = {
  user: { id?: string; email?: string | null; name?: string | null; image?: string | null } & PierSignIn;
  account?: { provider: string; providerAccountId?: string } | null;
  profile?: Record<string, unknown> | null;
};

/** The identity a GitHub/OIDC sign-in presents, with whether the provider vouched for its e-mail address. */
function externalIdentity({ user, account, profile }: SignInArgs): ExternalIdentity | null {
  if (!account?.providerAccountId) return null;
  let email = typeof user.email === "string" ? user.email : null;
  let emailVerified = false;
  if (account.provider === "github") {
    const verified = githubVerifiedEmail(profile as GitHubData | undefined);
    email = verified ?? email;
    emailVerified = verified !== null;
  } else if (account.provider === "oidc") {
    const claimed = typeof profile?.email === "string" ? profile.email : null;
    email = claimed ?? email;
    emailVerified = claimed !== null && profile?.email_verified === true;
  }
  return { provider: account.provider, subject: account.providerAccountId, email, emailVerified, name: user.name ?? "", image: user.image };
}

/**
 * Sign-in decides which Pier account this is: demo sign-ins were checked by authorizeDemoUser; a GitHub/OIDC identity
 * counts against its rate limit, then is resolved (identity/sign-in.ts: linked by e-mail only when verified).
 * Returns true, or the sign-in page to show why not.
 */
export async function signInCallback(args: SignInArgs): Promise<true | string> {
  if (args.account?.provider === "demo") return args.user.pier ? true : REFUSED.denied;
  const identity = externalIdentity(args);
  if (!identity) return REFUSED.denied;
  const limit = await takeSignInAttempt({ account: `${identity.provider}:${identity.subject}` });
  if (!limit.ok) return REFUSED.rateLimited;
  const result = await resolveExternalSignIn(getDb(), identity);
  if (!result.ok) {
    logger.warn({ provider: identity.provider, reason: result.reason }, "sign-in refused");
    return result.reason === "disabled" ? REFUSED.disabled : REFUSED.denied;
  }
  args.user.pier = result.account;
  logger.info({ provider: identity.provider, userId: result.account.id, linked: result.linked, emailVerified: identity.emailVerified }, "external sign-in");
  // A new account: the catalog's Users with its e-mail are linked now, not at their next import (the catalog's own
  // store writes; identity never does). A failure there must not refuse the sign-in: the next import links them.
  if (result.linked === "new_account")
    await mapUsersOfNewAccount(getDb(), result.account.id).catch((err: unknown) =>
      logger.warn({ err, userId: result.account.id }, "catalog users not linked at sign-in"),
    );
  return true;
}

type JwtArgs = {
  token: Record<string, unknown>;
  user?: PierSignIn | null;
  account?: { provider: string } | null;
};

/** On sign-in, pins the Pier user id and session version that sign-in resolved into the token (none resolved: no session). */
export async function jwtCallback({ token, user, account }: JwtArgs) {
  if (user && account) {
    if (!user.pier) return null;
    token.uid = user.pier.id;
    token.sv = user.pier.sessionVersion;
    logger.info({ provider: account.provider, userId: token.uid }, "signed in");
  }
  return token;
}

/** Sign-out ends the session server-side: the token's session version is retired (with every token issued under it). */
async function signOutEvent(message: { token?: Record<string, unknown> | null } | { session?: unknown }) {
  const token = "token" in message ? message.token : null;
  if (typeof token?.uid === "string" && typeof token.sv === "number") {
    await endSession(getDb(), { userId: token.uid, sessionVersion: token.sv });
  }
}

export function authConfig(): NextAuthConfig {
  const e = env();
  const providers: NextAuthConfig["providers"] = [];
  if (e.demoLoginEnabled) {
    providers.push(
      Credentials({
        id: "demo",
        name: "Demo account",
        credentials: { userId: { label: "User", type: "text" } },
        authorize: authorizeDemoUser,
      }),
    );
  }
  if (e.githubEnabled) {
    providers.push(
      GitHub({
        clientId: e.AUTH_GITHUB_ID,
        clientSecret: e.AUTH_GITHUB_SECRET,
        userinfo: { url: "https://api.github.com/user", request: githubUserinfo },
        profile: (profile) => githubUser(profile as GitHubData),
      }),
    );
  }
  if (e.oidcEnabled) {
    providers.push({
      id: "oidc",
      name: e.OIDC_NAME,
      type: "oidc",
      issuer: e.OIDC_ISSUER,
      clientId: e.OIDC_CLIENT_ID,
      clientSecret: e.OIDC_CLIENT_SECRET,
    });
  }
  return {
    secret: e.AUTH_SECRET,
    trustHost: true,
    session: { strategy: "jwt", maxAge: 8 * 3600 },
    pages: { signIn: "/signin" },
    providers,
    callbacks: {
      // After sign-in/sign-out only same-origin paths: the sign-in page's rule (server/platform/web-security.ts).
      redirect: ({ url, baseUrl }) => sameOriginRedirect(url, baseUrl),
      signIn: (args) => signInCallback(args as SignInArgs),
      jwt: (args) => jwtCallback(args as JwtArgs) as Promise<typeof args.token | null>,
      async session({ session, token }) {
        if (typeof token.uid === "string") session.user.id = token.uid;
        return Object.assign(session, { sessionVersion: typeof token.sv === "number" ? token.sv : null });
      },
    },
    events: { signOut: (message) => signOutEvent(message as Parameters<typeof signOutEvent>[0]) },
    // next-auth's own messages go to Pier's JSON log (refused sign-ins, bad callbacks), not to the console.
    logger: {
      error: (err) => logger.warn({ err }, "auth: request refused"),
      warn: (code) => logger.warn({ code }, "auth warning"),
      debug: () => undefined,
    },
  };
}

const nextAuth = NextAuth(() => authConfig());
export const { signIn, signOut } = nextAuth;

/**
 * The /api/auth route handlers. A GitHub/OIDC sign-in or callback counts against its source address's limit before
 * next-auth sees it (demo sign-ins count in authorizeDemoUser, which every way to them goes through).
 */
export const handlers = { GET: limitedByAddress(nextAuth.handlers.GET), POST: limitedByAddress(nextAuth.handlers.POST) };

function limitedByAddress(handler: (req: NextRequest) => Promise<Response>) {
  return async (req: NextRequest) => {
    if (/\/api\/auth\/(signin|callback)\/(?!demo(\/|$))[^/]+/.test(req.nextUrl.pathname)) {
      const limit = await takeSignInAttempt({ address: clientAddress(req.headers) });
      if (!limit.ok) return new Response(null, { status: 303, headers: { Location: REFUSED.rateLimited, "Retry-After": String(limit.retryAfterSeconds) } });
    }
    return handler(req);
  };
}

/** The signed-in session's user id and session version (null when signed out, or for a token from before versions). */
export async function sessionClaims(): Promise<SessionClaims | null> {
  const h = await headers();
  const name = sessionCookieName(h);
  const token = cookieValue(h.get("cookie"), name);
  // A token split over several cookies (name.0, name.1…: never Pier's small tokens): next-auth reassembles it.
  if (!token) return cookieValue(h.get("cookie"), `${name}.0`) ? claimsThroughNextAuth() : null;
  return decodedClaims(name, token);
}

/** One cookie's value from a Cookie header, decoded as next-auth's parser (the `cookie` package) decodes it. */
function cookieValue(header: string | null, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const raw = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  }
  return undefined;
}

async function claimsThroughNextAuth(): Promise<SessionClaims | null> {
  const session = (await nextAuth.auth()) as (Session & { sessionVersion?: unknown }) | null;
  const userId = session?.user?.id;
  const sessionVersion = session?.sessionVersion;
  return typeof userId === "string" && typeof sessionVersion === "number" ? { userId, sessionVersion } : null;
}

/**
 * The session cookie's name as next-auth picks it for this request: `__Secure-` when its URL is https — AUTH_URL's
 * when set, else the forwarded protocol (next-auth's createActionURL, https when none is forwarded).
 */
function sessionCookieName(h: Headers): string {
  const envUrl = process.env.AUTH_URL ?? process.env.NEXTAUTH_URL;
  const protocol = envUrl ? new URL(envUrl).protocol : `${(h.get("x-forwarded-proto") ?? "https").replace(/:$/, "")}:`;
  return protocol === "https:" ? "__Secure-authjs.session-token" : "authjs.session-token";
}

/**
 * Decoded session tokens, by cookie name and value. next-auth's auth() decrypts the token (HKDF + JWE through
 * WebCrypto) and then encrypts a refreshed one that it throws away (auth() without arguments sets no cookie), about
 * a millisecond of CPU on every request. A token is immutable and carries its own expiry, so the same cookie always
 * decodes to the same claims until then: decoding it once is enough. What revokes a session (sign-out, a role change,
 * disabling) is the session version, checked against the database on every request (identity/sessions.ts), not here.
 */
const decoded = new Map<string, { claims: SessionClaims | null; expiresAt: number }>();
const DECODED_MAX = 10_000;
/** Claims of an undecodable token are not kept: an attacker's garbage must not fill the cache. */
async function decodedClaims(name: string, token: string): Promise<SessionClaims | null> {
  const key = `${name}\n${token}`;
  const hit = decoded.get(key);
  if (hit && hit.expiresAt > Date.now()) return hit.claims;
  if (hit) decoded.delete(key);
  const payload = await decode({ token, secret: env().AUTH_SECRET, salt: name }).catch(() => null);
  if (!payload) return null;
  const claims = typeof payload.uid === "string" && typeof payload.sv === "number" ? { userId: payload.uid, sessionVersion: payload.sv } : null;
  const expiresAt = typeof payload.exp === "number" ? payload.exp * 1000 : Date.now();
  if (decoded.size >= DECODED_MAX) decoded.delete(decoded.keys().next().value!);
  decoded.set(key, { claims, expiresAt });
  return claims;
}

/** What the sign-in page says about a refused sign-in (next-auth's `error` and `code` query parameters). */
export function signInErrorMessage(error: string | string[] | undefined, code?: string | string[] | undefined): string {
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? "";
  const e = first(error);
  if (e === "RateLimited" || (e === "CredentialsSignin" && first(code) === "rate_limited")) return SIGN_IN_RATE_LIMITED_MESSAGE;
  if (e === "AccountDisabled") return "This account is disabled. Ask an admin of Pier.";
  if (e === "AccessDenied") return "Sign-in was refused. Try again, or ask an admin of Pier.";
  return `Sign-in failed (${e.slice(0, 40)}). Try again.`;
}

/** Which sign-in methods the sign-in page offers. */
export function signInOptions() {
  const e = env();
  return { demo: e.demoLoginEnabled, github: e.githubEnabled, oidc: e.oidcEnabled ? e.OIDC_NAME : null };
}
