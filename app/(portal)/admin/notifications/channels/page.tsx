import { PageHeader } from "@/app/_components/ui";
import { AllowList } from "./allow-list";
import { ChannelManager } from "./channel-manager";

export const metadata = { title: "Notification channels" };

export default function ChannelsPage() {
  return (
    <div className="space-y-4">
      <PageHeader title="Channels" description="Where notifications go. Secrets are encrypted at rest and only ever shown masked." />
      <ChannelManager />
      <AllowList />
    </div>
  );
}
