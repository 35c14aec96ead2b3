// Every imported Backstage entity (Systems, Domains, APIs, Resources, Groups, Users, Locations, Components…), by
// kind, with the unresolved relations of the catalog: the references whose target has not been imported yet.
import Link from "next/link";
import { serverCaller } from "@/app/_lib/server-caller";
import { Badge, Card, EmptyState, PageHeader, Table, Td, cx } from "@/app/_components/ui";
import { SUPPORTED_KINDS } from "@/server/catalog/backstage-schema";
import { entityHref } from "../_components/entity-links";

export const metadata = { title: "Backstage entities" };

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

export default async function EntitiesPage({ searchParams }: { searchParams: SearchParams }) {
  const raw = (await searchParams).kind;
  const kind = (SUPPORTED_KINDS as readonly string[]).find((k) => k === (Array.isArray(raw) ? raw[0] : raw));
  const api = await serverCaller();
  const [entities, unresolved, counts] = await Promise.all([api.catalog.entities({ kind }), api.catalog.unresolvedRelations(), api.catalog.entityKindCounts()]);
  const all = Object.values(counts).reduce((a, b) => a + b, 0);
  return (
    <div className="space-y-4">
      <PageHeader
        title="Backstage entities"
        description="Everything imported from catalog-info.yaml files, as Backstage identifies it: kind, namespace and name."
      />
      <nav aria-label="Kinds" className="flex flex-wrap gap-2 text-sm">
        {[undefined, ...SUPPORTED_KINDS].map((k) => (
          <Link
            key={k ?? "all"}
            href={k ? `/catalog/entities?kind=${k}` : "/catalog/entities"}
            aria-current={k === kind ? "page" : undefined}
            className={cx("rounded-md border px-2 py-1", k === kind ? "border-brand-500 font-medium" : "border-gray-200 dark:border-gray-800")}
          >
            {k ?? "All"} <span className="text-gray-500 dark:text-gray-400">({(k ? (counts[k] ?? 0) : all).toLocaleString("en-GB")})</span>
          </Link>
        ))}
      </nav>
      {entities.length === 0 ? (
        <EmptyState title="No entities">
          Import a catalog-info.yaml on <Link href="/catalog/import">the import page</Link>.
        </EmptyState>
      ) : (
        <Table head={["Entity", "Kind", "Namespace", "Description"]} caption="Imported entities">
          {entities.map((e) => (
            <tr key={e.ref}>
              <Td>
                <Link href={entityHref(e)} className="font-medium text-brand-700 hover:underline dark:text-brand-300">
                  {e.title ?? e.name}
                </Link>
              </Td>
              <Td>
                <Badge color="purple">{e.kind}</Badge>
              </Td>
              <Td>{e.namespace}</Td>
              <Td className="whitespace-normal">{e.description}</Td>
            </tr>
          ))}
        </Table>
      )}
      {unresolved.length > 0 && (
        <Card title={`Unresolved relations (${unresolved.length})`}>
          <p className="mb-2 text-xs text-gray-500 dark:text-gray-400">Resolved automatically when the target entity is imported.</p>
          <Table head={["From", "Relation", "To"]} caption="Unresolved relations">
            {unresolved.slice(0, 200).map((r) => (
              <tr key={`${r.sourceRef}|${r.type}|${r.targetRef}`}>
                <Td>
                  <code className="text-xs">{r.sourceRef}</code>
                </Td>
                <Td>{r.type}</Td>
                <Td>
                  <code className="text-xs">{r.targetRef}</code>
                </Td>
              </tr>
            ))}
          </Table>
        </Card>
      )}
    </div>
  );
}
