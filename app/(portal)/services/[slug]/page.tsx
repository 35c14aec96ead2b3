// The service page, in tabs (?tab=…): overview (ownership and on-call, environments, dependencies both ways,
// impact) and the sections other areas fill (deployments with the outcome tracker, DORA, incidents, activity).
import type { Metadata } from "next";
import Link from "next/link";
import { serverCaller } from "@/app/_lib/server-caller";
import { findService, orNotFound } from "@/app/_lib/page-records";
import { DateTime } from "@/app/_components/time";
import { Badge, Card, EmptyState, LinkButton, PageHeader, Table, Td } from "@/app/_components/ui";
import { LifecycleBadge, ServiceLink, TierBadge } from "../../catalog/_components/catalog-badges";
import { entityHref } from "../../catalog/_components/entity-links";
import { StarButton } from "../../catalog/_components/star-button";
import { DeliveryActivitySection } from "./delivery-activity-section";
import { DeploymentsSection } from "./deployments-section";
import { DoraSection } from "./dora-section";
import { EditService } from "./edit-service";
import { IncidentAliases } from "./incident-aliases";
import { IncidentsSection } from "./incidents-section";
import { DeploymentTracker } from "./deployment-tracker";
import { SERVICE_TABS, ServiceTabs, serviceTab } from "./service-tabs";

type Props = { params: Promise<{ slug: string }>; searchParams?: Promise<Record<string, string | string[] | undefined>> };

export async function generateMetadata({ params, searchParams }: Props): Promise<Metadata> {
  const service = await findService((await params).slug);
  const current = serviceTab((await searchParams)?.tab);
  const tab = SERVICE_TABS.find((t) => t.id === current);
  return { title: service ? (tab && tab.id !== "overview" ? `${service.name} · ${tab.label}` : service.name) : "Not found" };
}

export default async function ServicePage({ params, searchParams }: Props) {
  const { slug } = await params;
  const tab = serviceTab((await searchParams)?.tab);
  const api = await serverCaller();
  // Read in parallel with the service; for an unknown slug it fails too, and the 404 below is what the user sees.
  const impactRead = tab === "overview" ? api.catalog.impact({ slug, limit: 200 }) : null;
  impactRead?.catch(() => undefined);
  const service = orNotFound(await findService(slug));
  const impact = await impactRead;
  const { starred } = await api.catalog.starred({ slug: service.slug });
  const outcomes = tab === "deployments" ? await api.deployments.recentOutcomes({ serviceId: service.id, limit: 60 }) : null;

  return (
    <div className="space-y-4">
      <PageHeader
        title={service.name}
        description={
          <span className="flex flex-wrap items-center gap-2">
            <code className="text-xs">{service.slug}</code>
            <TierBadge tier={service.tier} />
            <LifecycleBadge lifecycle={service.lifecycle} />
            <Badge>{service.kind === "Component" ? service.type : `${service.kind} · ${service.type}`}</Badge>
            {service.language && <Badge>{service.language}</Badge>}
          </span>
        }
        actions={
          <>
            <StarButton slug={service.slug} starred={starred} />
            <LinkButton href={`/api/catalog/export?service=${encodeURIComponent(service.slug)}`}>catalog-info.yaml</LinkButton>
          </>
        }
      />

      <ServiceTabs slug={service.slug} current={tab} />

      {tab === "overview" && impact && <OverviewTab service={service} impact={impact} />}

      {tab === "deployments" && outcomes && (
        <>
          <Card title="Recent outcomes (all environments)">
            {outcomes.items.length === 0 ? (
              <EmptyState title="No deployments recorded yet">Deployments through Pier or reported by delivery tools show here.</EmptyState>
            ) : (
              <DeploymentTracker items={outcomes.items} counts={outcomes.counts} />
            )}
          </Card>
          <DeploymentsSection serviceId={service.id} serviceName={service.name} />
        </>
      )}
      {tab === "dora" && <DoraSection serviceId={service.id} serviceName={service.name} />}
      {tab === "incidents" && <IncidentsSection serviceId={service.id} serviceName={service.name} />}
      {tab === "activity" && <DeliveryActivitySection serviceId={service.id} serviceName={service.name} />}
    </div>
  );
}

type Service = NonNullable<Awaited<ReturnType<typeof findService>>>;
type Impact = Awaited<ReturnType<Awaited<ReturnType<typeof serverCaller>>["catalog"]["impact"]>>;

/** The Overview tab: description and links, ownership, editing, environments, dependencies both ways, impact. */
function OverviewTab({ service, impact }: { service: Service; impact: Impact }) {
  return (
    <>
      <div className="grid gap-4 lg:grid-cols-3">
        <Card title="Overview" className="lg:col-span-2">
          <p data-testid="service-description" className="text-sm whitespace-pre-line">
            {service.description || <span className="text-gray-500 dark:text-gray-400">No description yet.</span>}
          </p>
          {service.tags.length > 0 && (
            <div className="mt-3 flex flex-wrap gap-1">
              {service.tags.map((t) => (
                <Link key={t} href={`/catalog?tag=${encodeURIComponent(t)}`}>
                  <Badge>{t}</Badge>
                </Link>
              ))}
            </div>
          )}
          <ul className="mt-3 space-y-1 text-sm">
            {service.repositoryUrl && <ExternalLink href={service.repositoryUrl} label="Repository" />}
            {service.runbookUrl && <ExternalLink href={service.runbookUrl} label="Runbook" />}
            {service.links.map((l) => (
              <ExternalLink key={l.url} href={l.url} label={l.title} />
            ))}
            {service.system && (
              <li className="text-gray-500 dark:text-gray-400">
                System:{" "}
                {service.systemEntity ? (
                  <Link href={entityHref(service.systemEntity)} className="text-brand-700 hover:underline dark:text-brand-300">
                    {service.system}
                  </Link>
                ) : (
                  service.system
                )}
              </li>
            )}
            {service.entity && (
              <li>
                <Link href={entityHref(service.entity)} className="text-brand-700 hover:underline dark:text-brand-300">
                  Backstage entity: relations, labels and annotations
                </Link>
              </li>
            )}
          </ul>
        </Card>

        <Card title="Ownership">
          <p className="text-sm">
            Owned by{" "}
            <Link href={`/teams/${service.team.slug}`} className="font-medium text-brand-700 hover:underline dark:text-brand-300">
              {service.team.name}
            </Link>
          </p>
          <p className="mt-2 text-sm">
            On-call:{" "}
            {service.team.onCallName || service.team.onCallUrl ? (
              service.team.onCallUrl ? (
                <a href={service.team.onCallUrl} className="text-brand-700 hover:underline dark:text-brand-300" rel="noreferrer" target="_blank">
                  {service.team.onCallName ?? service.team.onCallUrl}
                </a>
              ) : (
                service.team.onCallName
              )
            ) : (
              <Badge color="yellow">no on-call contact</Badge>
            )}
          </p>
          <ul className="mt-2 space-y-0.5 text-sm text-gray-600 dark:text-gray-400">
            {service.team.members.map((m) => (
              <li key={m.user.id}>
                {m.user.name} {m.role === "lead" && <Badge>lead</Badge>}
              </li>
            ))}
            {service.team.members.length === 0 && (
              <li>
                <Badge color="yellow">the team has no members</Badge>
              </li>
            )}
          </ul>
        </Card>
      </div>

      <EditService service={service} />

      <IncidentAliases slug={service.slug} aliases={service.incidentAliases} canEdit={service.canEdit} />

      <Card id="environments" title="Environments">
        {service.environments.length === 0 ? (
          <EmptyState title="Not running anywhere yet" />
        ) : (
          <Table head={["Environment", "Version", "Deployed", "By"]}>
            {service.environments.map((e) => (
              <tr key={e.id}>
                <Td>
                  {e.name} {e.isProduction && <Badge color="red">production</Badge>}
                </Td>
                <Td>
                  <code>{e.currentVersion ?? "—"}</code>
                </Td>
                <Td>
                  <DateTime value={e.lastDeployedAt} />
                </Td>
                <Td>{e.lastDeployedBy ?? "—"}</Td>
              </tr>
            ))}
          </Table>
        )}
      </Card>

      <div className="grid gap-4 md:grid-cols-2">
        <Card title={`Depends on (${service.upstream.length})`}>
          <DependencyList items={service.upstream} empty="Depends on nothing in the catalog." />
        </Card>
        <Card title={`Used by (${service.downstream.length})`}>
          <DependencyList items={service.downstream} empty="Nothing in the catalog depends on it." />
        </Card>
      </div>

      <Card id="impact" title={`Impact: ${impact.total} ${impact.total === 1 ? "service depends" : "services depend"} on it, directly or transitively`}>
        {impact.total === 0 ? (
          <EmptyState title="No dependents">A change or outage here affects no other catalogued service.</EmptyState>
        ) : (
          <ul className="grid gap-1 text-sm sm:grid-cols-2 lg:grid-cols-3">
            {impact.items.map((s) => (
              <li key={s.id} className="flex flex-wrap items-center gap-2">
                <ServiceLink slug={s.slug} name={s.name} />
                <TierBadge tier={s.tier} />
                {s.direct ? <Badge color="blue">direct</Badge> : <Badge>transitive</Badge>}
              </li>
            ))}
            {impact.total > impact.items.length && <li className="text-gray-500 dark:text-gray-400">…and {impact.total - impact.items.length} more</li>}
          </ul>
        )}
      </Card>
    </>
  );
}

function ExternalLink({ href, label }: { href: string; label: string }) {
  return (
    <li>
      <a href={href} target="_blank" rel="noreferrer" className="text-brand-700 hover:underline dark:text-brand-300">
        {label}
      </a>
    </li>
  );
}

function DependencyList({
  items,
  empty,
}: {
  items: { id: string; slug: string; name: string; tier: number; lifecycle: string; dependencyKind: string }[];
  empty: string;
}) {
  if (!items.length) return <p className="text-sm text-gray-500 dark:text-gray-400">{empty}</p>;
  return (
    <ul className="space-y-1 text-sm">
      {items.map((d) => (
        <li key={d.id} className="flex flex-wrap items-center gap-2">
          <ServiceLink slug={d.slug} name={d.name} />
          <Badge>{d.dependencyKind}</Badge>
          {d.lifecycle === "deprecated" && <LifecycleBadge lifecycle="deprecated" />}
        </li>
      ))}
    </ul>
  );
}
