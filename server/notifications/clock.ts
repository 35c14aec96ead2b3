// Time source for routing, grouping, quiet hours and escalation: tests move a fake clock instead of sleeping.
export type Clock = { now(): Date };

export const systemClock: Clock = { now: () => new Date() };

/** A clock tests set and advance by hand. */
export function fakeClock(start: Date | string = "2026-01-05T12:00:00Z") {
  let t = new Date(start).getTime();
  return {
    now: () => new Date(t),
    set(d: Date | string) {
      t = new Date(d).getTime();
    },
    advance(ms: number) {
      t += ms;
    },
  };
}
