// A background loop for the worker process: runs `work` now and then every `intervalMs` after each run ends
// (never overlapping itself); stop() waits for a run in progress. A failing run is logged and retried next tick.
import { logger } from "../logger";

export function startPeriodic(name: string, intervalMs: number, work: () => Promise<unknown>): () => Promise<void> {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  const tick = async () => {
    if (stopped) return;
    running = work().catch((err) => logger.error({ err, loop: name }, `${name} failed`));
    await running;
    if (!stopped) timer = setTimeout(tick, intervalMs);
  };
  timer = setTimeout(tick, 0);
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    await running;
  };
}
