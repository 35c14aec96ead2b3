// A team: its members, on-call contact and the services it owns.
import type { Metadata } from "next";
import Link from "next/link";
import { findTeam, orNotFound } from "@/app/_lib/page-records";
import { currentUser } from "@/app/_lib/server-caller";
import { Badge, Card, EmptyState, LinkButton, PageHeader, Table, Td } from "@/app/_components/ui";
import { canAdminister } from "@/server/identity/access";
import { AddMemberForm, RemoveMemberButton, TeamDetailsForm } from "./team-editor";
import { LifecycleBadge, ServiceLink, TierBadge } from "../../catalog/_components/catalog-badges";

type Props = { params: Promise<{ slug: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const team = await findTeam((await params).slug);
  return { title: team ? team.name : "Not found" };
}

export default async function TeamPage({ params }: Props) {
  const team = orNotFound(await findTeam((await params).slug));
  const user = await currentUser();
  const admin = !!user && canAdminister(user);
  return (
    <div className="space-y-4">
      <PageHeader
        title={team.name}
        description={team.description || undefined}
        actions={admin ? <LinkButton href="/teams/new">New team</LinkButton> : undefined}
      />
      <div className="grid gap-4 md:grid-cols-2">
        <Card title="On-call">
          {team.onCallName || team.onCallUrl ? (
            <p className="text-sm">
              {team.onCallUrl ? (
                <a href={team.onCallUrl} target="_blank" rel="noreferrer" className="text-brand-700 hover:underline dark:text-brand-300">
                  {team.onCallName ?? team.onCallUrl}
                </a>
              ) : (
                team.onCallName
              )}
            </p>
          ) : (
            <EmptyState title="No on-call contact">Services of this team show up in the ownership health report until one is set.</EmptyState>
          )}
          {team.chatChannel && (
            <p className="mt-2 text-sm">
              Chat:{" "}
              {/^https?:\/\//.test(team.chatChannel) ? (
                <a href={team.chatChannel} target="_blank" rel="noreferrer" className="text-brand-700 hover:underline dark:text-brand-300">
                  {team.chatChannel}
                </a>
              ) : (
                <code>{team.chatChannel}</code>
              )}
            </p>
          )}
        </Card>
        <Card title={`Members (${team.members.length})`}>
          {team.members.length === 0 ? (
            <EmptyState title="No members" />
          ) : (
            <ul className="space-y-1 text-sm">
              {team.members.map((m) => (
                <li key={m.user.id} className="flex flex-wrap items-center gap-2">
                  {m.user.name} <span className="text-gray-500 dark:text-gray-400">{m.user.email}</span>
                  {m.role === "lead" && <Badge color="blue">lead</Badge>}
                  {admin && <RemoveMemberButton slug={team.slug} userId={m.user.id} name={m.user.name} />}
                </li>
              ))}
            </ul>
          )}
          {admin && <AddMemberForm slug={team.slug} />}
        </Card>
      </div>
      {admin && (
        <Card title="Edit team">
          <TeamDetailsForm team={team} />
        </Card>
      )}
      <Card title={`Services (${team.services.length})`}>
        {team.services.length === 0 ? (
          <EmptyState title="Owns no services yet">
            <Link href="/catalog/new">Add one</Link>
          </EmptyState>
        ) : (
          <Table head={["Service", "Tier", "Lifecycle", "Type"]}>
            {team.services.map((s) => (
              <tr key={s.id}>
                <Td className="whitespace-normal">
                  <ServiceLink slug={s.slug} name={s.name} />
                  <p className="line-clamp-1 text-xs text-gray-500 dark:text-gray-400">{s.description}</p>
                </Td>
                <Td>
                  <TierBadge tier={s.tier} />
                </Td>
                <Td>
                  <LifecycleBadge lifecycle={s.lifecycle} />
                </Td>
                <Td>{s.kind === "Component" ? s.type : `${s.kind} · ${s.type}`}</Td>
              </tr>
            ))}
          </Table>
        )}
      </Card>
    </div>
  );
}
