import type { Metadata, Viewport } from "next";
import { cookies } from "next/headers";
import type { ReactNode } from "react";
import { TRPCReactProvider } from "./_lib/trpc";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Pier", template: "%s · Pier" },
  description: "Pier — service catalog, deployments with approvals, DORA metrics and notifications",
  icons: { icon: "/favicon.svg" },
};

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default async function RootLayout({ children }: { children: ReactNode }) {
  // The saved theme is a cookie so the server renders the right class: no flash of the wrong theme.
  const theme = (await cookies()).get("pier-theme")?.value === "dark" ? "dark" : "light";
  return (
    <html lang="en" className={theme === "dark" ? "dark" : undefined} data-theme={theme}>
      <body className="min-h-screen font-sans">
        <TRPCReactProvider>{children}</TRPCReactProvider>
      </body>
    </html>
  );
}
