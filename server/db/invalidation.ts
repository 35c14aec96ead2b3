// Cross-process cache invalidation over Postgres LISTEN/NOTIFY. A change that makes per-process caches stale
// announces a topic in its own transaction (`announceInvalidation(tx, topic)`: NOTIFY, delivered when it commits);
// every process listening on the same database runs its handlers for that topic within milliseconds. Each Db
// handle (one per process) listens on one dedicated connection of its own, opened when the first handler is added.
// While that connection is down (reconnecting every second), notifications are missed: on every (re)connect all
// handlers run, and the caches keep their own short expiry as the bound for that window.
// LISTEN needs a session of its own: behind PgBouncer in transaction mode, set DATABASE_LISTEN_URL to Postgres
// itself (or a session-mode pool); without it the caches fall back on their expiry.
import pg from "pg";
import { sql } from "kysely";
import type { Db } from "./client";
import { deferredStatement, type Tx } from "./transaction";

const CHANNEL = "pier_invalidate";

type Listener = {
  handlers: Map<string, Set<() => void>>;
  client?: pg.Client;
  ready: Promise<void>;
  markReady: () => void;
  closed: boolean;
  retry?: NodeJS.Timeout;
};

const listeners = new WeakMap<Db, Listener>();

function runAll(l: Listener, topic?: string) {
  const sets = topic ? [l.handlers.get(topic)] : [...l.handlers.values()];
  for (const set of sets) for (const h of set ?? []) h();
}

function connect(db: Db, l: Listener) {
  if (l.closed) return;
  const client = new pg.Client({ connectionString: db.listenUrl, keepAlive: true, connectionTimeoutMillis: 5000 });
  l.client = client;
  const lost = () => {
    if (l.client !== client) return;
    l.client = undefined;
    client.end().catch(() => undefined);
    if (!l.closed) l.retry = setTimeout(() => connect(db, l), 1000);
  };
  client.on("error", lost);
  client.on("end", lost);
  client.on("notification", (n) => {
    if (n.channel === CHANNEL && n.payload) runAll(l, n.payload);
  });
  client
    .connect()
    .then(() => client.query(`LISTEN ${CHANNEL}`))
    .then(() => {
      // Whatever changed while we were not listening: drop everything once.
      runAll(l);
      l.markReady();
    })
    .catch(lost);
}

function listenerOf(db: Db): Listener {
  let l = listeners.get(db);
  if (!l) {
    let markReady!: () => void;
    const ready = new Promise<void>((r) => (markReady = r));
    l = { handlers: new Map(), ready, markReady, closed: false };
    listeners.set(db, l);
    connect(db, l);
  }
  return l;
}

/** Runs `handler` in this process whenever any process announces `topic` (and after a reconnect). */
export function onInvalidation(db: Db, topic: string, handler: () => void) {
  const l = listenerOf(db);
  let set = l.handlers.get(topic);
  if (!set) l.handlers.set(topic, (set = new Set()));
  set.add(handler);
}

/** Resolves once this handle listens (tests; a process need not wait). */
export function invalidationListening(db: Db): Promise<void> {
  return listenerOf(db).ready;
}

/** Tells every process that `topic`'s caches are stale, when this transaction commits. */
export function announceInvalidation(tx: Tx, topic: string) {
  tx.deferred.write(deferredStatement(sql`NOTIFY ${sql.raw(CHANNEL)}, ${sql.lit(topic)}`));
}

/** Closes the handle's listening connection (closeDb). */
export async function stopInvalidations(db: Db) {
  const l = listeners.get(db);
  if (!l) return;
  l.closed = true;
  clearTimeout(l.retry);
  const client = l.client;
  l.client = undefined;
  await client?.end().catch(() => undefined);
}
