import { PageHeader } from "@/app/_components/ui";
import { DeliveryLog } from "./delivery-log";

export const metadata = { title: "Delivery log" };

export default async function DeliveriesPage({ searchParams }: { searchParams: Promise<{ status?: string }> }) {
  const { status } = await searchParams;
  return (
    <div className="space-y-4">
      <PageHeader title="Delivery log" description="Every notification: status, attempts, the vendor's last answer. Dead-lettered ones can be retried." />
      <DeliveryLog initialStatus={status ?? ""} />
    </div>
  );
}
