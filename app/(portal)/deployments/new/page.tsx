import { PageHeader, Card } from "@/app/_components/ui";
import { currentUser, serverCaller } from "@/app/_lib/server-caller";
import { hasRole } from "@/server/identity/roles";
import { RequestForm } from "./request-form";

export const metadata = { title: "Request a deployment" };

export default async function NewDeploymentPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const sp = await searchParams;
  const [services, user] = await Promise.all([(await serverCaller()).deployments.formOptions(), currentUser()]);
  return (
    <div className="mx-auto max-w-3xl space-y-4">
      <PageHeader
        title="Request a deployment"
        description="Pick the service, where it goes and which version. Pier checks the promotion rule, freezes and the approval policy as you type."
      />
      <Card>
        <RequestForm
          services={services}
          canBreakGlass={!!user && hasRole(user, "approver")}
          initial={{ serviceId: sp.serviceId, environmentId: sp.environmentId, version: sp.version }}
        />
      </Card>
    </div>
  );
}
