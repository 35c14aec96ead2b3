// The signed-in shell: navigation for every area, user menu with sign-out, theme toggle.
import Link from "next/link";
import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { signOut } from "@/server/auth";
import { hasRole } from "@/server/identity/roles";
import { currentUser } from "../_lib/server-caller";
import { DemoLoginBanner } from "../_components/demo-login-banner";
import { HeaderMenu } from "../_components/header-menu";
import { NotificationBell } from "../_components/notification-bell";
import { TimeZoneProvider } from "../_components/time";
import { ToastProvider } from "../_components/toast";
import { TIME_ZONE_COOKIE } from "../_lib/format";
import { isTimeZone } from "@/server/platform/input-rules";
import { NavLinks, type NavItem } from "../_components/nav-links";
import { ThemeToggle } from "../_components/theme-toggle";
import { Badge, Logo } from "../_components/ui";
import { DatabaseUnavailable } from "../_components/unavailable";
import { logger } from "@/server/logger";

export const dynamic = "force-dynamic";

const NAV: NavItem[] = [
  { href: "/", label: "Home" },
  { href: "/catalog", label: "Catalog" },
  { href: "/deployments", label: "Deployments" },
  { href: "/approvals", label: "Approvals" },
  { href: "/environments", label: "Environments" },
  { href: "/releases", label: "Releases" },
  { href: "/dora", label: "DORA" },
  { href: "/incidents", label: "Incidents" },
];

/** The signed-in user, or "unavailable" when it cannot be read (the database is down or does not answer in time). */
async function shellUser() {
  try {
    return await currentUser();
  } catch (err) {
    logger.error({ err }, "portal: could not read the signed-in user");
    return "unavailable" as const;
  }
}

export default async function PortalLayout({ children }: { children: ReactNode }) {
  const user = await shellUser();
  if (user === "unavailable") return <DatabaseUnavailable />;
  if (!user) redirect("/signin");
  const cookieJar = await cookies();
  const theme = cookieJar.get("pier-theme")?.value === "dark" ? "dark" : "light";
  // Dates render in the user's saved zone, else the zone their browser reported last time (a cookie), else UTC.
  const browserZone = cookieJar.get(TIME_ZONE_COOKIE)?.value;
  const renderZone = user.timeZone ?? (browserZone && isTimeZone(browserZone) ? browserZone : "UTC");
  const nav = hasRole(user, "admin") ? [...NAV, { href: "/admin", label: "Admin" }] : NAV;

  async function doSignOut() {
    "use server";
    await signOut({ redirectTo: "/signin" });
  }

  return (
    <div className="min-h-screen">
      <DemoLoginBanner />
      <header className="sticky top-0 z-20 border-b border-gray-200 bg-white/90 backdrop-blur dark:border-gray-800 dark:bg-gray-950/90">
        <div className="mx-auto flex h-14 max-w-7xl items-center gap-4 px-4">
          <HeaderMenu
            className="relative md:hidden"
            testId="nav-menu"
            buttonLabel="Open navigation"
            buttonClassName="list-none rounded-md p-2 hover:bg-gray-100 dark:hover:bg-gray-800"
            button={
              <svg viewBox="0 0 20 20" className="h-5 w-5" fill="currentColor" aria-hidden>
                <path d="M2 4.75A.75.75 0 0 1 2.75 4h14.5a.75.75 0 0 1 0 1.5H2.75A.75.75 0 0 1 2 4.75Zm0 5A.75.75 0 0 1 2.75 9h14.5a.75.75 0 0 1 0 1.5H2.75A.75.75 0 0 1 2 9.75Zm0 5a.75.75 0 0 1 .75-.75h14.5a.75.75 0 0 1 0 1.5H2.75a.75.75 0 0 1-.75-.75Z" />
              </svg>
            }
          >
            <nav
              aria-label="Main (mobile)"
              className="absolute top-11 left-0 w-56 rounded-lg border border-gray-200 bg-white p-2 shadow-lg dark:border-gray-800 dark:bg-gray-900"
            >
              <NavLinks items={nav} vertical />
            </nav>
          </HeaderMenu>
          <Link href="/" className="flex items-center gap-2 font-semibold">
            <Logo />
            Pier
          </Link>
          <nav aria-label="Main" className="hidden items-center gap-1 md:flex">
            <NavLinks items={nav} />
          </nav>
          <div className="ml-auto flex items-center gap-2">
            <ThemeToggle initial={theme} />
            <NotificationBell />
            <HeaderMenu
              className="relative"
              testId="user-menu"
              buttonLabel={`Account: ${user.name}`}
              buttonClassName="flex cursor-pointer list-none items-center gap-2 rounded-md px-2 py-1.5 text-sm hover:bg-gray-100 dark:hover:bg-gray-800"
              button={
                <>
                  <span className="flex h-7 w-7 items-center justify-center rounded-full bg-brand-600 text-xs font-semibold text-white" aria-hidden>
                    {user.name.slice(0, 1).toUpperCase()}
                  </span>
                  <span className="hidden sm:inline">{user.name}</span>
                </>
              }
            >
              <div className="absolute top-11 right-0 w-56 rounded-lg border border-gray-200 bg-white p-3 text-sm shadow-lg dark:border-gray-800 dark:bg-gray-900">
                <p className="font-medium">{user.name}</p>
                <p className="truncate text-xs text-gray-500 dark:text-gray-400">{user.email}</p>
                <p className="mt-2">
                  <Badge color={user.role === "admin" ? "purple" : user.role === "approver" ? "blue" : "gray"}>{user.role}</Badge>
                </p>
                <Link href="/settings/notifications" className="mt-3 block rounded px-2 py-1 hover:bg-gray-100 dark:hover:bg-gray-800">
                  Notification settings
                </Link>
                <Link href="/settings/time-zone" className="block rounded px-2 py-1 hover:bg-gray-100 dark:hover:bg-gray-800">
                  Time zone
                </Link>
                <form action={doSignOut}>
                  <button
                    type="submit"
                    className="mt-1 w-full rounded px-2 py-1 text-left text-rose-600 hover:bg-gray-100 dark:text-rose-400 dark:hover:bg-gray-800"
                  >
                    Sign out
                  </button>
                </form>
              </div>
            </HeaderMenu>
          </div>
        </div>
      </header>
      <main className="mx-auto max-w-7xl px-4 py-6">
        <TimeZoneProvider preferred={user.timeZone ?? null} initial={renderZone}>
          <ToastProvider>{children}</ToastProvider>
        </TimeZoneProvider>
      </main>
    </div>
  );
}
