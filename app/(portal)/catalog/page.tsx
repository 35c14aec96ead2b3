// The catalog: search, filters, sorting and paging all live in the URL (a plain GET form), so a filtered view
// can be bookmarked or shared and works without client JavaScript.
import Link from "next/link";
import { serverCaller } from "@/app/_lib/server-caller";
import { plural } from "@/app/_lib/plural";
import { Badge, Button, EmptyState, Input, LinkButton, PageHeader, Select, Table, Td } from "@/app/_components/ui";
import { catalogSearchInput } from "@/server/catalog/catalog-search";
import { LifecycleBadge, ServiceLink, TierBadge } from "./_components/catalog-badges";
import { InstantFilters } from "./_components/instant-filters";

export const metadata = { title: "Catalog" };

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

const FILTER_KEYS = ["q", "scope", "team", "tier", "lifecycle", "type", "kind", "system", "tag", "sort", "page"] as const;

export default async function CatalogPage({ searchParams }: { searchParams: SearchParams }) {
  const raw = await searchParams;
  const params: Record<string, string> = {};
  for (const k of FILTER_KEYS) {
    const v = raw[k];
    const s = Array.isArray(v) ? v[0] : v;
    if (s) params[k] = s;
  }
  // Bad values in a hand-edited URL fall back to defaults rather than an error page.
  const parsed = catalogSearchInput.safeParse(params);
  const input = parsed.success ? parsed.data : catalogSearchInput.parse({});
  const api = await serverCaller();
  const [result, facets] = await Promise.all([api.catalog.search(input), api.catalog.facets()]);

  const hrefWith = (changes: Record<string, string | undefined>) => {
    const next = new URLSearchParams({ ...params, ...changes } as Record<string, string>);
    for (const [k, v] of [...next.entries()]) if (!v || v === "undefined") next.delete(k);
    return `/catalog?${next.toString()}`;
  };
  const filtered = Object.keys(params).some((k) => k !== "sort" && k !== "page" && k !== "scope");
  const scopes = [
    ["all", "All"],
    ["mine", "Owned by my teams"],
    ["starred", "Starred"],
  ] as const;

  return (
    <div>
      <PageHeader
        title="Service catalog"
        description="Every service, who owns it, what it depends on and what runs where."
        actions={
          <>
            <LinkButton href="/catalog/entities">Backstage entities</LinkButton>
            <LinkButton href="/catalog/health">Ownership health</LinkButton>
            <LinkButton href="/catalog/environments">Environments</LinkButton>
            <LinkButton href="/catalog/import">Import / export</LinkButton>
            <LinkButton href="/catalog/locations">Locations</LinkButton>
            <LinkButton href="/catalog/new" variant="primary">
              New service
            </LinkButton>
          </>
        }
      />
      <nav aria-label="Whose services" className="mb-3 flex gap-1">
        {scopes.map(([scope, label]) => (
          <Link
            key={scope}
            href={hrefWith({ scope: scope === "all" ? undefined : scope, page: undefined })}
            aria-current={input.scope === scope ? "page" : undefined}
            className="rounded-md px-3 py-1.5 text-sm font-medium text-gray-700 hover:bg-gray-100 aria-[current=page]:bg-brand-600 aria-[current=page]:text-white dark:text-gray-300 dark:hover:bg-gray-800"
          >
            {label}
          </Link>
        ))}
      </nav>
      <form method="get" action="/catalog" role="search" className="mb-4 grid grid-cols-2 gap-2 sm:grid-cols-4 lg:grid-cols-8">
        <div className="col-span-2 sm:col-span-4 lg:col-span-2">
          <label htmlFor="q" className="sr-only">
            Search services
          </label>
          <Input id="q" name="q" type="search" defaultValue={input.q} placeholder="Search name, description, tags…" />
        </div>
        <FilterSelect name="team" label="Team" value={input.team} options={facets.teams.map((t) => [t.slug, t.name])} />
        <FilterSelect
          name="tier"
          label="Tier"
          value={input.tier?.toString()}
          options={[
            ["1", "Tier 1"],
            ["2", "Tier 2"],
            ["3", "Tier 3"],
          ]}
        />
        <FilterSelect name="lifecycle" label="Lifecycle" value={input.lifecycle} options={["experimental", "production", "deprecated"].map((l) => [l, l])} />
        <FilterSelect name="type" label="Type" value={input.type} options={facets.types.map((t) => [t, t])} />
        {facets.systems.length > 0 && <FilterSelect name="system" label="System" value={input.system} options={facets.systems.map((t) => [t, t])} />}
        <FilterSelect name="tag" label="Tag" value={input.tag} options={facets.tags.map((t) => [t.tag, `${t.tag} (${t.count})`])} />
        <FilterSelect
          name="sort"
          label="Sort"
          value={input.sort}
          options={[
            ["relevance", "Best match"],
            ["name", "Name"],
            ["updated", "Recently changed"],
            ["tier", "Tier"],
          ]}
          all={false}
        />
        {input.kind && <input type="hidden" name="kind" value={input.kind} />}
        {input.scope !== "all" && <input type="hidden" name="scope" value={input.scope} />}
        <div className="col-span-2 flex gap-2 sm:col-span-4 lg:col-span-8">
          <InstantFilters />
          {/* Filters apply as they change (InstantFilters hides this); without JavaScript the button submits. */}
          <Button type="submit" data-fallback-submit>
            Search
          </Button>
          {filtered && <LinkButton href="/catalog">Clear</LinkButton>}
          <p className="ml-auto self-center text-sm text-gray-500 dark:text-gray-400" aria-live="polite">
            {/* Broad searches are counted only up to a cap: "1,000+ services". */}
            {result.totalCapped ? `${result.total.toLocaleString("en-GB")}+ services` : plural(result.total, "service")}
          </p>
        </div>
      </form>

      {result.items.length === 0 ? (
        <EmptyState title={filtered || input.scope !== "all" ? "No services match" : "The catalog is empty"}>
          {input.scope === "starred" && !filtered ? (
            "Star a service on its page to find it here."
          ) : input.scope === "mine" && !filtered ? (
            "None of your teams owns a service yet."
          ) : filtered ? (
            "Try fewer words or clear a filter."
          ) : (
            <Link href="/catalog/new">Add the first service</Link>
          )}
        </EmptyState>
      ) : (
        <Table head={["Service", "Team", "Tier", "Lifecycle", "Type", "Tags"]} caption="Services">
          {result.items.map((s) => (
            <tr key={s.id}>
              <Td className="whitespace-normal">
                <ServiceLink slug={s.slug} name={s.name} />
                {s.kind !== "Component" && (
                  <span className="ml-2">
                    <Badge>{s.kind}</Badge>
                  </span>
                )}
                <p className="line-clamp-1 max-w-md text-xs text-gray-500 dark:text-gray-400">{s.description}</p>
              </Td>
              <Td>
                <Link href={`/teams/${s.teamSlug}`} className="hover:underline">
                  {s.teamName}
                </Link>
              </Td>
              <Td>
                <TierBadge tier={s.tier} />
              </Td>
              <Td>
                <LifecycleBadge lifecycle={s.lifecycle} />
              </Td>
              <Td>{s.type}</Td>
              <Td className="whitespace-normal">
                <div className="flex flex-wrap gap-1">
                  {s.tags.slice(0, 4).map((t) => (
                    <Link key={t} href={hrefWith({ tag: t, page: undefined })}>
                      <Badge>{t}</Badge>
                    </Link>
                  ))}
                </div>
              </Td>
            </tr>
          ))}
        </Table>
      )}

      {(result.page > 1 || result.hasMore) && (
        <nav aria-label="Pages" className="mt-4 flex items-center justify-between text-sm">
          {result.page > 1 ? <Link href={hrefWith({ page: String(Math.min(result.page - 1, result.pageCount ?? Infinity)) })}>← Previous</Link> : <span />}
          <span className="text-gray-500 dark:text-gray-400">
            {/* With a capped count the number of pages is unknown: "Page 3", and Next while there is more. */}
            Page {result.page}
            {result.pageCount !== null && ` of ${result.pageCount}`}
          </span>
          {result.hasMore ? <Link href={hrefWith({ page: String(result.page + 1) })}>Next →</Link> : <span />}
        </nav>
      )}
    </div>
  );
}

function FilterSelect({
  name,
  label,
  value,
  options,
  all = true,
}: {
  name: string;
  label: string;
  value?: string;
  options: [string, string][];
  all?: boolean;
}) {
  return (
    <div>
      <label htmlFor={`f-${name}`} className="sr-only">
        {label}
      </label>
      <Select id={`f-${name}`} name={name} defaultValue={value ?? ""} aria-label={label}>
        {all && <option value="">{`Any ${label.toLowerCase()}`}</option>}
        {options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </Select>
    </div>
  );
}
