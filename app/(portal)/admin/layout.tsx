// Admin area: only admins get past this layout (every admin procedure checks the role again on the server).
import type { ReactNode } from "react";
import { canAdminister } from "@/server/identity/access";
import { currentUser } from "@/app/_lib/server-caller";
import { EmptyState } from "@/app/_components/ui";

export default async function AdminLayout({ children }: { children: ReactNode }) {
  const user = await currentUser();
  if (!user || !canAdminister(user)) {
    return <EmptyState title="Admins only">You need the admin role to configure Pier. Ask an admin if you need access.</EmptyState>;
  }
  return children;
}
