// The DORA dashboard's range: presets, and custom local dates read in the dashboard's time zone.
import { describe, expect, it } from "vitest";
import { dashboardRange } from "../app/(portal)/dora/_range";

describe("dashboard range", () => {
  const now = new Date("2026-03-10T12:00:00Z");
  it("reads inclusive local dates in the chosen zone", () => {
    const r = dashboardRange({ from: "2026-03-02", to: "2026-03-08" }, "Europe/Berlin", now);
    expect([r.from.toISOString(), r.to.toISOString(), r.days]).toEqual(["2026-03-01T23:00:00.000Z", "2026-03-08T23:00:00.000Z", null]);
  });
  it("prefers a chosen preset, and falls back to 30 days on nonsense", () => {
    expect(dashboardRange({ days: "90", from: "2026-03-02", to: "2026-03-08" }, "UTC", now).days).toBe(90);
    const r = dashboardRange({ from: "2026-03-09", to: "2026-03-01" }, "UTC", now);
    expect([r.days, r.to]).toEqual([30, now]);
  });
});
