// Links to imported Backstage entities: /catalog/entity/<kind>/<namespace>/<name>, the name exactly as written.
import Link from "next/link";
import { Badge } from "@/app/_components/ui";

export const entityHref = (e: { kind: string; namespace: string; name: string }) =>
  `/catalog/entity/${encodeURIComponent(e.kind.toLowerCase())}/${encodeURIComponent(e.namespace)}/${encodeURIComponent(e.name)}`;

/** A relation's target: a link when it is in the catalog, the ref with an "unresolved" badge when it is not. */
export function EntityRefLink({ target }: { target: { kind: string; namespace: string; name: string; ref: string; resolved: boolean; pierPage?: string } }) {
  if (!target.resolved)
    return (
      <span className="inline-flex items-center gap-2">
        <code className="text-xs">{target.ref}</code>
        <Badge color="yellow" title="Not in the catalog (yet): resolved automatically when it is imported">
          unresolved
        </Badge>
      </span>
    );
  return (
    <Link href={target.pierPage ?? entityHref(target)} className="font-medium text-brand-700 hover:underline dark:text-brand-300">
      {target.name}
      <span className="ml-1 text-xs text-gray-500 dark:text-gray-400">
        {target.kind}
        {target.namespace !== "default" ? ` · ${target.namespace}` : ""}
      </span>
    </Link>
  );
}
