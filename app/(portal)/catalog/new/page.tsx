// Create a service: owned by one of the creator's teams (admins may pick any team).
import { serverCaller } from "@/app/_lib/server-caller";
import { PageHeader } from "@/app/_components/ui";
import { canManageService } from "@/server/identity/access";
import { NewServiceForm } from "./new-service-form";

export const metadata = { title: "New service" };

export default async function NewServicePage() {
  const api = await serverCaller();
  const [me, facets] = await Promise.all([api.identity.me(), api.catalog.facets()]);
  // The teams whose services this user may manage: the rule createService checks.
  const teams = facets.teams.filter((t) => canManageService(me.user, t.id)).map((t) => ({ slug: t.slug, name: t.name }));
  return (
    <div className="max-w-3xl">
      <PageHeader title="New service" description="Add a service to the catalog. You can change everything but its slug later." />
      <NewServiceForm teams={teams} />
    </div>
  );
}
