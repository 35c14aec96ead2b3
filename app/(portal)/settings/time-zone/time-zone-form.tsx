"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useBrowserTimeZone } from "@/app/_components/time";
import { TimeZoneSelect } from "@/app/_components/time-zone-select";
import { useToast } from "@/app/_components/toast";
import { Button, Card, ErrorMessage, Field } from "@/app/_components/ui";
import { formatDateTime } from "@/app/_lib/format";
import { fieldErrors, useTRPC } from "@/app/_lib/trpc";

/** "" = follow the browser (no saved zone). */
export function TimeZoneForm({ saved }: { saved: string | null }) {
  const trpc = useTRPC();
  const router = useRouter();
  const toast = useToast();
  const browser = useBrowserTimeZone();
  const [choice, setChoice] = useState(saved ?? "");
  const save = useMutation(
    trpc.identity.setTimeZone.mutationOptions({
      onSuccess: (r) => {
        // The layout reads the zone from the session user: refresh so every page renders in it from now on.
        router.refresh();
        toast({ message: r.timeZone ? `Dates now show in ${r.timeZone}.` : "Dates now follow your browser's time zone." });
      },
    }),
  );
  const errors = fieldErrors(save.error);
  // Only once hydrated: "now" and the browser's zone are the browser's.
  const effective = browser ? choice || browser : null;
  return (
    <form
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate({ timeZone: choice || null });
      }}
    >
      <Card title="Show dates in">
        <div className="space-y-3">
          <Field
            label="Time zone"
            htmlFor="tz-choice"
            error={errors.timeZone}
            hint={effective ? `Now it is ${formatDateTime(new Date(), effective)} there.` : undefined}
          >
            <TimeZoneSelect
              id="tz-choice"
              value={choice}
              onChange={(e) => setChoice(e.target.value)}
              emptyLabel={`My browser's time zone${browser ? ` (${browser})` : ""}`}
            />
          </Field>
          {save.error && !Object.keys(errors).length && <ErrorMessage error={save.error} />}
          <Button type="submit" disabled={save.isPending || choice === (saved ?? "")}>
            Save time zone
          </Button>
        </div>
      </Card>
    </form>
  );
}
