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
