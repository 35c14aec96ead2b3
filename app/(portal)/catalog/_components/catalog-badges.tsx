// Small shared bits of catalog UI: lifecycle/tier badges and a link to a service.
import Link from "next/link";
import { Badge, type BadgeColor } from "@/app/_components/ui";

const LIFECYCLE_COLOR: Record<string, BadgeColor> = { production: "green", experimental: "blue", deprecated: "yellow" };

export function LifecycleBadge({ lifecycle }: { lifecycle: string }) {
  return <Badge color={LIFECYCLE_COLOR[lifecycle] ?? "gray"}>{lifecycle}</Badge>;
}

export function TierBadge({ tier }: { tier: number }) {
  return (
    <Badge color={tier === 1 ? "red" : tier === 2 ? "purple" : "gray"} title="Tier 1 is the most critical">
      Tier {tier}
    </Badge>
  );
}

export function ServiceLink({ slug, name }: { slug: string; name: string }) {
  return (
    <Link href={`/services/${slug}`} className="font-medium text-brand-700 hover:underline dark:text-brand-300">
      {name}
    </Link>
  );
}
