// Freeze windows: date ranges, and weekly windows in a time zone (e.g. Fri 16:00 – Mon 08:00 Europe/Berlin).
// A weekly window whose end is earlier than its start runs past midnight; its days are the days it starts on.
import type { ExpressionBuilder } from "kysely";
import { jsonArrayFrom } from "kysely/helpers/postgres";
import { parseUtcTimestamp, type DB, type Selectable } from "../db";
import { badRequest } from "../errors";
import { isTimeZone, TIME_ZONE_MESSAGE } from "../platform/input-rules";

export type FreezeWindow = Selectable<DB["FreezeWindow"]>;

/**
 * The windows of the environment of the request aliased `r`, as one JSON array: for loading them inside another
 * statement (read them with freezeWindowFromJson).
 */
export const environmentFreezeWindows = (eb: ExpressionBuilder<DB & { r: DB["DeploymentRequest"] }, "r">) =>
  jsonArrayFrom(eb.selectFrom("FreezeWindow as fw").selectAll("fw").whereRef("fw.environmentId", "=", "r.environmentId"));

/**
 * A FreezeWindow as Postgres' JSON functions give it (timestamps as ISO text without a zone, holding UTC): for
 * loading an environment's windows inside another statement.
 */
export function freezeWindowFromJson(
  w: Omit<FreezeWindow, "startsAt" | "endsAt" | "createdAt"> & { startsAt: string | null; endsAt: string | null; createdAt: string },
): FreezeWindow {
  const utc = (v: string | null) => (v === null ? null : parseUtcTimestamp(v));
  return { ...w, startsAt: utc(w.startsAt), endsAt: utc(w.endsAt), createdAt: utc(w.createdAt)! };
}

type WindowLike = Pick<FreezeWindow, "kind" | "startsAt" | "endsAt" | "daysOfWeek" | "startTime" | "endTime" | "timeZone" | "reason">;

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Day of week (0 = Sunday) and minutes since midnight of `at` as seen in `timeZone`. */
export function localClock(at: Date, timeZone: string) {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone, weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? "";
  return { day: WEEKDAYS.indexOf(get("weekday")), minutes: Number(get("hour")) * 60 + Number(get("minute")) };
}

const toMinutes = (hhmm: string) => {
  const m = HHMM.exec(hhmm);
  return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
};

export function isInFreezeWindow(w: WindowLike, at: Date): boolean {
  if (w.kind === "range") return !!w.startsAt && !!w.endsAt && w.startsAt <= at && at < w.endsAt;
  if (w.kind !== "weekly" || !w.startTime || !w.endTime) return false;
  const start = toMinutes(w.startTime);
  const end = toMinutes(w.endTime);
  const { day, minutes } = localClock(at, w.timeZone);
  if (start < end) return w.daysOfWeek.includes(day) && minutes >= start && minutes < end;
  // Overnight: the evening part belongs to the start day, the morning part to the day before.
  if (w.daysOfWeek.includes(day) && minutes >= start) return true;
  return w.daysOfWeek.includes((day + 6) % 7) && minutes < end;
}

/** "2026-12-24 00:00" in UTC: for text stored and shared (logs); pages show the range in the reader's zone. */
const utcMinute = (d: Date | null | undefined) => (d ? d.toISOString().slice(0, 16).replace("T", " ") : "?");

export function describeFreezeWindow(w: WindowLike): string {
  if (w.kind === "range") return `${utcMinute(w.startsAt)} – ${utcMinute(w.endsAt)} UTC${w.reason ? ` (${w.reason})` : ""}`;
  const days = w.daysOfWeek.map((d) => WEEKDAYS[d]).join(", ");
  return `${days} ${w.startTime}–${w.endTime} ${w.timeZone}${w.reason ? ` (${w.reason})` : ""}`;
}

/**
 * Where a window stands at `now`, for the admin list: freezing now, a range still to come, a range that is over (it
 * holds nothing any more and may be removed), or a weekly window waiting for its next turn.
 */
export function freezeWindowState(w: WindowLike, now: Date): "active" | "upcoming" | "expired" | "recurring" {
  if (isInFreezeWindow(w, now)) return "active";
  if (w.kind !== "range") return "recurring";
  return w.endsAt && w.endsAt <= now ? "expired" : "upcoming";
}

/** The first window `at` falls in, or null. */
export function activeFreeze<T extends WindowLike>(windows: T[], at: Date): T | null {
  return windows.find((w) => isInFreezeWindow(w, at)) ?? null;
}

/** True when a freeze starts within `withinMs` after `at` (used by the risk score). */
export function freezeStartsSoon(windows: WindowLike[], at: Date, withinMs = 24 * 3600_000): boolean {
  for (let t = at.getTime() + 15 * 60_000; t <= at.getTime() + withinMs; t += 15 * 60_000) {
    if (activeFreeze(windows, new Date(t))) return true;
  }
  return false;
}

export type FreezeWindowInput = {
  kind: "range" | "weekly";
  startsAt?: Date | null;
  endsAt?: Date | null;
  daysOfWeek?: number[];
  startTime?: string | null;
  endTime?: string | null;
  timeZone?: string;
  reason?: string;
};

/** Checks an admin's window before it is stored; errors name the field. */
export function validateFreezeWindow(input: FreezeWindowInput) {
  // A range's zone is the one its dates were entered in: kept, so it must be a real one too.
  if (!isTimeZone(input.timeZone ?? "UTC")) throw badRequest(TIME_ZONE_MESSAGE, "timeZone");
  if (input.kind === "range") {
    if (!input.startsAt) throw badRequest("A range needs a start", "startsAt");
    if (!input.endsAt) throw badRequest("A range needs an end", "endsAt");
    if (input.endsAt <= input.startsAt) throw badRequest("The end must be after the start", "endsAt");
    return;
  }
  if (!input.daysOfWeek?.length) throw badRequest("Pick at least one day", "daysOfWeek");
  if (input.daysOfWeek.some((d) => !Number.isInteger(d) || d < 0 || d > 6)) throw badRequest("Days are 0 (Sunday) to 6 (Saturday)", "daysOfWeek");
  if (!input.startTime || !HHMM.test(input.startTime)) throw badRequest("Start time must look like 16:00", "startTime");
  if (!input.endTime || !HHMM.test(input.endTime)) throw badRequest("End time must look like 08:00", "endTime");
  if (input.startTime === input.endTime) throw badRequest("Start and end time must differ", "endTime");
}
