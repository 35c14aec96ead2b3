// A new team (admins): slug, name and chat channel; members and on-call are set on the team's page.
import { currentUser } from "@/app/_lib/server-caller";
import { Card, EmptyState, PageHeader } from "@/app/_components/ui";
import { canAdminister } from "@/server/identity/access";
import { NewTeamForm } from "../[slug]/team-editor";

export const metadata = { title: "New team" };

export default async function NewTeamPage() {
  const user = await currentUser();
  return (
    <div>
      <PageHeader title="New team" description="Teams own services; their members may edit them." />
      {user && canAdminister(user) ? (
        <Card>
          <NewTeamForm />
        </Card>
      ) : (
        <EmptyState title="Only admins create teams">Ask an admin, or import a Backstage Group.</EmptyState>
      )}
    </div>
  );
}
