// Notification administration: admins only (the procedures enforce it too; this gives a readable page instead).
import type { ReactNode } from "react";
import { currentUser } from "@/app/_lib/server-caller";
import { EmptyState } from "@/app/_components/ui";
import { hasRole } from "@/server/identity/roles";
import { NotificationsNav } from "./_components/sub-nav";

export default async function NotificationsAdminLayout({ children }: { children: ReactNode }) {
  const user = await currentUser();
  if (!user || !hasRole(user, "admin")) {
    return <EmptyState title="Admins only">Notification routing is configured by admins. Your own preferences are under Settings → Notifications.</EmptyState>;
  }
  return (
    <div className="space-y-4">
      <NotificationsNav />
      {children}
    </div>
  );
}
