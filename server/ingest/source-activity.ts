// What each webhook source sent recently, for Admin → Integrations: when the last event arrived, how many were
// accepted (stored), how many requests were refused (RejectedEvent counts repeats) and how many were repeat deliveries
// of an event already stored (answered 200 duplicate; counted on the event, InboundEvent.duplicates, by its latest
// repeat) over the window.
import { sql, type Db } from "../db";

const WEBHOOK_SOURCES = ["github", "pagerduty", "gitlab", "argocd", "terraform", "jenkins", "jira", "unleash", "launchdarkly", "flagsmith"] as const;
type WebhookSource = (typeof WEBHOOK_SOURCES)[number];

type SourceActivity = { source: WebhookSource; lastReceivedAt: Date | null; accepted: number; refused: number; duplicates: number };

export async function webhookSourceActivity(db: Db, days = 7): Promise<SourceActivity[]> {
  const since = new Date(Date.now() - days * 86_400_000);
  const [accepted, refused, last, duplicates] = await Promise.all([
    db.kysely
      .selectFrom("InboundEvent")
      .select(["source", sql<string>`count(*)`.as("n")])
      .where("source", "in", [...WEBHOOK_SOURCES])
      .where("receivedAt", ">=", since)
      .groupBy("source")
      .execute(),
    db.kysely
      .selectFrom("RejectedEvent")
      .select(["source", sql<string>`sum(count)`.as("n")])
      .where("source", "in", [...WEBHOOK_SOURCES])
      .where("lastSeenAt", ">=", since)
      .groupBy("source")
      .execute(),
    // The newest event of each source, whatever the window (one index probe per source on (source, externalId) is
    // not ordered by time, so this reads the source's rows; admin page only).
    db.kysely
      .selectFrom("InboundEvent")
      .select(["source", sql<Date>`max("receivedAt")`.as("at")])
      .where("source", "in", [...WEBHOOK_SOURCES])
      .groupBy("source")
      .execute(),
    db.kysely
      .selectFrom("InboundEvent")
      .select(["source", sql<string>`sum(duplicates)`.as("n")])
      .where("source", "in", [...WEBHOOK_SOURCES])
      .where("lastDuplicateAt", ">=", since)
      .groupBy("source")
      .execute(),
  ]);
  const count = (rows: { source: string; n: string }[], s: string) => Number(rows.find((r) => r.source === s)?.n ?? 0);
  return WEBHOOK_SOURCES.map((source) => ({
    source,
    lastReceivedAt: last.find((r) => r.source === source)?.at ?? null,
    accepted: count(accepted, source),
    refused: count(refused, source),
    duplicates: count(duplicates, source),
  }));
}
