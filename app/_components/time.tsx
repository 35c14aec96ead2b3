"use client";
// The time zone the portal shows dates in, and <DateTime>, which shows one in it. The zone is the user's saved
// preference or, without one, the browser's own. The server cannot know the browser's zone, so the browser leaves it
// in a cookie the portal layout reads: after the first page, server and browser render the same text (no flash).
import { createContext, useContext, useEffect, useSyncExternalStore, type ReactNode } from "react";
import { DEFAULT_TIME_ZONE, TIME_ZONE_COOKIE, formatDateTime, formatRelative } from "../_lib/format";

const TimeZoneContext = createContext<string>(DEFAULT_TIME_ZONE);

const noSubscription = () => () => {};
const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || DEFAULT_TIME_ZONE;

/** The browser's own zone once hydrated; null while rendering on the server or hydrating. */
export function useBrowserTimeZone(): string | null {
  return useSyncExternalStore(noSubscription, browserZone, () => null);
}

/**
 * `preferred`: the user's saved zone (null: none). `initial`: what the server rendered with when there is none (the
 * cookie's zone, else UTC), used until hydration so the first client render matches the server's HTML.
 */
export function TimeZoneProvider({ preferred, initial, children }: { preferred: string | null; initial: string; children: ReactNode }) {
  const browser = useBrowserTimeZone();
  useEffect(() => {
    if (preferred || !browser || browser === initial) return;
    // IANA names (letters, digits, "/", "_", "-", "+") are valid cookie text as they are: no encoding to undo.
    document.cookie = `${TIME_ZONE_COOKIE}=${browser}; path=/; max-age=31536000; samesite=lax`;
  }, [preferred, browser, initial]);
  return <TimeZoneContext value={preferred ?? browser ?? initial}>{children}</TimeZoneContext>;
}

export function useTimeZone(): string {
  return useContext(TimeZoneContext);
}

/** A date and time in the user's zone, machine-readable too; "—" when there is none. `relative` adds "(in 3 days)". */
export function DateTime({ value, relative = false, className }: { value: Date | string | null | undefined; relative?: boolean; className?: string }) {
  const timeZone = useTimeZone();
  const d = value ? new Date(value) : null;
  if (!d || Number.isNaN(d.getTime())) return <span className={className}>—</span>;
  return (
    <time dateTime={d.toISOString()} className={className}>
      {formatDateTime(d, timeZone)}
      {relative && <RelativeSuffix value={d} />}
    </time>
  );
}

/** " (in 3 days)": only after hydration, since "now" differs between the server's render and the browser's. */
function RelativeSuffix({ value }: { value: Date }) {
  const hydrated = useSyncExternalStore(
    noSubscription,
    () => true,
    () => false,
  );
  return hydrated ? <> ({formatRelative(value)})</> : null;
}

/** `children` with a tooltip naming a date in the user's zone ("since 24 Dec 2026, 01:00 CET"): for server pages. */
export function DateTimeTitle({ label, value, children }: { label: string; value: Date | string | null | undefined; children: ReactNode }) {
  const timeZone = useTimeZone();
  if (!value) return <>{children}</>;
  return <span title={`${label} ${formatDateTime(value, timeZone)}`}>{children}</span>;
}
