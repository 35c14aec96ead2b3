"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Button, Card, ErrorMessage, Field, Input, Select, Spinner } from "@/app/_components/ui";
import { fieldErrors, useTRPC } from "@/app/_lib/trpc";
import { useTimeZone } from "@/app/_components/time";
import { formatTime } from "@/app/_lib/format";

/** When the daily digest goes out (08:00 UTC, server/notifications) in the user's zone: "09:00 Europe/Paris". */
function useDigestTime(): string {
  const timeZone = useTimeZone();
  const at = new Date();
  at.setUTCHours(8, 0, 0, 0);
  return `${formatTime(at, timeZone)} ${timeZone}`;
}

export function PreferencesForm() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const digestLocal = useDigestTime();
  const prefs = useQuery(trpc.notifications.myPreferences.queryOptions());
  const save = useMutation(
    trpc.notifications.setMyPreferences.mutationOptions({ onSuccess: () => qc.invalidateQueries({ queryKey: trpc.notifications.myPreferences.queryKey() }) }),
  );
  const [filter, setFilter] = useState("");
  const errors = fieldErrors(save.error);
  if (prefs.isPending) return <Spinner />;
  if (prefs.error) return <ErrorMessage error={prefs.error} />;
  const p = prefs.data;
  const shown = p.services.filter((s) => s.name.toLowerCase().includes(filter.toLowerCase()));
  return (
    <form
      noValidate
      className="space-y-4"
      onSubmit={(e) => {
        e.preventDefault();
        const f = new FormData(e.currentTarget);
        // Services filtered out of view keep their current setting.
        const hidden = p.mutedServiceIds.filter((id) => !shown.some((s) => s.id === id));
        save.mutate({
          emailDigest: f.get("emailDigest") === "daily" ? "daily" : "immediate",
          muteNonCriticalEverywhere: f.get("muteAll") === "on",
          mutedServiceIds: [...hidden, ...f.getAll("muted").map(String)],
        });
      }}
    >
      <Card title="Email">
        <Field label="Email delivery" htmlFor="pref-digest" error={errors.emailDigest}>
          <Select id="pref-digest" name="emailDigest" defaultValue={p.emailDigest}>
            <option value="immediate">Immediately</option>
            <option value="daily">{`Daily digest (every day at ${digestLocal})`}</option>
          </Select>
        </Field>
      </Card>
      <Card title="Mute non-critical notifications">
        <label className="mb-3 flex items-center gap-2 text-sm">
          <input type="checkbox" name="muteAll" defaultChecked={p.muteNonCriticalEverywhere} /> For every service
        </label>
        <Field label="Find a service" htmlFor="pref-filter">
          <Input id="pref-filter" value={filter} onChange={(e) => setFilter(e.target.value)} />
        </Field>
        <ul className="mt-2 max-h-72 space-y-1 overflow-y-auto text-sm">
          {shown.map((s) => (
            <li key={s.id}>
              <label className="flex items-center gap-2">
                <input type="checkbox" name="muted" value={s.id} defaultChecked={p.mutedServiceIds.includes(s.id)} /> {s.name}
              </label>
            </li>
          ))}
        </ul>
        {errors.mutedServiceIds && (
          <p role="alert" className="text-xs text-rose-600 dark:text-rose-400">
            {errors.mutedServiceIds[0]}
          </p>
        )}
      </Card>
      <Button type="submit" disabled={save.isPending}>
        Save preferences
      </Button>
      {save.isSuccess && (
        <p role="status" className="text-sm text-emerald-700 dark:text-emerald-400">
          Saved.
        </p>
      )}
      {save.error && !Object.keys(errors).length && <ErrorMessage error={save.error} />}
    </form>
  );
}
