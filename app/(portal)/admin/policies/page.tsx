import { redirect } from "next/navigation";
import { PageHeader } from "@/app/_components/ui";
import { currentUser, serverCaller } from "@/app/_lib/server-caller";
import { canAdminister } from "@/server/identity/access";
import { PolicyAdmin } from "./policy-admin";

export const metadata = { title: "Approval policies" };

export default async function PoliciesPage() {
  const user = await currentUser();
  if (!user || !canAdminister(user)) redirect("/");
  const options = await (await serverCaller()).approvals.policyFormOptions();
  return (
    <div className="space-y-4">
      <PageHeader
        title="Approval policies"
        description="Per environment, optionally narrowed to a tier or a service (service beats tier beats environment). Freeze windows block normal requests; break-glass still works where allowed."
      />
      <PolicyAdmin teams={options.teams} services={options.services} />
    </div>
  );
}
