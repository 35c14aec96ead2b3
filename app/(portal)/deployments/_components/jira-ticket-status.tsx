"use client";
// The Jira status of the ticket a deployment request names, as Jira's webhooks last reported it
// (server/ingest/jira-tickets.ts); nothing when Jira never sent an event about that ticket.
import { useQuery } from "@tanstack/react-query";
import { Badge } from "@/app/_components/ui";
import { useTRPC } from "@/app/_lib/trpc";
import { useTimeZone } from "@/app/_components/time";
import { formatDateTime } from "@/app/_lib/format";

const COLOR = { new: "gray", indeterminate: "blue", done: "green" } as const;

export function JiraTicketStatus({ ticketKey }: { ticketKey: string }) {
  const trpc = useTRPC();
  const timeZone = useTimeZone();
  const ticket = useQuery(trpc.events.ticketStatus.queryOptions({ key: ticketKey })).data;
  if (!ticket) return null;
  const color = COLOR[ticket.statusCategory as keyof typeof COLOR] ?? "gray";
  const badge = (
    <Badge color={color} title={`Jira status at ${formatDateTime(ticket.updatedAt, timeZone)}: ${ticket.summary}`}>
      {ticket.status}
    </Badge>
  );
  return (
    <span className="ml-2">
      {ticket.url ? (
        <a href={ticket.url} target="_blank" rel="noreferrer" aria-label={`${ticketKey} in Jira: ${ticket.status}`}>
          {badge}
        </a>
      ) : (
        badge
      )}
    </span>
  );
}
