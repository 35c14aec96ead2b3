// Quiet hours in the route's own time zone: "22:00"–"07:00" Europe/Paris is quiet at 23:30 Paris time whatever
// the server's zone. During quiet hours a notification is held until the window ends or dropped, except for the
// severities listed in exceptSeverities (e.g. critical still pages at night).
import { z } from "zod";
import { isTimeZone, TIME_ZONE_MESSAGE } from "../platform/input-rules";

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "use HH:MM (24 h)");

export const quietHoursSchema = z.object({
  timeZone: z.string().refine(isTimeZone, TIME_ZONE_MESSAGE),
  start: hhmm,
  end: hhmm,
  /** 0 = Sunday … 6 = Saturday, in the route's time zone; the day the window starts. Empty = every day. */
  days: z.array(z.number().int().min(0).max(6)).max(7).default([]),
  action: z.enum(["hold", "drop"]),
  exceptSeverities: z.array(z.enum(["critical", "high", "medium", "low", "info"])).default(["critical"]),
});
export type QuietHours = z.output<typeof quietHoursSchema>;

const fmtCache = new Map<string, Intl.DateTimeFormat>();
/** Wall-clock parts of `at` in `timeZone`. */
function wallClock(at: Date, timeZone: string) {
  let f = fmtCache.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      weekday: "short",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    fmtCache.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(at).map((p) => [p.type, p.value]));
  const day = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"].indexOf(parts.weekday);
  return { day, minutes: Number(parts.hour) * 60 + Number(parts.minute), seconds: Number(parts.second) };
}

const toMinutes = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5));

/**
 * Whether `at` falls in the quiet window, and when the window ends. A window whose end is before its start
 * crosses midnight; `days` names the day the window starts on.
 */
export function quietWindow(q: QuietHours, at: Date): { quiet: false } | { quiet: true; endsAt: Date } {
  const { day, minutes, seconds } = wallClock(at, q.timeZone);
  const start = toMinutes(q.start);
  const end = toMinutes(q.end);
  if (start === end) return { quiet: false };
  const dayOk = (d: number) => q.days.length === 0 || q.days.includes(d);
  let minutesLeft: number | null = null;
  if (start < end) {
    if (minutes >= start && minutes < end && dayOk(day)) minutesLeft = end - minutes;
  } else if (minutes >= start && dayOk(day)) {
    minutesLeft = 24 * 60 - minutes + end;
  } else if (minutes < end && dayOk((day + 6) % 7)) {
    minutesLeft = end - minutes;
  }
  if (minutesLeft === null) return { quiet: false };
  // Offsets can change inside the window (DST); a minute's drift on release time is acceptable for holds.
  return { quiet: true, endsAt: new Date(at.getTime() + minutesLeft * 60_000 - seconds * 1000) };
}
