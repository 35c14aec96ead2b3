import { NavLinks } from "@/app/_components/nav-links";

const ITEMS = [
  { href: "/admin/notifications", label: "Overview" },
  { href: "/admin/notifications/channels", label: "Channels" },
  { href: "/admin/notifications/routes", label: "Routes" },
  { href: "/admin/notifications/silences", label: "Silences" },
  { href: "/admin/notifications/templates", label: "Templates" },
  { href: "/admin/notifications/test", label: "Route test" },
  { href: "/admin/notifications/deliveries", label: "Delivery log" },
];

export function NotificationsNav() {
  return (
    <nav aria-label="Notifications" className="-mx-1 mb-4 flex gap-1 overflow-x-auto pb-1">
      <NavLinks items={ITEMS.slice(1)} />
    </nav>
  );
}
