// CPU used during a benchmark's measured phase: this process (process.cpuUsage) and the whole machine (/proc/stat,
// Linux), so a figure says where the time went — e.g. "2.1 ms CPU per call: 0.9 ms here, 1.2 ms elsewhere
// (Postgres, Redis, workers)". Elsewhere is everything else running on the machine, so run benchmarks on an
// otherwise idle machine.
import { readFileSync } from "node:fs";
import os from "node:os";

function machineCpuMs(): number | null {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0];
    const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    const ticks = user + nice + system + irq + softirq + steal;
    return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

export function cpuMeter() {
  const ownStart = process.cpuUsage();
  const machineStart = machineCpuMs();
  const wallStart = performance.now();
  return {
    stop() {
      const own = process.cpuUsage(ownStart);
      const ownMs = (own.user + own.system) / 1000;
      const machineEnd = machineCpuMs();
      const machineMs = machineStart !== null && machineEnd !== null ? machineEnd - machineStart : null;
      const wallMs = performance.now() - wallStart;
      return {
        ownMs,
        machineMs,
        /** "X ms CPU per <unit>: Y here, Z elsewhere; machine N% busy" */
        describe(count: number, unit: string) {
          const per = (ms: number) => (ms / count).toFixed(2);
          if (machineMs === null) return `${per(ownMs)} ms CPU per ${unit} in this process`;
          const busy = (100 * machineMs) / (wallMs * os.availableParallelism());
          return `${per(machineMs)} ms CPU per ${unit} (${per(ownMs)} ms in this process, ${per(machineMs - ownMs)} ms elsewhere); machine ${busy.toFixed(0)}% busy`;
        },
      };
    },
  };
}
