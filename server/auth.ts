// next-auth (v5): GitHub and generic OIDC when configured, demo sign-in when PIER_DEMO_LOGIN allows it.
// Sessions are JWTs carrying only the user id; roles and teams are read from the database on each request.
import NextAuth, { type NextAuthConfig } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import GitHub from "next-auth/providers/github";
import { z } from "zod";
import { getDb } from "./db";
import { env } from "./env";
import { upsertExternalUser } from "./identity/users";
import { logger } from "./logger";
import { sameOriginRedirect } from "./platform/web-security";

/** Demo sign-in: only seeded demo accounts (provider "demo"), only while demo login is enabled. */
export async function authorizeDemoUser(raw: unknown) {
  if (!env().demoLoginEnabled) return null;
  const parsed = z.object({ userId: z.string().min(1).max(64) }).safeParse(raw);
  if (!parsed.success) return null;
  return getDb().user.findFirst({ where: { id: parsed.data.userId, provider: "demo" }, select: { id: true, name: true, email: true } });
}

type JwtArgs = {
  token: Record<string, unknown>;
  user?: { id?: string; email?: string | null; name?: string | null; image?: string | null } | null;
  account?: { provider: string } | null;
};

/** On sign-in, pins the Pier user id into the token (creating the account on a first GitHub/OIDC sign-in). */
export async function jwtCallback({ token, user, account }: JwtArgs) {
  if (user && account) {
    if (account.provider === "demo") {
      token.uid = user.id;
    } else if (user.email) {
      const saved = await upsertExternalUser(getDb(), {
        email: user.email,
        name: user.name ?? user.email,
        image: user.image,
        provider: account.provider,
      });
      token.uid = saved.id;
    }
    logger.info({ provider: account.provider, userId: token.uid }, "signed in");
  }
  return token;
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
  if (e.githubEnabled) providers.push(GitHub({ clientId: e.AUTH_GITHUB_ID, clientSecret: e.AUTH_GITHUB_SECRET }));
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
      jwt: (args) => jwtCallback(args as JwtArgs) as Promise<typeof args.token>,
      async session({ session, token }) {
        if (typeof token.uid === "string") session.user.id = token.uid;
        return session;
      },
    },
  };
}

export const { handlers, auth, signIn, signOut } = NextAuth(() => authConfig());

/** Which sign-in methods the sign-in page offers. */
export function signInOptions() {
  const e = env();
  return { demo: e.demoLoginEnabled, github: e.githubEnabled, oidc: e.oidcEnabled ? e.OIDC_NAME : null };
}
