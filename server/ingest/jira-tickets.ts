// The only writer of JiraTicket: a Jira issue's latest status as its webhooks report it (./jira-webhooks.ts), and
// the reader the deployment request page uses for the ticket a request names.
import type { Db, Tx } from "../db";
import type { TicketInput } from "./jira-webhooks";

/** Creates or moves forward one ticket (an older event processed late changes nothing). */
export async function recordTicketStatus(tx: Tx, input: TicketInput) {
  await tx
    .insertInto("JiraTicket")
    .values(input)
    .onConflict((oc) =>
      oc
        .column("key")
        .doUpdateSet((eb) => ({
          summary: eb.ref("excluded.summary"),
          issueType: eb.ref("excluded.issueType"),
          status: eb.ref("excluded.status"),
          statusCategory: eb.ref("excluded.statusCategory"),
          url: eb.ref("excluded.url"),
          updatedAt: eb.ref("excluded.updatedAt"),
        }))
        .where("JiraTicket.updatedAt", "<=", (eb) => eb.ref("excluded.updatedAt")),
    )
    .execute();
}

/** The ticket's latest known state, or null when Jira never sent an event about it. */
export async function ticketStatus(db: Db, key: string) {
  return (
    (await db.kysely
      .selectFrom("JiraTicket")
      .select(["key", "summary", "status", "statusCategory", "url", "updatedAt"])
      .where("key", "=", key)
      .executeTakeFirst()) ?? null
  );
}
