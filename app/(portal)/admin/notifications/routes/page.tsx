import { PageHeader } from "@/app/_components/ui";
import { RouteManager } from "./route-manager";

export const metadata = { title: "Notification routes" };

export default function RoutesPage() {
  return (
    <div className="space-y-4">
      <PageHeader
        title="Routes"
        description="Evaluated top to bottom: the first matching route stops the walk unless it says continue. Like Alertmanager's routing tree."
      />
      <RouteManager />
    </div>
  );
}
