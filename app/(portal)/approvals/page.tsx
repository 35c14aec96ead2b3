import { PageHeader } from "@/app/_components/ui";
import { Inbox } from "./inbox";

export const metadata = { title: "Approvals" };

export default function ApprovalsPage() {
  return (
    <div className="space-y-4">
      <PageHeader title="Approvals" description="Deployment requests waiting for a decision: yours first, then those waiting on others." />
      <Inbox />
    </div>
  );
}
