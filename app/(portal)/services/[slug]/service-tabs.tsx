// The service page's tabs: links (?tab=…), so every tab has its own URL, works without JavaScript, is reached with
// Tab and followed with Enter; the current one is marked aria-current.
import Link from "next/link";
import { cx } from "@/app/_components/ui";

export const SERVICE_TABS = [
  { id: "overview", label: "Overview" },
  { id: "deployments", label: "Deployments" },
  { id: "dora", label: "DORA" },
  { id: "incidents", label: "Incidents" },
  { id: "activity", label: "Delivery activity" },
] as const;
export type ServiceTab = (typeof SERVICE_TABS)[number]["id"];

export const serviceTab = (value: string | string[] | undefined): ServiceTab => SERVICE_TABS.find((t) => t.id === value)?.id ?? "overview";

export function ServiceTabs({ slug, current }: { slug: string; current: ServiceTab }) {
  return (
    <nav aria-label="Service sections" className="-mx-1 overflow-x-auto border-b border-gray-200 dark:border-gray-800">
      <ul className="flex min-w-max gap-1 px-1">
        {SERVICE_TABS.map((t) => (
          <li key={t.id}>
            <Link
              href={t.id === "overview" ? `/services/${slug}` : `/services/${slug}?tab=${t.id}`}
              aria-current={t.id === current ? "page" : undefined}
              scroll={false}
              className={cx(
                "-mb-px block border-b-2 px-3 py-2 text-sm font-medium",
                t.id === current
                  ? "border-brand-600 text-brand-700 dark:border-brand-400 dark:text-brand-300"
                  : "border-transparent text-gray-600 hover:border-gray-300 hover:text-gray-900 dark:text-gray-400 dark:hover:text-gray-100",
              )}
            >
              {t.label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}
