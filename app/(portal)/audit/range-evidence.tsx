"use client";
import { useState } from "react";
import { Field, Input } from "@/app/_components/ui";
import { EvidenceButtons } from "../deployments/[id]/evidence-buttons";

export function RangeEvidence() {
  // Initialisers run once: the default range is the last 30 days.
  const [from, setFrom] = useState(() => new Date(new Date().getTime() - 30 * 86400_000).toISOString().slice(0, 10));
  const [to, setTo] = useState(() => new Date().toISOString().slice(0, 10));
  const end = new Date(new Date(to).getTime() + 86400_000);
  return (
    <div className="grid gap-2 sm:grid-cols-3 sm:items-end">
      <Field label="From" htmlFor="ev-from">
        <Input id="ev-from" type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
      </Field>
      <Field label="To (inclusive)" htmlFor="ev-to">
        <Input id="ev-to" type="date" value={to} onChange={(e) => setTo(e.target.value)} />
      </Field>
      <EvidenceButtons from={new Date(from)} to={end} />
    </div>
  );
}
