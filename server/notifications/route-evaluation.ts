// Which routes an event takes, as in Alertmanager's routing tree flattened to an ordered list: routes are tried
// by position; the first match stops the walk unless it has `continue`. Pure: routing, route test and the
// matching-table tests all use this one function.
import type { PierEventShape } from "../bus/events";
import { matchAll } from "./matchers";
import { quietWindow } from "./quiet-hours";
import type { RouteConfig, SilenceConfig } from "./route-config";

type RouteTrace = { routeId: string; name: string; matched: boolean; note: string };

type RouteDecision = {
  route: RouteConfig;
  silencedBy: SilenceConfig | null;
  /** Set when the event arrives during the route's quiet hours and its severity is not exempt. */
  quiet: { action: "hold" | "drop"; endsAt: Date } | null;
};

export type Evaluation = { decisions: RouteDecision[]; trace: RouteTrace[] };

function activeSilence(silences: readonly SilenceConfig[], labels: Record<string, string>, now: Date) {
  return silences.find((s) => s.startsAt <= now && now < s.endsAt && s.matchers.length > 0 && matchAll(labels, s.matchers)) ?? null;
}

export function evaluateRoutes(
  routes: readonly RouteConfig[],
  silences: readonly SilenceConfig[],
  event: Pick<PierEventShape, "labels" | "severity">,
  now: Date,
): Evaluation {
  const decisions: RouteDecision[] = [];
  const trace: RouteTrace[] = [];
  const ordered = [...routes].sort((a, b) => a.position - b.position);
  // Silences mute the event itself, whichever route it takes (Alertmanager semantics).
  const silencedBy = activeSilence(silences, event.labels, now);
  let stopped = false;
  for (const route of ordered) {
    if (stopped) {
      trace.push({ routeId: route.id, name: route.name, matched: false, note: "not evaluated: an earlier route matched without continue" });
      continue;
    }
    if (!route.enabled) {
      trace.push({ routeId: route.id, name: route.name, matched: false, note: "disabled" });
      continue;
    }
    if (!matchAll(event.labels, route.matchers)) {
      trace.push({ routeId: route.id, name: route.name, matched: false, note: "matchers do not match" });
      continue;
    }
    let quiet: RouteDecision["quiet"] = null;
    if (route.quietHours && !route.quietHours.exceptSeverities.includes(event.severity)) {
      const w = quietWindow(route.quietHours, now);
      if (w.quiet) quiet = { action: route.quietHours.action, endsAt: w.endsAt };
    }
    decisions.push({ route, silencedBy, quiet });
    const notes = [
      silencedBy ? `silenced (${silencedBy.reason})` : null,
      quiet ? `quiet hours: ${quiet.action === "hold" ? `held until ${quiet.endsAt.toISOString()}` : "dropped"}` : null,
      route.continue ? "continue" : "stops here",
    ].filter(Boolean);
    trace.push({ routeId: route.id, name: route.name, matched: true, note: notes.join("; ") });
    if (!route.continue) stopped = true;
  }
  return { decisions, trace };
}

/** The group a delivery joins: route, channel and the values of the route's group_by labels. */
export function groupKeyFor(route: RouteConfig, channelId: string, labels: Record<string, string>) {
  if (route.groupBy.length === 0) return null;
  return `${route.id}|${channelId}|${route.groupBy.map((l) => `${l}=${labels[l] ?? ""}`).join(",")}`;
}

/** "The same notification again" for the repeat interval: same route, channel, event type, service, environment. */
export function throttleKeyFor(route: RouteConfig, channelId: string, labels: Record<string, string>) {
  return `${route.id}|${channelId}|${labels.type ?? ""}|${labels.service ?? ""}|${labels.environment ?? ""}`;
}
