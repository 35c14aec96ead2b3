import Link from "next/link";
import { serverCaller } from "../_lib/server-caller";
import { plural } from "../_lib/plural";
import { Badge, Card, EmptyState, PageHeader } from "../_components/ui";

export const metadata = { title: "Home" };

export default async function HomePage() {
  const { user, teams } = await (await serverCaller()).identity.me();
  return (
    <>
      <PageHeader title={`Welcome, ${user.name}`} description="Your teams, their services and what needs your attention." />
      <Card title="Your teams">
        {teams.length === 0 ? (
          <EmptyState title="You are not in any team yet">Ask an admin to add you to the team that owns your services.</EmptyState>
        ) : (
          <ul className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3" data-testid="my-teams">
            {teams.map((t) => (
              <li key={t.id} className="rounded-lg border border-gray-200 p-4 dark:border-gray-800">
                <Link href={`/teams/${t.slug}`} className="font-medium text-brand-600 hover:underline dark:text-brand-100">
                  {t.name}
                </Link>
                <p className="mt-1 line-clamp-2 text-sm text-gray-600 dark:text-gray-400">{t.description}</p>
                <div className="mt-3 flex flex-wrap gap-2 text-xs">
                  <Badge>{plural(t._count.members, "member")}</Badge>
                  <Badge color="blue">{plural(t._count.services, "service")}</Badge>
                  {t.onCallName ? <Badge color="green">on-call: {t.onCallName}</Badge> : <Badge color="yellow">no on-call</Badge>}
                </div>
              </li>
            ))}
          </ul>
        )}
      </Card>
    </>
  );
}
