// Coalesces calls made within a few milliseconds into one batch call. With dozens of jobs in flight per process, one
// `WHERE id = ANY(...)` statement per tick costs a fraction of one statement per job (Prisma's JS engine spends
// far more CPU per query than Postgres does per row).

type Pending<I, O> = { input: I; resolve: (o: O) => void; reject: (e: unknown) => void };

/**
 * `run` gets the inputs gathered during `windowMs` (in call order) and returns one output per input, same order.
 * BullMQ hands a worker its jobs one Redis round trip at a time, so a window of a few ms (rather than one tick)
 * is what lets a batch fill up; a full batch goes at once.
 */
export function microBatcher<I, O>(run: (inputs: I[]) => Promise<O[]>, maxBatch = 500, windowMs = 3): (input: I) => Promise<O> {
  let queue: Pending<I, O>[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    const batch = queue;
    queue = [];
    for (let i = 0; i < batch.length; i += maxBatch) {
      const part = batch.slice(i, i + maxBatch);
      run(part.map((p) => p.input)).then(
        (outs) => part.forEach((p, j) => p.resolve(outs[j])),
        (err) => part.forEach((p) => p.reject(err)),
      );
    }
  };
  return (input) =>
    new Promise<O>((resolve, reject) => {
      queue.push({ input, resolve, reject });
      if (queue.length >= maxBatch) flush();
      else if (!timer) timer = setTimeout(flush, windowMs);
    });
}

/** One batcher per key (e.g. per database client), created on first use. */
export function perKey<K extends object, F>(make: (key: K) => F): (key: K) => F {
  const made = new WeakMap<K, F>();
  return (key) => {
    let f = made.get(key);
    if (!f) made.set(key, (f = make(key)));
    return f;
  };
}
