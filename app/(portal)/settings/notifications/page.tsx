import { PageHeader } from "@/app/_components/ui";
import { PreferencesForm } from "./preferences-form";

export const metadata = { title: "My notifications" };

export default function MyNotificationsPage() {
  return (
    <div className="max-w-2xl space-y-4">
      <PageHeader title="My notifications" description="Pages (critical alerts, PagerDuty) always reach you; everything else follows these choices." />
      <PreferencesForm />
    </div>
  );
}
