// Cross-process cache invalidation over Postgres LISTEN/NOTIFY. A change that makes per-process caches stale
// announces a topic in its own transaction (`announceInvalidation(tx, topic)`: NOTIFY, delivered when it commits);
// every process listening on the same database runs its handlers for that topic within milliseconds. Each Db
// handle (one per process) listens on one dedicated connection of its own, opened when the first handler is added.
// While that connection is down (reconnecting every second), notifications are missed: on every (re)connect all
// handlers run, and the caches keep their own short expiry as the bound for that window.
// LISTEN needs a session of its own: behind PgBouncer in transaction mode, set DATABASE_LISTEN_URL to Postgres
// itself (or a session-mode pool); without it the caches fall back on their expiry.
//
// The same connection carries wake-ups: a loop that polls for work (the outbox dispatcher) registers `onWake` for a
// channel, and a process that just committed such work calls `wake` (see `Tx.wakeAfterCommit`): one NOTIFY sent after
// the commit, shared by every commit of the process within a few milliseconds. It is sent after COMMIT, not inside
// the transaction, because a transaction that NOTIFYs takes a database-wide lock through its commit (WAL flush
// included), serialising every such commit — a burst of thousands of small transactions would queue on it. A wake
// that is lost (listener reconnecting) costs only the loop's poll interval.
import pg from "pg";
import { sql } from "kysely";
import type { Db } from "./client";
import { deferredStatement, type Tx } from "./transaction";

const CHANNEL = "pier_invalidate";

type Listener = {
  handlers: Map<string, Set<() => void>>;
  /** Wake-up channels (each LISTENed to on this connection) and their handlers. */
  wakes: Map<string, Set<() => void>>;
  /** Leaderships this process holds (session advisory locks on this connection) and attempts in flight. */
  leads: Set<string>;
  trying: Map<string, Promise<void>>;
  client?: pg.Client;
  ready: Promise<void>;
  markReady: () => void;
  closed: boolean;
  retry?: NodeJS.Timeout;
};

const listeners = new WeakMap<Db, Listener>();

function runAll(l: Listener, topic?: string) {
  const sets = topic ? [l.handlers.get(topic)] : [...l.handlers.values(), ...l.wakes.values()];
  for (const set of sets) for (const h of set ?? []) h();
}

const WAKE_PREFIX = "pier_wake_";
const wakeChannel = (name: string) => {
  if (!/^[a-z_]+$/.test(name)) throw new Error(`wake channel names are lower-case letters and _: ${name}`);
  return WAKE_PREFIX + name;
};

function connect(db: Db, l: Listener) {
  if (l.closed) return;
  const client = new pg.Client({ connectionString: db.listenUrl, keepAlive: true, connectionTimeoutMillis: 5000 });
  l.client = client;
  const lost = () => {
    if (l.client !== client) return;
    l.client = undefined;
    l.leads.clear(); // the session's advisory locks end with it
    client.end().catch(() => undefined);
    if (!l.closed) l.retry = setTimeout(() => connect(db, l), 1000);
  };
  client.on("error", lost);
  client.on("end", lost);
  client.on("notification", (n) => {
    if (n.channel === CHANNEL && n.payload) runAll(l, n.payload);
    else for (const h of l.wakes.get(n.channel) ?? []) h();
  });
  client
    .connect()
    .then(() => client.query([CHANNEL, ...l.wakes.keys()].map((c) => `LISTEN ${c}`).join(";")))
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
    l = { handlers: new Map(), wakes: new Map(), leads: new Set(), trying: new Map(), ready, markReady, closed: false };
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

/**
 * Runs `handler` in this process soon after any process calls `wake(db, name)` (and after a reconnect, when wakes
 * may have been missed). For loops that poll: the poll stays as the fallback.
 */
export function onWake(db: Db, name: string, handler: () => void): () => void {
  const l = listenerOf(db);
  const channel = wakeChannel(name);
  let set = l.wakes.get(channel);
  if (!set) {
    l.wakes.set(channel, (set = new Set()));
    // Connected already: listen now (a connection still opening LISTENs to every channel once it is up).
    if (l.client) l.ready.then(() => l.client?.query(`LISTEN ${channel}`)).catch(() => undefined);
  }
  set.add(handler);
  return () => void set.delete(handler);
}

/** The advisory-lock class of leaderships (two-key form: (class, hashtext(name))). */
const LEAD_CLASS = 0x4c_45_41_44; // "LEAD"

/**
 * Whether this process leads `name` among all processes on the database: at most one does, holding a session
 * advisory lock on its listening connection, so a leader that dies (or loses that connection) frees it at once. A
 * process that does not lead tries to become leader in the background (answering false meanwhile): call it on
 * every tick of the loop it guards, and the first process to ask after the leader is gone takes over.
 */
export function leads(db: Db, name: string): boolean {
  const l = listenerOf(db);
  if (l.leads.has(name)) return true;
  const client = l.client;
  if (client && !l.trying.has(name)) {
    const attempt = l.ready
      .then(() => client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1::int, hashtext($2)) AS ok", [LEAD_CLASS, name]))
      .then((r) => {
        if (r.rows[0]?.ok && l.client === client) l.leads.add(name);
      })
      .catch(() => undefined)
      .finally(() => l.trying.delete(name));
    l.trying.set(name, attempt);
  }
  return false;
}

/** Gives up leading `name` (the loop it guarded stopped), so another process can take over. */
export async function resign(db: Db, name: string) {
  const l = listeners.get(db);
  if (!l) return;
  await l.trying.get(name);
  if (!l.leads.delete(name)) return;
  await l.client?.query("SELECT pg_advisory_unlock($1::int, hashtext($2))", [LEAD_CLASS, name]).catch(() => undefined);
}

/** The wakes this process has scheduled and not yet sent, per handle and channel. */
const scheduledWakes = new WeakMap<Db, Set<string>>();
/** How long a wake waits for more commits to share its NOTIFY. */
const WAKE_COALESCE_MS = 2;

/**
 * Wakes every process's `onWake(name)` handlers. Call it after the work is committed: the NOTIFY goes out at most
 * WAKE_COALESCE_MS later, so every commit before it is visible to the woken loop; calls meanwhile share it.
 */
export function wake(db: Db, name: string) {
  const channel = wakeChannel(name);
  let scheduled = scheduledWakes.get(db);
  if (!scheduled) scheduledWakes.set(db, (scheduled = new Set()));
  if (scheduled.has(channel)) return;
  scheduled.add(channel);
  setTimeout(() => {
    scheduled.delete(channel);
    // Best effort: a lost wake costs the poll interval.
    sql`SELECT pg_notify(${channel}, '')`.execute(db.kysely).catch(() => undefined);
  }, WAKE_COALESCE_MS);
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
