// What a translated inbound event means for the canonical DORA store. Translators (CDEvents, GitHub, PagerDuty)
// produce these; server/ingest/ingest-worker.ts applies them through server/dora/canonical.ts.
import type { ChangeInput, DeploymentInput, IncidentInput } from "../dora/canonical";

export type CanonicalFact =
  | { kind: "deployment"; deployment: DeploymentInput; /** a rollback: the version it rolled back, if known */ rolledBackVersion?: string }
  | { kind: "change"; change: ChangeInput }
  | { kind: "incident"; incident: IncidentInput }
  | { kind: "ignored"; reason: string };

class TranslationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TranslationError";
  }
}

export const asDate = (v: unknown, what: string): Date => {
  const d = typeof v === "string" || typeof v === "number" ? new Date(v) : null;
  if (!d || Number.isNaN(d.getTime())) throw new TranslationError(`${what} is not a date`);
  return d;
};

export const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

/** An event's own time when it is one Postgres can store (1970 to 9999), else null: for InboundEvent.occurredAt. */
export function eventTime(v: unknown): Date | null {
  const d = typeof v === "string" ? new Date(v) : null;
  return d && d.getTime() >= 0 && d.getUTCFullYear() <= 9999 ? d : null;
}

/**
 * Event times more than this after Pier received the event are a sender's mistake — a clock or time-zone error
 * (local time labelled Z is off by whole hours; NTP-synchronised clocks by well under a second) — or a made-up date.
 * They are flagged on the data-quality page (InboundEvent.occurredAt vs receivedAt) and the canonical rows take the
 * received time instead, so a deployment "in 2099" is not ranked first for years.
 */
const FUTURE_TOLERANCE_MS = 10 * 60_000;

/** The fact with every time later than `receivedAt` + FUTURE_TOLERANCE_MS replaced by `receivedAt`. */
export function withoutFutureTimes(fact: CanonicalFact, receivedAt: Date): CanonicalFact {
  const limit = receivedAt.getTime() + FUTURE_TOLERANCE_MS;
  const cap = <T extends Date | null | undefined>(d: T): T => (d instanceof Date && d.getTime() > limit ? (new Date(receivedAt) as T) : d);
  switch (fact.kind) {
    case "deployment":
      return { ...fact, deployment: { ...fact.deployment, deployedAt: cap(fact.deployment.deployedAt), rolledBackAt: cap(fact.deployment.rolledBackAt) } };
    case "change":
      return { ...fact, change: { ...fact.change, authoredAt: cap(fact.change.authoredAt), mergedAt: cap(fact.change.mergedAt) } };
    case "incident":
      return {
        ...fact,
        incident: {
          ...fact.incident,
          detectedAt: cap(fact.incident.detectedAt),
          resolvedAt: cap(fact.incident.resolvedAt),
          reopenedAt: cap(fact.incident.reopenedAt),
        },
      };
    case "ignored":
      return fact;
  }
}
