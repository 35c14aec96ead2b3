// HCP Terraform / Terraform Enterprise notification webhooks (destination type "generic"): signature, delivery id and
// translation. Run notifications (payload_version 1; run:created, run:planning, run:needs_attention, run:applying,
// run:completed, run:errored) → one infrastructure environment change per notification (CDEvents
// environment.modified). Assessment/workspace notifications (payload_version "2") are stored, not translated. The
// "verification" message sent when a configuration is enabled has all run fields null and is answered 200 unstored.
// Service: the catalog service annotated terraform/workspace with "<organization>/<workspace>" or "<workspace>", else
// the service named like the workspace. Environment: the workspace name's last "-" segment when it names a catalog
// environment ("payments-prod" → prod), else the workspace name (kept as given for the data-quality page). A service
// annotated pier.dev/terraform-runs-are-deployments: "true" also gets a deployment per applied/errored run
// (./delivery-tools.ts).
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { str, type CanonicalFact } from "./canonical-facts";
import type { DeliveryFact } from "./delivery-facts";
import type { IntakeProblem } from "./gitlab-webhooks";

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : {});

/** True when `header` is the lowercase hex HMAC-SHA512 of the raw body keyed with any of the tokens (constant time). */
export function verifyTerraformSignature(raw: Uint8Array, header: string | null, secrets: string[]): boolean {
  const given = header ? Buffer.from(header.trim(), "hex") : Buffer.alloc(0);
  if (given.length !== 64) return false;
  return secrets.map((secret) => timingSafeEqual(createHmac("sha512", secret).update(raw).digest(), given)).some(Boolean);
}

const notificationsOf = (payload: Json): Json[] => (Array.isArray(payload.notifications) ? payload.notifications.map(obj) : []);

/** A run notification's verification message (configuration enabled or "Send a test"). */
export const isTerraformVerification = (payload: Json): boolean => notificationsOf(payload).some((n) => n.trigger === "verification");

const isRunNotification = (payload: Json): boolean => payload.payload_version === 1 || payload.payload_version === "1";

function terraformTime(v: unknown): Date | null {
  const d = typeof v === "string" ? new Date(v) : null;
  return d && !Number.isNaN(d.getTime()) && d.getTime() >= 0 && d.getUTCFullYear() <= 9999 ? d : null;
}

export function terraformIntakeProblem(payload: Json): IntakeProblem | null {
  if (payload.payload_version === undefined) return { field: "payload_version", reason: "payload_version is missing" };
  if (!str(payload.notification_configuration_id)) return { field: "notification_configuration_id", reason: "notification_configuration_id is missing" };
  if (!isRunNotification(payload) || isTerraformVerification(payload)) return null;
  for (const field of ["run_id", "workspace_name", "organization_name"]) {
    if (!str(payload[field])) return { field, reason: `${field} is missing` };
  }
  const notifications = notificationsOf(payload);
  if (notifications.length === 0) return { field: "notifications", reason: "notifications must list at least one notification" };
  for (const [i, n] of notifications.entries()) {
    if (!str(n.trigger)) return { field: `notifications[${i}].trigger`, reason: `notifications[${i}].trigger is missing` };
    if (!terraformTime(n.run_updated_at)) return { field: `notifications[${i}].run_updated_at`, reason: `notifications[${i}].run_updated_at is not a time` };
  }
  return null;
}

/**
 * HCP Terraform sends no delivery id: a run notification is identified by its configuration, run, trigger and update
 * time (the same on every retry); anything else by the body's sha256.
 */
export function terraformDeliveryId(payload: Json, raw: Uint8Array): string {
  const first = notificationsOf(payload)[0];
  if (isRunNotification(payload) && first && str(payload.run_id))
    return `${String(payload.notification_configuration_id)}:${String(payload.run_id)}:${String(first.trigger)}:${String(first.run_updated_at)}`;
  return `sha256:${createHash("sha256").update(raw).digest("hex")}`;
}

export function terraformEventType(payload: Json): string {
  return str(notificationsOf(payload)[0]?.trigger) ?? str(payload.trigger) ?? "unknown";
}

export function terraformEventTime(payload: Json): Date | null {
  return terraformTime(notificationsOf(payload)[0]?.run_updated_at) ?? terraformTime(obj(obj(payload.details).new_assessment_result).created_at);
}

/** Environment names to try for a workspace, best first (see the header). */
export function terraformEnvironmentCandidates(payload: Json): string[] {
  const workspace = str(payload.workspace_name) ?? str(obj(payload.details).workspace_name) ?? "";
  const suffix = workspace.split(/[-_]/).pop() ?? "";
  return [suffix, workspace].filter(Boolean);
}

export function translateTerraform(payload: Json, receivedAt: Date): Array<CanonicalFact | DeliveryFact> {
  if (!isRunNotification(payload)) return [{ kind: "ignored", reason: `Terraform ${String(payload.trigger ?? "workspace")} notifications are not used` }];
  const workspace = str(payload.workspace_name) ?? "";
  const organization = str(payload.organization_name) ?? "";
  return notificationsOf(payload).map((n) => {
    const trigger = str(n.trigger) ?? "";
    const status = str(n.run_status) ?? trigger.replace(/^run:/, "");
    return {
      kind: "environmentChange" as const,
      change: {
        source: "terraform",
        externalId: `${String(payload.run_id)}:${trigger}:${String(n.run_updated_at)}`,
        kind: "infrastructure" as const,
        environmentName: workspace,
        serviceName: `${organization}/${workspace}`,
        status,
        summary: [str(n.message), str(payload.run_message)].filter(Boolean).join(": "),
        revision: String(payload.run_id),
        url: str(payload.run_url) ?? "",
        occurredAt: terraformTime(n.run_updated_at) ?? receivedAt,
      },
    };
  });
}
