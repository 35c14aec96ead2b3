// The Jenkins Notification plugin's JSON (fixtures/jenkins/notification-plugin.job-completed.json): one POST per
// build phase (QUEUED, STARTED, COMPLETED, FINALIZED) with the job (name, url "job/<folder>/job/<name>/") and the
// build (number, phase, status SUCCESS/FAILURE/UNSTABLE/ABORTED/NOT_BUILT, scm, and in current versions timestamp
// and duration in milliseconds). The plugin has no signature and cannot set headers: the secret travels in the URL
// (?token=…, the endpoint kept as a Jenkins "secret text" credential), or as Authorization: Bearer from a proxy.
//   every phase → pipeline run "build:<job url><number>" (QUEUED queued, STARTED running, COMPLETED/FINALIZED by
//                 status: SUCCESS succeeded, FAILURE and UNSTABLE failed, ABORTED canceled, NOT_BUILT skipped)
//   COMPLETED of a job a service lists in pier.dev/jenkins-deploy-jobs ("<job full name>=<environment>, …")
//                 → a deployment of that service to that environment (./delivery-tools.ts)
// The delivery id is the build's url and phase: a retry of the same phase is the same delivery.
import { str } from "./canonical-facts";
import type { DeliveryFact } from "./delivery-facts";
import type { IntakeProblem } from "./gitlab-webhooks";
import { jenkinsJobFullName } from "./jenkins-cdevents";

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : {});

/** Admin → Integrations' test delivery (./test-delivery.ts) names this job: stored, not translated. */
export const JENKINS_TEST_JOB = "pier-test-delivery";

const PHASES = ["QUEUED", "STARTED", "COMPLETED", "FINALIZED"] as const;

export function jenkinsIntakeProblem(payload: Json): IntakeProblem | null {
  if (!str(payload.name)) return { field: "name", reason: "name is missing (the job's name)" };
  const build = obj(payload.build);
  if (payload.build === undefined) return { field: "build", reason: "build is missing" };
  if (typeof build.number !== "number" || !Number.isInteger(build.number)) return { field: "build.number", reason: "build.number must be an integer" };
  if (!(PHASES as readonly string[]).includes(String(build.phase))) return { field: "build.phase", reason: `build.phase must be one of ${PHASES.join(", ")}` };
  if (build.timestamp !== undefined && !jenkinsTime(build.timestamp)) return { field: "build.timestamp", reason: "build.timestamp must be epoch milliseconds" };
  return null;
}

function jenkinsTime(v: unknown): Date | null {
  return typeof v === "number" && Number.isFinite(v) && v >= 0 && v < 253_402_300_800_000 ? new Date(v) : null;
}

/** The job's full name ("folder/app"): from its url, else its name. */
export const jenkinsJobOf = (payload: Json): string => jenkinsJobFullName(payload.url) ?? str(payload.name) ?? "";

const buildKey = (payload: Json) => {
  const build = obj(payload.build);
  return str(build.url) ?? `${str(payload.url) ?? `job/${String(payload.name)}/`}${String(build.number)}/`;
};

export const jenkinsDeliveryId = (payload: Json): string => `${buildKey(payload)}:${String(obj(payload.build).phase)}`;
export const jenkinsEventType = (payload: Json): string => String(obj(payload.build).phase).toLowerCase();

/** When the phase happened: start time (+ duration once completed), null when this plugin version sends no time. */
export function jenkinsEventTime(payload: Json): Date | null {
  const build = obj(payload.build);
  const start = jenkinsTime(build.timestamp);
  if (!start) return null;
  const done = build.phase === "COMPLETED" || build.phase === "FINALIZED";
  return done && typeof build.duration === "number" && build.duration > 0 ? new Date(start.getTime() + build.duration) : start;
}

const STATUS: Record<string, "succeeded" | "failed" | "canceled" | "skipped"> = {
  SUCCESS: "succeeded",
  FAILURE: "failed",
  UNSTABLE: "failed",
  ABORTED: "canceled",
  NOT_BUILT: "skipped",
};

export function translateJenkins(payload: Json, receivedAt: Date): Array<DeliveryFact | { kind: "ignored"; reason: string }> {
  const build = obj(payload.build);
  if (payload.name === JENKINS_TEST_JOB) return [{ kind: "ignored", reason: "Pier's test delivery" }];
  const phase = String(build.phase);
  const done = phase === "COMPLETED" || phase === "FINALIZED";
  const status = phase === "QUEUED" ? "queued" : phase === "STARTED" ? "running" : STATUS[String(build.status)];
  if (!status) return [{ kind: "ignored", reason: `build status ${String(build.status ?? "(none)")} is unknown` }];
  const startedAt = jenkinsTime(build.timestamp);
  const at = jenkinsEventTime(payload) ?? receivedAt;
  const scm = obj(build.scm);
  return [
    {
      kind: "pipelineRun",
      run: {
        source: "jenkins",
        externalId: `build:${buildKey(payload)}`,
        kind: "pipeline",
        serviceName: jenkinsJobOf(payload),
        name: `${str(payload.name)} #${String(build.number)}`,
        status,
        ref: str(scm.branch) ?? "",
        sha: str(scm.commit) ?? "",
        url: str(build.full_url) ?? "",
        startedAt: startedAt ?? (phase === "STARTED" ? at : null),
        finishedAt: done ? at : null,
        updatedAt: at,
      },
    },
  ];
}
