"use client";
// The star on service and entity pages: the signed-in user's own mark, listed under the catalog's "Starred" view.
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { Button } from "@/app/_components/ui";
import { useTRPC } from "@/app/_lib/trpc";

export function StarButton({ slug, starred: initial }: { slug: string; starred: boolean }) {
  const trpc = useTRPC();
  const [starred, setStarred] = useState(initial);
  const toggle = useMutation(trpc.catalog.setStar.mutationOptions({ onSuccess: (r) => setStarred(r.starred) }));
  return (
    <Button
      variant="secondary"
      aria-pressed={starred}
      disabled={toggle.isPending}
      onClick={() => toggle.mutate({ slug, starred: !starred })}
      title={toggle.error ? toggle.error.message : undefined}
    >
      <span aria-hidden="true">{starred ? "★" : "☆"}</span> {starred ? "Starred" : "Star"}
    </Button>
  );
}
