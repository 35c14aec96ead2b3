// One read shared by concurrent callers, never older than the call. A page every approver polls (the inbox) asks the
// database the same question many times a second; answering each caller with its own query costs a query each.
// Here a caller joins the next read that starts after it arrived, so what it gets reflects everything committed
// before it asked (no staleness, unlike a TTL cache), while at most one read runs at a time and reads start at
// most every `minIntervalMs`. Under load, callers wait at most one running read plus that interval.

type Waiting<T> = { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void };

function waiting<T>(): Waiting<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

export function sharedRead<T>(load: () => Promise<T>, minIntervalMs: number): () => Promise<T> {
  let running = false;
  let next: Waiting<T> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let lastStart = -Infinity;

  const start = () => {
    timer = null;
    const batch = next!;
    next = null;
    running = true;
    lastStart = performance.now();
    load()
      .then(batch.resolve, batch.reject)
      .finally(() => {
        running = false;
        if (next) schedule();
      });
  };
  const schedule = () => {
    if (running || timer) return;
    const wait = lastStart + minIntervalMs - performance.now();
    if (wait <= 0) start();
    // A timer may fire up to a millisecond early (whole milliseconds, measured from the event loop's cached clock):
    // check again when it does rather than start early.
    else
      timer = setTimeout(() => {
        timer = null;
        schedule();
      }, Math.ceil(wait));
  };
  return () => {
    next ??= waiting<T>();
    const { promise } = next;
    schedule();
    return promise;
  };
}

/** One shared read per key (e.g. per database client), made on first use. */
export function sharedReadPer<K extends object, T>(make: (key: K) => () => Promise<T>): (key: K) => Promise<T> {
  const reads = new WeakMap<K, () => Promise<T>>();
  return (key) => {
    let read = reads.get(key);
    if (!read) reads.set(key, (read = make(key)));
    return read();
  };
}
