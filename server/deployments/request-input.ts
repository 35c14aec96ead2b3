// The request form's input, validated once for every procedure that takes it (a 400 naming the field).
import { z } from "zod";
import { dateInput } from "../platform/input-rules";

const id = z.string().min(1).max(64);
const optionalDate = (name: string) => dateInput(name).optional().nullable();

/** A deployment request as the form sends it (deployments.create/preview; riskModel.preview takes its target part). */
export const requestInput = z.object({
  serviceId: id,
  environmentId: id,
  version: z.string().trim().min(1, "Enter the version to deploy").max(200),
  strategy: z.enum(["rolling", "canary", "blue_green"]).default("rolling"),
  canarySteps: z.array(z.number().int()).max(10).optional(),
  summary: z.string().trim().min(3, "Describe the change in a few words").max(2000),
  ticketKey: z.string().trim().max(20).optional().nullable(),
  scheduledFrom: optionalDate("scheduledFrom"),
  scheduledUntil: optionalDate("scheduledUntil"),
  targetNames: z.array(z.string().trim().min(1).max(100)).max(200).optional(),
});
