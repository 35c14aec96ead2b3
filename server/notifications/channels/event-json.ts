// An event's JSON, written once per event object. One event goes to every route and channel it matches (each
// delivery row's payload and each webhook body carry it whole): its JSON is the larger part of both, so it is
// stringified once and spliced in. Event objects are never changed once routed, so the cached text stays true.
import type { PierEventShape } from "../../bus/events";

const texts = new WeakMap<PierEventShape, string>();

export function eventJson(event: PierEventShape): string {
  let text = texts.get(event);
  if (text === undefined) texts.set(event, (text = JSON.stringify(event)));
  return text;
}

/** JSON.stringify(value), with value.event written by eventJson (as the first key). */
export function jsonWithEvent<T extends { event: PierEventShape }>(value: T): string {
  const { event, ...rest } = value;
  const tail = JSON.stringify(rest);
  return tail === "{}" ? `{"event":${eventJson(event)}}` : `{"event":${eventJson(event)},${tail.slice(1)}`;
}
