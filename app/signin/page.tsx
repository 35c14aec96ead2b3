import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { AuthError } from "next-auth";
import { signIn, signInErrorMessage, signInOptions } from "@/server/auth";
import { safeCallbackPath } from "@/server/platform/web-security";
import { currentUser, serverCaller } from "../_lib/server-caller";
import { DemoLoginBanner } from "../_components/demo-login-banner";
import { Badge, Logo } from "../_components/ui";

export const metadata: Metadata = { title: "Sign in" };
export const dynamic = "force-dynamic";

const ROLE_BLURB = {
  developer: "browses the catalog and requests deployments",
  approver: "signs off on changes",
  admin: "configures policies, routing and integrations",
} as const;

export default async function SignInPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  // Only same-origin paths: never send a user to another site after sign-in (one rule, shared with next-auth).
  const callbackUrl = safeCallbackPath(params.callbackUrl);
  if (await currentUser()) redirect(callbackUrl);
  const options = signInOptions();
  const demoUsers = options.demo ? await (await serverCaller()).identity.demoUsers() : [];

  async function demoSignIn(formData: FormData) {
    "use server";
    try {
      await signIn("demo", { userId: String(formData.get("userId") ?? ""), redirectTo: safeCallbackPath(formData.get("callbackUrl")) });
    } catch (err) {
      if (err instanceof AuthError) {
        const code = "code" in err && typeof err.code === "string" ? `&code=${encodeURIComponent(err.code)}` : "";
        redirect(`/signin?error=${encodeURIComponent(err.type)}${code}`);
      }
      throw err;
    }
  }

  async function providerSignIn(formData: FormData) {
    "use server";
    await signIn(String(formData.get("provider")), { redirectTo: safeCallbackPath(formData.get("callbackUrl")) });
  }

  return (
    <>
      <DemoLoginBanner />
      <main className="flex min-h-screen items-center justify-center p-4">
        <div className="w-full max-w-md rounded-xl border border-gray-200 bg-white p-6 shadow-sm dark:border-gray-800 dark:bg-gray-900">
          <div className="mb-6 flex items-center gap-2">
            <Logo className="h-8 w-8" />
            <h1 className="text-xl font-semibold">Sign in to Pier</h1>
          </div>
          {params.error && (
            <p role="alert" className="mb-4 rounded-md bg-rose-50 px-3 py-2 text-sm text-rose-700 dark:bg-rose-950/40 dark:text-rose-300">
              {signInErrorMessage(params.error, params.code)}
            </p>
          )}
          {(options.github || options.oidc) && (
            <div className="mb-6 space-y-2">
              {options.github && (
                <form action={providerSignIn}>
                  <input type="hidden" name="provider" value="github" />
                  <input type="hidden" name="callbackUrl" value={callbackUrl} />
                  <button className="w-full rounded-md bg-gray-900 px-3 py-2 text-sm font-medium text-white hover:bg-gray-800">Continue with GitHub</button>
                </form>
              )}
              {options.oidc && (
                <form action={providerSignIn}>
                  <input type="hidden" name="provider" value="oidc" />
                  <input type="hidden" name="callbackUrl" value={callbackUrl} />
                  <button className="w-full rounded-md bg-brand-600 px-3 py-2 text-sm font-medium text-white hover:bg-brand-700">
                    Continue with {options.oidc}
                  </button>
                </form>
              )}
            </div>
          )}
          {options.demo && (
            <section aria-labelledby="demo-heading">
              <h2 id="demo-heading" className="text-sm font-medium text-gray-700 dark:text-gray-300">
                Demo accounts
              </h2>
              <p className="mb-3 text-xs text-gray-500 dark:text-gray-400">Pick someone to explore Pier as. (Enabled by PIER_DEMO_LOGIN.)</p>
              <ul className="space-y-2">
                {demoUsers.map((u) => (
                  <li key={u.id}>
                    <form action={demoSignIn}>
                      <input type="hidden" name="userId" value={u.id} />
                      <input type="hidden" name="callbackUrl" value={callbackUrl} />
                      <button
                        type="submit"
                        className="flex w-full items-center justify-between rounded-lg border border-gray-200 px-3 py-2 text-left hover:border-brand-500 hover:bg-brand-50 dark:border-gray-700 dark:hover:bg-gray-800"
                      >
                        <span>
                          <span className="block text-sm font-medium">
                            {u.name} — {u.role}
                          </span>
                          <span className="block text-xs text-gray-500 dark:text-gray-400">{ROLE_BLURB[u.role]}</span>
                        </span>
                        <Badge color={u.role === "admin" ? "purple" : u.role === "approver" ? "blue" : "gray"}>{u.role}</Badge>
                      </button>
                    </form>
                  </li>
                ))}
              </ul>
            </section>
          )}
          {!options.demo && !options.github && !options.oidc && (
            <p className="text-sm text-gray-600 dark:text-gray-400">
              No sign-in method is configured. Set AUTH_GITHUB_ID/AUTH_GITHUB_SECRET or OIDC_ISSUER/OIDC_CLIENT_ID/OIDC_CLIENT_SECRET, or PIER_DEMO_LOGIN=true
              for the demo accounts.
            </p>
          )}
        </div>
      </main>
    </>
  );
}
