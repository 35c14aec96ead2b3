import { describe, expect, it } from "vitest";
import { matchAll, matchOne, matchersSchema, type Matcher } from "./matchers";
import { quietWindow, type QuietHours } from "./quiet-hours";
import type { RouteConfig, SilenceConfig } from "./route-config";
import { evaluateRoutes, groupKeyFor, throttleKeyFor } from "./route-evaluation";

const labels = { type: "deployment.failed", service: "payments-api", team: "payments", environment: "prod", tier: "1", severity: "high" };

describe("matchers", () => {
  it.each<[string, Matcher, boolean]>([
    ["equals", { label: "environment", op: "=", value: "prod" }, true],
    ["equals miss", { label: "environment", op: "=", value: "staging" }, false],
    ["not-equals", { label: "environment", op: "!=", value: "staging" }, true],
    ["not-equals miss", { label: "environment", op: "!=", value: "prod" }, false],
    ["regex", { label: "type", op: "=~", value: "deployment\\..*" }, true],
    ["regex alternatives", { label: "severity", op: "=~", value: "critical|high" }, true],
    ["regex is anchored", { label: "environment", op: "=~", value: "pro" }, false],
    ["regex anchored: preprod is not prod", { label: "environment", op: "=~", value: "prod" }, true],
    ["not-regex", { label: "type", op: "!~", value: "incident\\..*" }, true],
    ["not-regex miss", { label: "type", op: "!~", value: "deployment\\..*" }, false],
    ["missing label equals empty", { label: "region", op: "=", value: "" }, true],
    ["missing label != empty", { label: "region", op: "!=", value: "" }, false],
  ])("%s", (_, m, expected) => {
    expect(matchOne(labels, m)).toBe(expected);
  });

  it("anchoring keeps preprod out of a prod regex", () => {
    expect(matchOne({ environment: "preprod" }, { label: "environment", op: "=~", value: "prod" })).toBe(false);
  });

  it("all matchers must hold; none matches everything", () => {
    expect(matchAll(labels, [])).toBe(true);
    expect(
      matchAll(labels, [
        { label: "tier", op: "=", value: "1" },
        { label: "environment", op: "=", value: "prod" },
      ]),
    ).toBe(true);
    expect(
      matchAll(labels, [
        { label: "tier", op: "=", value: "1" },
        { label: "environment", op: "=", value: "dev" },
      ]),
    ).toBe(false);
  });

  it("refuses invalid regexes and label names with a message on the field", () => {
    const bad = matchersSchema.safeParse([{ label: "type", op: "=~", value: "(" }]);
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0].path).toEqual([0, "value"]);
    expect(bad.error?.issues[0].message).toMatch(/invalid regex/);
    expect(matchersSchema.safeParse([{ label: "9bad", op: "=", value: "x" }]).success).toBe(false);
  });
});

const route = (id: string, position: number, over: Partial<RouteConfig> = {}): RouteConfig => ({
  id,
  name: id,
  position,
  enabled: true,
  matchers: [],
  continue: false,
  channelIds: ["c1"],
  roleRecipients: [],
  groupBy: [],
  groupWaitSec: 0,
  groupIntervalSec: 300,
  repeatIntervalSec: 0,
  quietHours: null,
  escalation: null,
  ...over,
});
const NOW = new Date("2026-03-10T12:00:00Z");
const event = (l: Record<string, string> = labels) => ({ labels: l, severity: (l.severity ?? "info") as "high" });

describe("route ordering and continue", () => {
  const routes = [
    route("tier1-release", 10, { matchers: [{ label: "tier", op: "=", value: "1" }], continue: true }),
    route("prod-failures", 20, {
      matchers: [
        { label: "type", op: "=~", value: "deployment\\.(failed|rolled_back)" },
        { label: "environment", op: "=", value: "prod" },
      ],
    }),
    route("catch-all", 30),
  ];

  it.each([
    ["tier-1 prod failure: release (continue) + prod failures, stops before catch-all", labels, ["tier1-release", "prod-failures"]],
    ["tier-2 prod failure: prod failures only", { ...labels, tier: "2" }, ["prod-failures"]],
    ["tier-2 staging success: catch-all", { ...labels, tier: "2", environment: "staging", type: "deployment.succeeded" }, ["catch-all"]],
    ["tier-1 staging success: release then catch-all", { ...labels, environment: "staging", type: "deployment.succeeded" }, ["tier1-release", "catch-all"]],
  ])("%s", (_, l, expected) => {
    expect(evaluateRoutes(routes, [], event(l), NOW).decisions.map((d) => d.route.id)).toEqual(expected);
  });

  it("follows position, not list order, and skips disabled routes; the trace explains each route", () => {
    const shuffled = [route("b", 20), route("a", 10, { enabled: false }), route("c", 30)];
    const { decisions, trace } = evaluateRoutes(shuffled, [], event(), NOW);
    expect(decisions.map((d) => d.route.id)).toEqual(["b"]);
    expect(trace).toEqual([
      { routeId: "a", name: "a", matched: false, note: "disabled" },
      { routeId: "b", name: "b", matched: true, note: "stops here" },
      { routeId: "c", name: "c", matched: false, note: "not evaluated: an earlier route matched without continue" },
    ]);
  });
});

describe("silences", () => {
  const s = (over: Partial<SilenceConfig>): SilenceConfig => ({
    id: "s1",
    matchers: [{ label: "service", op: "=", value: "payments-api" }],
    startsAt: new Date("2026-03-10T11:00:00Z"),
    endsAt: new Date("2026-03-10T13:00:00Z"),
    reason: "maintenance",
    ...over,
  });

  it.each([
    ["active and matching", s({}), "s1"],
    ["not started yet", s({ startsAt: new Date("2026-03-10T12:30:00Z") }), null],
    ["ended (end is exclusive)", s({ endsAt: NOW }), null],
    ["other service", s({ matchers: [{ label: "service", op: "=", value: "search" }] }), null],
    ["no matchers never silences everything", s({ matchers: [] }), null],
  ])("%s", (_, silence, expected) => {
    const d = evaluateRoutes([route("r", 1)], [silence], event(), NOW).decisions[0];
    expect(d.silencedBy?.id ?? null).toBe(expected);
  });
});

describe("quiet hours across time zones", () => {
  const q = (over: Partial<QuietHours> = {}): QuietHours => ({
    timeZone: "Europe/Paris",
    start: "22:00",
    end: "07:00",
    days: [],
    action: "hold",
    exceptSeverities: ["critical"],
    ...over,
  });

  it.each([
    // 21:30 UTC in March = 22:30 Paris (UTC+1): quiet; ends 07:00 Paris = 06:00 UTC.
    ["Paris 22:30", q(), "2026-03-10T21:30:00Z", "2026-03-11T06:00:00.000Z"],
    ["Paris 06:59", q(), "2026-03-11T05:59:00Z", "2026-03-11T06:00:00.000Z"],
    ["Paris 07:00 is awake", q(), "2026-03-11T06:00:00Z", null],
    ["Paris 13:00", q(), "2026-03-10T12:00:00Z", null],
    // Same instant, New York (UTC-4 after 8 March 2026): 17:30 there, not quiet.
    ["New York 17:30", q({ timeZone: "America/New_York" }), "2026-03-10T21:30:00Z", null],
    // Tokyo (UTC+9): 06:30 → quiet until 07:00 local = 22:00 UTC.
    ["Tokyo 06:30", q({ timeZone: "Asia/Tokyo" }), "2026-03-10T21:30:00Z", "2026-03-10T22:00:00.000Z"],
    // Same-day window (lunch) in Los Angeles (UTC-7): 12:15 local.
    ["LA lunch", q({ timeZone: "America/Los_Angeles", start: "12:00", end: "13:00" }), "2026-03-10T19:15:00Z", "2026-03-10T20:00:00.000Z"],
    // days names the day the window starts: Friday night into Saturday morning.
    ["Friday night window, Saturday 02:00 Paris", q({ days: [5] }), "2026-03-14T01:00:00Z", "2026-03-14T06:00:00.000Z"],
    ["Friday night window, Sunday 02:00 Paris", q({ days: [5] }), "2026-03-15T01:00:00Z", null],
  ])("%s", (_, config, at, endsAt) => {
    const w = quietWindow(config, new Date(at));
    expect(w.quiet ? w.endsAt.toISOString() : null).toBe(endsAt);
  });

  it("holds or drops by severity: critical passes through, others get the route's action", () => {
    const night = new Date("2026-03-10T23:00:00Z");
    const routes = [route("hold", 1, { quietHours: q(), continue: true }), route("drop", 2, { quietHours: q({ action: "drop" }) })];
    const high = evaluateRoutes(routes, [], event(), night).decisions;
    expect(high.map((d) => d.quiet?.action)).toEqual(["hold", "drop"]);
    expect(high[0].quiet?.endsAt.toISOString()).toBe("2026-03-11T06:00:00.000Z");
    const critical = evaluateRoutes(routes, [], event({ ...labels, severity: "critical" }), night).decisions;
    expect(critical.map((d) => d.quiet)).toEqual([null, null]);
  });
});

describe("group and throttle keys", () => {
  it("groups by the route's group_by label values per channel", () => {
    const r = route("r", 1, { groupBy: ["service", "environment"] });
    expect(groupKeyFor(r, "c1", labels)).toBe("r|c1|service=payments-api,environment=prod");
    expect(groupKeyFor(route("r", 1), "c1", labels)).toBeNull();
    expect(throttleKeyFor(r, "c1", labels)).toBe("r|c1|deployment.failed|payments-api|prod");
  });
});
