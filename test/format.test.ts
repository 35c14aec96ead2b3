// The portal's text for dates, durations and decisions (app/_lib/format.ts, the approvals toast): what users read.
import { describe, expect, it } from "vitest";
import { formatDateTime, formatDuration, formatMinutes, formatRelative, formatTime, timeZoneGroups, timeZoneLabel, zonedInputToDate } from "../app/_lib/format";
import { decisionMessage } from "../app/(portal)/approvals/decision-message";

describe("dates in the reader's time zone", () => {
  const christmasEve = new Date("2026-12-24T00:00:00Z");

  it("shows date, time and the zone's name, in the zone asked for", () => {
    expect(formatDateTime(christmasEve, "UTC")).toBe("24 Dec 2026, 00:00 UTC");
    expect(formatDateTime(christmasEve, "Europe/Berlin")).toBe("24 Dec 2026, 01:00 CET");
    expect(formatDateTime(christmasEve, "America/New_York")).toBe("23 Dec 2026, 19:00 GMT-5");
    expect(formatDateTime("2026-07-24T00:00:00Z", "Europe/Berlin")).toBe("24 Jul 2026, 02:00 CEST");
    expect(formatDateTime(christmasEve, "Asia/Kolkata")).toBe("24 Dec 2026, 05:30 GMT+5:30");
  });

  it("the day and the clock are those of the zone", () => {
    expect(formatDateTime(christmasEve, "America/Los_Angeles")).toBe("23 Dec 2026, 16:00 GMT-8");
    expect(formatDateTime(christmasEve, "Asia/Tokyo")).toBe("24 Dec 2026, 09:00 GMT+9");
    expect(formatTime("2026-12-24T13:04:05Z", "Europe/Berlin")).toBe("14:04");
    expect(formatTime("2026-12-24T13:04:05Z", "Europe/Berlin", { seconds: true })).toBe("14:04:05");
  });

  it("takes ISO text and epoch milliseconds too; shows a dash for no date or a bad one", () => {
    expect(formatDateTime("2026-12-24T00:00:00.000Z", "UTC")).toBe("24 Dec 2026, 00:00 UTC");
    expect(formatDateTime(christmasEve.getTime(), "UTC")).toBe("24 Dec 2026, 00:00 UTC");
    for (const nothing of [null, undefined, "", "not a date"]) expect(formatDateTime(nothing, "UTC")).toBe("—");
    expect(formatTime(undefined)).toBe("—");
  });

  it("an unknown zone (a stale cookie or preference) falls back to UTC, saying so, instead of breaking the page", () => {
    expect(formatDateTime(christmasEve, "Mars/Olympus")).toBe("24 Dec 2026, 00:00 UTC");
  });

  it("says how far away a moment is, in the largest whole unit", () => {
    const now = new Date("2026-12-01T12:00:00Z");
    expect(formatRelative("2026-12-04T12:00:00Z", now)).toBe("in 3 days");
    expect(formatRelative("2026-12-02T12:00:00Z", now)).toBe("in 1 day");
    expect(formatRelative("2026-12-01T10:00:00Z", now)).toBe("2 hours ago");
    expect(formatRelative("2026-12-01T12:45:00Z", now)).toBe("in 45 minutes");
    expect(formatRelative("2026-12-01T12:00:30Z", now)).toBe("in less than a minute");
    expect(formatRelative("2026-12-01T11:59:30Z", now)).toBe("less than a minute ago");
    expect(formatRelative(null, now)).toBe("—");
  });
});

describe("date-time inputs in a chosen zone", () => {
  it("reads a datetime-local value as wall-clock time in the zone, not the browser's", () => {
    expect(zonedInputToDate("2026-12-24T00:00", "Europe/Berlin")?.toISOString()).toBe("2026-12-23T23:00:00.000Z");
    expect(zonedInputToDate("2026-07-01T09:30", "America/New_York")?.toISOString()).toBe("2026-07-01T13:30:00.000Z");
    expect(zonedInputToDate("2026-12-24T00:00", "UTC")?.toISOString()).toBe("2026-12-24T00:00:00.000Z");
    expect(zonedInputToDate("2026-12-24T05:30:15", "Asia/Kolkata")?.toISOString()).toBe("2026-12-24T00:00:15.000Z");
  });

  it("handles daylight saving: a skipped hour moves forward, a repeated one is read once", () => {
    // Berlin skips 02:00–03:00 on 29 Mar 2026: 02:30 does not exist and becomes 03:30 CEST.
    expect(zonedInputToDate("2026-03-29T02:30", "Europe/Berlin")?.toISOString()).toBe("2026-03-29T01:30:00.000Z");
    // 25 Oct 2026: 02:30 happens twice in Berlin; either reading is a real 02:30 there.
    const repeated = zonedInputToDate("2026-10-25T02:30", "Europe/Berlin")!;
    expect(["2026-10-25T00:30:00.000Z", "2026-10-25T01:30:00.000Z"]).toContain(repeated.toISOString());
    expect(formatTime(repeated, "Europe/Berlin")).toBe("02:30");
  });

  it("refuses text that is no date-time; what it reads shows back as the same wall-clock time", () => {
    expect(zonedInputToDate("", "UTC")).toBeNull();
    expect(zonedInputToDate("24/12/2026 00:00", "UTC")).toBeNull();
    // Round trip in a zone with a half-hour offset.
    expect(formatDateTime(zonedInputToDate("2026-06-15T18:45", "Asia/Kolkata"), "Asia/Kolkata")).toBe("15 Jun 2026, 18:45 GMT+5:30");
  });
});

describe("durations", () => {
  it("says a configured span in words, exactly: 4320 minutes are 3 days", () => {
    expect(formatMinutes(4320)).toBe("3 days");
    expect(formatMinutes(1440)).toBe("1 day");
    expect(formatMinutes(90)).toBe("1 hour 30 minutes");
    expect(formatMinutes(1500)).toBe("1 day 1 hour");
    expect(formatMinutes(1501)).toBe("1 day 1 hour 1 minute");
    expect(formatMinutes(45)).toBe("45 minutes");
    expect(formatMinutes(0)).toBe("0 minutes");
    for (const nothing of [null, undefined, -5, Number.NaN]) expect(formatMinutes(nothing)).toBe("—");
  });

  it("rounds a measured duration for reading at a glance", () => {
    expect(formatDuration(600)).toBe("10 min");
    expect(formatDuration(5.5 * 3600)).toBe("5.5 h");
    expect(formatDuration(3.2 * 86400)).toBe("3.2 d");
    expect(formatDuration(null)).toBe("—");
  });
});

describe("the time-zone picker's choices", () => {
  it("puts UTC first, groups IANA zones by region, sorted, each with its offset", () => {
    const now = new Date("2026-12-24T00:00:00Z");
    const groups = timeZoneGroups(["Europe/Paris", "America/New_York", "Europe/Berlin", "UTC", "Europe/Berlin"], now);
    expect(groups.map((g) => g.region)).toEqual(["UTC", "America", "Europe"]);
    expect(groups[0].zones).toEqual([{ value: "UTC", label: "UTC" }]);
    expect(groups[2].zones).toEqual([
      { value: "Europe/Berlin", label: "Europe/Berlin (GMT+01:00)" },
      { value: "Europe/Paris", label: "Europe/Paris (GMT+01:00)" },
    ]);
    expect(timeZoneLabel("America/New_York", now)).toBe("America/New York (GMT-05:00)");
    expect(timeZoneLabel("Mars/Olympus", now)).toBe("Mars/Olympus");
  });

  it("offers every zone this runtime knows", () => {
    const all = timeZoneGroups(Intl.supportedValuesOf("timeZone"));
    const values = all.flatMap((g) => g.zones.map((z) => z.value));
    expect(values.length).toBeGreaterThan(300);
    expect(values).toEqual(expect.arrayContaining(["UTC", "Europe/Berlin", "America/Los_Angeles", "Asia/Tokyo", "Pacific/Auckland"]));
  });
});

describe("what an approver is told after deciding", () => {
  const request = { service: "Checkout API", version: "1.4.2", environment: "prod" };
  const decided = { decision: "approve" as const, heldBy: null, approvals: 1, required: 2, status: "pending_approval" };

  it("names the deployment and what happens next", () => {
    expect(decisionMessage(request, decided)).toBe("Approved Checkout API 1.4.2 to prod — 1 more approval needed");
    expect(decisionMessage(request, { ...decided, required: 3 })).toBe("Approved Checkout API 1.4.2 to prod — 2 more approvals needed");
    expect(decisionMessage(request, { ...decided, approvals: 2, status: "queued" })).toBe("Approved Checkout API 1.4.2 to prod — deployment queued");
    expect(decisionMessage(request, { ...decided, approvals: 2, status: "approved", heldBy: "freeze_window" })).toBe(
      "Approved Checkout API 1.4.2 to prod — fully approved; held by a freeze window until it ends",
    );
    expect(decisionMessage(request, { ...decided, approvals: 2, status: "approved", heldBy: "wait_timer" })).toBe(
      "Approved Checkout API 1.4.2 to prod — fully approved; it starts when the policy's wait timer is over",
    );
    expect(decisionMessage(request, { ...decided, decision: "reject", status: "rejected" })).toBe(
      "Rejected Checkout API 1.4.2 to prod — the request is closed and will not deploy",
    );
  });
});
