// Short-lived in-process caches for configuration read on every event/delivery (routes, channels, templates,
// the allow-list). At 100+ events/s re-reading them per message costs more than the messages. An admin's change
// announces itself in its transaction (announceConfigChange): every process that listens drops its copies within
// milliseconds of the commit; CONFIG_CACHE_MS bounds staleness while a process's LISTEN connection is down.
import { announceInvalidation, onInvalidation, type Db, type Tx } from "../db";

export const CONFIG_CACHE_MS = 1000;

const CONFIG_TOPIC = "notification-config";

const entries = new Map<string, { until: number; value: Promise<unknown> }>();

export function cached<T>(key: string, load: () => Promise<T>, ttlMs = CONFIG_CACHE_MS): Promise<T> {
  if (ttlMs <= 0) return load();
  const now = Date.now();
  const hit = entries.get(key);
  if (hit && hit.until > now) return hit.value as Promise<T>;
  const value = load();
  entries.set(key, { until: now + ttlMs, value });
  // A failed load must not be served from the cache.
  value.catch(() => entries.delete(key));
  return value;
}

function forget(key: string) {
  entries.delete(key);
}

/**
 * After an admin changes a channel: drops this process's cached copies (the delivery's `channel:<id>` and the
 * routing config's channel list). Other processes (the workers) see the change when theirs expire.
 */
export function forgetChannel(id: string) {
  forget(`channel:${id}`);
  forget("routing-config");
}

/** In an admin's transaction (routes, channels, silences, templates, allow-list): every process drops its copies on commit. */
export function announceConfigChange(tx: Tx) {
  announceInvalidation(tx, CONFIG_TOPIC);
}

const listening = new WeakSet<Db>();

/** Subscribes this process (once per handle) to other processes' configuration changes; called by the hot paths. */
export function listenForConfigChanges(db: Db) {
  if (listening.has(db)) return;
  listening.add(db);
  onInvalidation(db, CONFIG_TOPIC, () => entries.clear());
}
