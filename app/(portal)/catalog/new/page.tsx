// Create a service: owned by one of the creator's teams (admins may pick any team).
import { serverCaller } from "@/app/_lib/server-caller";
import { PageHeader } from "@/app/_components/ui";
import { hasRole } from "@/server/identity/roles";
import { NewServiceForm } from "./new-service-form";

export const metadata = { title: "New service · Pier" };

export default async function NewServicePage() {
  const api = await serverCaller();
  const [me, facets] = await Promise.all([api.identity.me(), api.catalog.facets()]);
  const teams = hasRole(me.user, "admin") ? facets.teams : me.teams.map((t) => ({ slug: t.slug, name: t.name }));
  return (
    <div className="max-w-3xl">
      <PageHeader title="New service" description="Add a service to the catalog. You can change everything but its slug later." />
      <NewServiceForm teams={teams} />
    </div>
  );
}
