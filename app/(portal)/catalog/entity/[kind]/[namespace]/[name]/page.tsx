// An imported Backstage entity: its metadata (labels, annotations, tags, links with icon and type), what it declares
// about itself, its relations both ways (unresolved ones flagged), the members of a System or Domain, an API's
// providers, consumers and definition, a Group's profile and members.
import type { Metadata } from "next";
import Link from "next/link";
import { findEntity, orNotFound } from "@/app/_lib/page-records";
import { serverCaller } from "@/app/_lib/server-caller";
import { Badge, Card, EmptyState, LinkButton, PageHeader, Table, Td } from "@/app/_components/ui";
import { ApiDefinition } from "../../../../_components/api-definition";
import { EntityRefLink } from "../../../../_components/entity-links";
import { RelationsGraph } from "../../../../_components/relations-graph";
import { EntityOrigin } from "../../../../locations/entity-origin";
import { StarButton } from "../../../../_components/star-button";

type Props = { params: Promise<{ kind: string; namespace: string; name: string }> };

async function read(params: Props["params"]) {
  const p = await params;
  return findEntity(decodeURIComponent(p.kind), decodeURIComponent(p.namespace), decodeURIComponent(p.name));
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const e = await read(params);
  return { title: e ? (e.entity.metadata.title ?? e.name) : "Not found" };
}

const RELATION_LABELS: Record<string, string> = {
  ownedBy: "Owned by",
  partOf: "Part of",
  providesApi: "Provides API",
  consumesApi: "Consumes API",
  dependsOn: "Depends on",
  dependencyOf: "Dependency of",
  childOf: "Child of",
  parentOf: "Parent of",
  hasMember: "Has member",
  memberOf: "Member of",
  ownerOf: "Owner of",
  hasPart: "Has part",
  apiProvidedBy: "Provided by",
  apiConsumedBy: "Consumed by",
};

type Rel = Awaited<ReturnType<typeof read>> extends infer E ? (E extends { relations: (infer R)[] } ? R : never) : never;

function RelationTable({ rows, caption }: { rows: Rel[]; caption: string }) {
  return (
    <Table head={["Relation", "Entity"]} caption={caption}>
      {rows.map((r) => (
        <tr key={`${r.type}|${r.ref}`}>
          <Td>{RELATION_LABELS[r.type] ?? r.type}</Td>
          <Td>
            <EntityRefLink target={r} />
          </Td>
        </tr>
      ))}
    </Table>
  );
}

export default async function EntityPage({ params }: Props) {
  const e = orNotFound(await read(params));
  const { metadata, spec = {} } = e.entity;
  const labels = Object.entries((metadata.labels ?? {}) as Record<string, string>);
  const annotations = Object.entries(metadata.annotations ?? {});
  const specLine = ["type", "lifecycle"].filter((k) => typeof spec[k] === "string").map((k) => [k, String(spec[k])]);
  const members = e.inverse.filter((r) => r.type === "hasPart");
  const providers = e.inverse.filter((r) => r.type === "apiProvidedBy");
  const consumers = e.inverse.filter((r) => r.type === "apiConsumedBy");
  const profile = (spec.profile ?? {}) as { displayName?: string; email?: string; picture?: string };
  const others = e.inverse.filter((r) => !["hasPart", "apiProvidedBy", "apiConsumedBy"].includes(r.type));
  // An entity that is a Pier service is starred as that service.
  const star = e.serviceSlug ? await (await serverCaller()).catalog.starred({ slug: e.serviceSlug }) : null;
  const viewer = e.pierUser ? await (await serverCaller()).identity.session() : null;

  return (
    <div className="space-y-4">
      <PageHeader
        title={metadata.title ?? profile.displayName ?? e.name}
        description={
          <span className="flex flex-wrap items-center gap-2">
            <Badge color="purple">{e.kind}</Badge>
            <code className="text-xs">{e.ref}</code>
            {specLine.map(([k, v]) => (
              <Badge key={k} title={k}>
                {v}
              </Badge>
            ))}
          </span>
        }
        actions={
          <>
            {e.serviceSlug && star && <StarButton slug={e.serviceSlug} starred={star.starred} />}
            {e.serviceSlug && <LinkButton href={`/services/${e.serviceSlug}`}>Pier service</LinkButton>}
            {e.teamSlug && <LinkButton href={`/teams/${e.teamSlug}`}>Pier team</LinkButton>}
          </>
        }
      />

      <EntityOrigin entityRef={e.ref} />

      <div className="grid gap-4 lg:grid-cols-3">
        <Card title="Overview" className="lg:col-span-2">
          <p className="text-sm whitespace-pre-line">{metadata.description || <span className="text-gray-500 dark:text-gray-400">No description.</span>}</p>
          {(metadata.tags ?? []).length > 0 && (
            <div className="mt-3 flex flex-wrap gap-1">
              {metadata.tags!.map((t) => (
                <Badge key={t}>{t}</Badge>
              ))}
            </div>
          )}
          {(metadata.links ?? []).length > 0 && (
            <ul className="mt-3 space-y-1 text-sm">
              {metadata.links!.map((l) => (
                <li key={l.url}>
                  {/^(https?|mailto):/i.test(l.url) ? (
                    <a href={l.url} rel="noreferrer noopener" target="_blank" className="text-brand-700 underline dark:text-brand-300">
                      {l.title ?? l.url}
                    </a>
                  ) : (
                    <code className="text-xs">{l.url}</code>
                  )}
                  {(l.type || l.icon) && (
                    <span className="ml-2 text-xs text-gray-500 dark:text-gray-400">{[l.type, l.icon && `icon: ${l.icon}`].filter(Boolean).join(" · ")}</span>
                  )}
                </li>
              ))}
            </ul>
          )}
        </Card>
        <Card title={e.kind === "Group" || e.kind === "User" ? "Profile" : "Labels and annotations"}>
          {(profile.email || profile.picture) && (
            <div className="mb-3 flex items-center gap-3 text-sm">
              {profile.picture && /^https?:/i.test(profile.picture) && (
                // eslint-disable-next-line @next/next/no-img-element -- an external avatar URL from the catalog file
                <img src={profile.picture} alt="" className="h-10 w-10 rounded-full" />
              )}
              {profile.email && <a href={`mailto:${profile.email}`}>{profile.email}</a>}
            </div>
          )}
          {e.pierUser && <PierAccount {...e.pierUser} email={profile.email} isAdmin={viewer?.role === "admin"} />}
          {labels.length + annotations.length === 0 ? (
            <p className="text-sm text-gray-500 dark:text-gray-400">None.</p>
          ) : (
            <dl className="space-y-1 text-xs">
              {[...labels.map(([k, v]) => ["label", k, v]), ...annotations.map(([k, v]) => ["annotation", k, v])].map(([what, k, v]) => (
                <div key={`${what}|${k}`} className="break-all">
                  {/* Only dt and dd may sit in a dl's group (axe: definition-list): the colon belongs to the term. */}
                  <dt className="inline font-mono text-gray-500 dark:text-gray-400">{k}:</dt>
                  <dd className="ml-1 inline">{v}</dd>
                </div>
              ))}
            </dl>
          )}
        </Card>
      </div>

      {(e.kind === "System" || e.kind === "Domain") && (
        <Card title={e.kind === "System" ? "Components, APIs and resources" : "Systems"}>
          {members.length ? <RelationTable rows={members} caption="Members" /> : <EmptyState title="No members yet" />}
        </Card>
      )}

      {e.kind === "API" && (
        <>
          <div className="grid gap-4 lg:grid-cols-2">
            <Card title="Providers">
              {providers.length ? <RelationTable rows={providers} caption="Providers" /> : <EmptyState title="No component provides it" />}
            </Card>
            <Card title="Consumers">
              {consumers.length ? <RelationTable rows={consumers} caption="Consumers" /> : <EmptyState title="No component consumes it" />}
            </Card>
          </div>
          {typeof spec.definition === "string" && (
            <Card title="Definition">
              <ApiDefinition type={String(spec.type)} definition={spec.definition} />
            </Card>
          )}
        </>
      )}

      {e.relations.length + e.inverse.length > 0 && (
        <Card title="Relations graph">
          <RelationsGraph center={{ ref: e.ref, kind: e.kind, name: e.name }} outgoing={e.relations} incoming={e.inverse} />
        </Card>
      )}

      <div className="grid gap-4 lg:grid-cols-2">
        <Card title="Relations">
          {e.relations.length ? <RelationTable rows={e.relations} caption="Relations this entity declares" /> : <EmptyState title="None declared" />}
        </Card>
        <Card title="Referenced by">
          {others.length ? <RelationTable rows={others} caption="Relations other entities declare" /> : <EmptyState title="Nothing points here" />}
        </Card>
      </div>
      <p className="text-xs text-gray-500 dark:text-gray-400">
        <Link href="/catalog/entities" className="hover:underline">
          All Backstage entities
        </Link>
      </p>
    </div>
  );
}

/** A User entity's Pier account (server/catalog/user-mapping.ts): linked, unmatched, or the mapping is off. */
function PierAccount({
  mapping,
  account,
  email,
  isAdmin,
}: {
  mapping: boolean;
  account: { id: string; name: string; email: string } | null;
  email?: string;
  isAdmin: boolean;
}) {
  let text;
  if (account)
    text = (
      <>
        Pier user:{" "}
        {isAdmin ? (
          <Link href={`/admin/users#user-${account.id}`} className="text-brand-700 underline dark:text-brand-300">
            {account.name}
          </Link>
        ) : (
          <span className="font-medium">{account.name}</span>
        )}{" "}
        <span className="text-gray-500 dark:text-gray-400">({account.email})</span>; their team memberships follow this User&apos;s memberOf.
      </>
    );
  else if (!mapping) text = <>Not mapped to a Pier user: mapping catalog Users by e-mail is off (Admin → Users).</>;
  else if (!email) text = <>Not mapped to a Pier user: the entity gives no spec.profile.email.</>;
  else text = <>Not mapped: no active Pier user has the e-mail {email}.</>;
  return (
    <p className="mb-3 text-sm" data-testid="pier-account">
      {text}
    </p>
  );
}
