// The one place the portal turns dates and durations into text (counts with their noun: plural.ts). Pure functions, safe on the server and in the
// browser. Dates are always shown in an explicit time zone (the user's preference or their browser's, see
// app/_components/time.tsx), never in the server's, so a page reads the same wherever it was rendered.
import { plural } from "./plural";

/** Text for a missing value, everywhere. */
const NONE = "—";
const LOCALE = "en-GB";
export const DEFAULT_TIME_ZONE = "UTC";
/** The browser's own zone, left by app/_components/time.tsx for server renders of users with no saved zone. */
export const TIME_ZONE_COOKIE = "pier-tz";

type DateLike = Date | string | number | null | undefined;

function toDate(value: DateLike): Date | null {
  if (value === null || value === undefined || value === "") return null;
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

// Building an Intl.DateTimeFormat costs far more than using one; tables format hundreds of dates.
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string, style: "dateTime" | "time" | "timeSeconds" | "parts"): Intl.DateTimeFormat {
  const key = `${style}|${timeZone}`;
  let f = formatters.get(key);
  if (!f) {
    const options = (
      {
        dateTime: { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short" },
        time: { hour: "2-digit", minute: "2-digit", hourCycle: "h23" },
        timeSeconds: { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" },
        parts: { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" },
      } satisfies Record<typeof style, Intl.DateTimeFormatOptions>
    )[style];
    try {
      f = new Intl.DateTimeFormat(LOCALE, { ...options, timeZone });
    } catch {
      // An unknown zone (a stale cookie, an old preference) must not break a page: show UTC, which says so.
      f = new Intl.DateTimeFormat(LOCALE, { ...options, timeZone: DEFAULT_TIME_ZONE });
    }
    formatters.set(key, f);
  }
  return f;
}

/** "24 Dec 2026, 01:00 CET": date, time and the zone's name, so nobody has to guess which zone a time is in. */
export function formatDateTime(value: DateLike, timeZone: string = DEFAULT_TIME_ZONE): string {
  const d = toDate(value);
  return d ? formatter(timeZone, "dateTime").format(d) : NONE;
}

/** "14:03", or "14:03:12" with seconds (log lines). */
export function formatTime(value: DateLike, timeZone: string = DEFAULT_TIME_ZONE, opts: { seconds?: boolean } = {}): string {
  const d = toDate(value);
  return d ? formatter(timeZone, opts.seconds ? "timeSeconds" : "time").format(d) : NONE;
}

/** "in 3 days", "2 hours ago", "in less than a minute": how far `value` is from `now`. */
export function formatRelative(value: DateLike, now: Date = new Date()): string {
  const d = toDate(value);
  if (!d) return NONE;
  const diff = d.getTime() - now.getTime();
  const abs = Math.abs(diff);
  if (abs < 60_000) return diff >= 0 ? "in less than a minute" : "less than a minute ago";
  const [unit, ms] = abs >= 86_400_000 ? (["day", 86_400_000] as const) : abs >= 3_600_000 ? (["hour", 3_600_000] as const) : (["minute", 60_000] as const);
  const n = Math.round(abs / ms);
  return diff >= 0 ? `in ${plural(n, unit)}` : `${plural(n, unit)} ago`;
}

/**
 * A configured span, exactly and in words: 4320 → "3 days", 90 → "1 hour 30 minutes", 1500 → "1 day 1 hour".
 * For what an admin set (approval expiry, wait timers, silences); measured durations use formatDuration.
 */
export function formatMinutes(minutes: number | null | undefined): string {
  if (minutes === null || minutes === undefined || !Number.isFinite(minutes) || minutes < 0) return NONE;
  const total = Math.round(minutes);
  if (total === 0) return "0 minutes";
  const parts: string[] = [];
  const days = Math.floor(total / 1440);
  const hours = Math.floor((total % 1440) / 60);
  const mins = total % 60;
  if (days) parts.push(plural(days, "day"));
  if (hours) parts.push(plural(hours, "hour"));
  if (mins) parts.push(plural(mins, "minute"));
  return parts.join(" ");
}

/** A measured duration, rounded for reading at a glance (lead times, restore times): "12 min", "5.5 h", "3.2 d". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return NONE;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 48 * 3600) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} d`;
}

/** The wall-clock fields of `d` as seen in `timeZone`. */
function wallClock(d: Date, timeZone: string) {
  const parts = formatter(timeZone, "parts").formatToParts(d);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return { year: get("year"), month: get("month"), day: get("day"), hour: get("hour") % 24, minute: get("minute"), second: get("second") };
}

/** Milliseconds `timeZone` is ahead of UTC at the instant `d`. */
function offsetMs(d: Date, timeZone: string): number {
  const w = wallClock(d, timeZone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(d.getTime() / 1000) * 1000;
}

/**
 * The instant a `<input type="datetime-local">` value means in `timeZone`: "2026-12-24T00:00" in Europe/Berlin is
 * 2026-12-23T23:00Z. A wall-clock time skipped by a DST change moves forward by the gap; null for text that is no time.
 */
export function zonedInputToDate(local: string, timeZone: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(local);
  if (!m) return null;
  const asUtc = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
  // The offset at the guess, then at the corrected instant: right on both sides of a DST change.
  const first = asUtc - offsetMs(new Date(asUtc), timeZone);
  const d = new Date(asUtc - offsetMs(new Date(first), timeZone));
  return Number.isNaN(d.getTime()) ? null : d;
}

/** "America/New York (GMT-05:00)": an IANA zone as a picker shows it, with its offset at `now`. */
export function timeZoneLabel(timeZone: string, now: Date = new Date()): string {
  let offset = "";
  try {
    const parts = new Intl.DateTimeFormat(LOCALE, { timeZone, timeZoneName: "longOffset" }).formatToParts(now);
    offset = parts.find((p) => p.type === "timeZoneName")?.value ?? "";
  } catch {
    return timeZone;
  }
  return `${timeZone.replaceAll("_", " ")}${offset ? ` (${offset})` : ""}`;
}

export type TimeZoneGroup = { region: string; zones: { value: string; label: string }[] };

/** A picker's choices from the runtime's IANA zones: grouped by region ("Europe", "America"…), UTC first on its own. */
export function timeZoneGroups(zones: readonly string[], now: Date = new Date()): TimeZoneGroup[] {
  const groups = new Map<string, TimeZoneGroup>([["UTC", { region: "UTC", zones: [{ value: "UTC", label: "UTC" }] }]]);
  for (const zone of [...new Set(zones)].sort()) {
    if (zone === "UTC") continue;
    const region = zone.includes("/") ? zone.slice(0, zone.indexOf("/")) : "Other";
    const group = groups.get(region) ?? { region, zones: [] };
    group.zones.push({ value: zone, label: timeZoneLabel(zone, now) });
    groups.set(region, group);
  }
  return [...groups.values()];
}
