// Shown on every portal page while demo sign-in is on: anyone who can reach Pier can become any demo user, admins included.
import { signInOptions } from "@/server/auth";

const DEMO_LOGIN_WARNING = "Demo sign-in is enabled: anyone can sign in as any demo user";

export function DemoLoginBanner() {
  if (!signInOptions().demo) return null;
  return (
    <aside
      aria-label="Demo sign-in warning"
      data-testid="demo-login-banner"
      className="border-b border-amber-300 bg-amber-100 px-4 py-2 text-center text-sm font-medium text-amber-950 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100"
    >
      <strong>{DEMO_LOGIN_WARNING}</strong>
      <span className="font-normal"> (PIER_DEMO_LOGIN). Turn it off before real data goes in.</span>
    </aside>
  );
}
