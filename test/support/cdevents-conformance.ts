// The CDEvents spec's conformance examples (./cdevents-conformance, see its README) for tests, and the CloudEvents
// envelopes the CDEvents binding (cdevents/spec cloudevents-binding.md) puts around them.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

type Release = "v0.4.1" | "v0.5.1";
export const RELEASES: Release[] = ["v0.4.1", "v0.5.1"];
type Json = Record<string, unknown>;
export type ConformanceEvent = {
  context: Json & { id: string; type: string; timestamp: string; source: string };
  subject: Json & { id: string };
  [k: string]: unknown;
};

const DIR = path.join(__dirname, "cdevents-conformance");

/** The example files of a release ("service_deployed", …, "custom"). */
export function conformanceNames(release: Release): string[] {
  return readdirSync(path.join(DIR, release))
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.replace(/\.json$/, ""));
}

/** A fresh copy of one example; `id` replaces context.id (every example shares one id). */
export function conformance(release: Release, name: string, id?: string): ConformanceEvent {
  const event = JSON.parse(readFileSync(path.join(DIR, release, `${name}.json`), "utf8")) as ConformanceEvent;
  if (id) event.context.id = id;
  // The v0.4.1 tag's custom-event example still says "0.5.0-draft" (an unreleased version Pier refuses); as shipped
  // with v0.4.1 and validated by that release's custom schema it is a 0.4.1 event.
  if (release === "v0.4.1" && name === "custom") event.context.version = "0.4.1";
  return event;
}

/** Structured mode: the CloudEvent JSON whose data is the CDEvent and whose attributes the binding derives from it. */
export function structured(event: ConformanceEvent): Json {
  return {
    specversion: "1.0",
    id: event.context.id,
    source: event.context.source,
    type: event.context.type,
    subject: event.subject.id,
    time: event.context.timestamp,
    datacontenttype: "application/json",
    data: event,
  };
}

/** Binary mode: the ce-* headers of the binding's example (cloudevents-binding.md "Examples"); the body is the event. */
export function binaryHeaders(event: ConformanceEvent): Record<string, string> {
  return {
    "ce-specversion": "1.0",
    "ce-id": event.context.id,
    "ce-source": event.context.source,
    "ce-type": event.context.type,
    "ce-subject": event.subject.id,
    "ce-time": event.context.timestamp,
    "content-type": "application/json; charset=utf-8",
  };
}
