// CPU used during a benchmark's measured phase: this process (process.cpuUsage) and the whole machine (/proc/stat,
// Linux), so a figure says where the time went — e.g. "2.1 ms CPU per call: 0.9 ms here, 1.2 ms elsewhere
// (Postgres, Redis, workers)". Elsewhere is everything else running on the machine, so run benchmarks on an
// otherwise idle machine.
import { readdirSync, readFileSync } from "node:fs";
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

/** CPU ms (user + system) a process has used so far, from /proc/<pid>/stat; 0 if it is gone or not on Linux. */
function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, USER_HZ ticks
  } catch {
    return 0;
  }
}

/** Postgres backends serving `database` (their command line names it), so other databases' work is not counted. */
export function postgresBackends(database: string): number[] {
  const pids: number[] = [];
  try {
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8");
        if (cmd.startsWith("postgres: ") && cmd.split(" ").includes(database)) pids.push(Number(entry));
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    // not Linux
  }
  return pids;
}

/**
 * CPU used by named groups of processes over a phase (e.g. workers, the benchmark database's Postgres backends,
 * Redis), so a figure does not depend on whatever else the machine is doing.
 */
export function processGroupsMeter(groups: Record<string, () => number[]>) {
  const read = () => Object.fromEntries(Object.entries(groups).map(([name, pids]) => [name, new Map(pids().map((p) => [p, processCpuMs(p)]))]));
  const start = read();
  return {
    stop() {
      const end = read();
      const used = Object.fromEntries(
        Object.entries(end).map(([name, pids]) => [name, [...pids].reduce((sum, [pid, ms]) => sum + ms - (start[name].get(pid) ?? 0), 0)]),
      );
      return {
        describe: (count: number, unit: string) =>
          Object.entries(used)
            .map(([name, ms]) => `${name} ${(ms / count).toFixed(2)}`)
            .join(", ") + ` ms CPU per ${unit}`,
      };
    },
  };
}
