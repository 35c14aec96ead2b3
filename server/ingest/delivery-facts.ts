// Facts a delivery tool's event can mean besides deployments, changes and incidents (./canonical-facts.ts): a CI run
// (CDEvents pipelineRun/taskRun) and an environment change that is not a service deployment (CDEvents
// environment.modified). Applied through server/dora/delivery-activity.ts.
import type { EnvironmentChangeInput, PipelineRunInput } from "../dora/delivery-activity";
import type { CanonicalFact } from "./canonical-facts";
import type { MigrationInput } from "./deployment-migrations";
import type { TicketInput } from "./jira-webhooks";

export type DeliveryFact =
  | { kind: "pipelineRun"; run: PipelineRunInput }
  | { kind: "environmentChange"; change: EnvironmentChangeInput }
  /** A Jira issue's latest status (./jira-tickets.ts). */
  | { kind: "ticketStatus"; ticket: TicketInput }
  /** A database migration a deployment ran (./deployment-migrations.ts). */
  | { kind: "migration"; migration: MigrationInput };

export type ToolFact = CanonicalFact | DeliveryFact;

export const isDeliveryFact = (f: ToolFact): f is DeliveryFact =>
  f.kind === "pipelineRun" || f.kind === "environmentChange" || f.kind === "ticketStatus" || f.kind === "migration";
