import Link from "next/link";
import { PageHeader } from "@/app/_components/ui";

const AREAS = [
  {
    href: "/admin/policies",
    title: "Approval policies",
    text: "Approvers required per environment, tier or service; expiry, wait timers, freeze windows, break-glass.",
  },
  { href: "/admin/notifications", title: "Notifications", text: "Channels, routes, silences, templates, route tests and the delivery log." },
  { href: "/admin/alerts", title: "Alert rules", text: "Thresholds and anomalies on DORA keys and delivery analytics, routed as alert events." },
  { href: "/admin/risk-model", title: "Risk model", text: "The learned P(failure) approvers see: its backtest (AUC, Brier, calibration) and retraining." },
  { href: "/admin/integrations", title: "Integrations", text: "Ingestion tokens and webhook secrets for CDEvents, GitHub and PagerDuty." },
  { href: "/admin/data-quality", title: "Data quality", text: "Rejected events, dead letters, deployments without changes, incidents without a service." },
  { href: "/catalog/environments", title: "Environments", text: "Promotion order of environments (dev → staging → prod) and new ones." },
  { href: "/admin/users", title: "Users and roles", text: "Who is a developer, an approver or an admin." },
  { href: "/audit", title: "Audit log", text: "Every change with actor, before/after and the hash-chain verification." },
  { href: "/admin/audit-chain", title: "Audit chain", text: "Verify the hash chain, see where it breaks, export the signed checkpoints." },
];

export const metadata = { title: "Admin" };

export default function AdminHome() {
  return (
    <>
      <PageHeader title="Admin" description="Configure how Pier decides, notifies and integrates." />
      <ul className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
        {AREAS.map((a) => (
          <li key={a.href}>
            <Link
              href={a.href}
              className="block h-full rounded-lg border border-gray-200 bg-white p-4 shadow-sm hover:border-brand-500 dark:border-gray-800 dark:bg-gray-900"
            >
              <p className="font-medium">{a.title}</p>
              <p className="mt-1 text-sm text-gray-600 dark:text-gray-400">{a.text}</p>
            </Link>
          </li>
        ))}
      </ul>
    </>
  );
}
