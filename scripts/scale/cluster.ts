// Pier processes for bench:scale: N web processes (scripts/scale/web.ts, through scripts/bench-scale.ts with
// SCALE_ROLE=web) and M worker processes (`tsx workers/index.ts`, as `npm run workers`), each in its own process
// group so a SIGKILL takes the whole group (tsx runs the worker in a child process). CPU is read from /proc
// (utime + stime of every process in the groups), counted only after a process answered its health check, so
// start-up (transpiling) is not charged to the load.
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";

const ROOT = path.join(__dirname, "..", "..");
const TICK_MS = 10; // USER_HZ = 100

type PierKind = "web" | "worker";

export type PierProcess = {
  kind: PierKind;
  index: number;
  port: number;
  child: ChildProcess;
  ready: boolean;
  exited: boolean;
  /** The last lines it wrote to stderr/stdout (shown when it dies unexpectedly). */
  tail: string[];
};

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function httpStatus(url: string, timeoutMs = 2000): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(0));
  });
}

/** Reads utime+stime (ms) and the process group of every process on the machine. */
function readProcs(): Map<number, { pgrp: number; comm: string; cpuMs: number }> {
  const out = new Map<number, { pgrp: number; comm: string; cpuMs: number }>();
  for (const name of readdirSync("/proc")) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      const f = stat
        .slice(close + 2)
        .split(" ")
        .map(Number);
      out.set(pid, { pgrp: f[2], comm, cpuMs: (f[11] + f[12]) * TICK_MS });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

type ClusterEnv = Record<string, string>;

export class Cluster {
  readonly procs: PierProcess[] = [];
  /** CPU counted so far per phase: Pier processes, and Postgres + Redis (every such process on the machine). */
  readonly cpu = new Map<string, { pier: number; pierWeb: number; pierWorker: number; services: number }>();
  phase = "setup";
  private stopping = false;
  private last = new Map<number, number>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly env: ClusterEnv,
    private readonly log: (line: string) => void,
  ) {}

  async start(kind: PierKind, index: number): Promise<PierProcess> {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, ...this.env };
    let command: string;
    let args: string[];
    if (kind === "worker") {
      // SCALE_WORKER_NODE_ARGS: node flags for the worker processes, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" (then
      // node runs the worker with tsx as a loader, as the web processes do, instead of the tsx command).
      const extra = (process.env.SCALE_WORKER_NODE_ARGS ?? "").split(" ").filter(Boolean);
      command = extra.length > 0 ? process.execPath : path.join(ROOT, "node_modules", ".bin", "tsx");
      args = [...(extra.length > 0 ? [...extra, "--import", "tsx"] : []), path.join(ROOT, "workers", "index.ts")];
      env.PIER_WORKER_HEALTH_PORT = String(port);
      env.PIER_PROCESS = `pier-workers-${index}`;
    } else {
      command = process.execPath;
      // SCALE_WEB_NODE_ARGS: extra node flags for the web processes, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
      const extra = (process.env.SCALE_WEB_NODE_ARGS ?? "").split(" ").filter(Boolean);
      args = [...extra, "--import", "tsx", path.join(ROOT, "scripts", "bench-scale.ts")];
      env.SCALE_ROLE = "web";
      env.SCALE_WEB_PORT = String(port);
      env.PIER_PROCESS = `pier-web-${index}`;
    }
    const child = spawn(command, args, { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    const proc: PierProcess = { kind, index, port, child, ready: false, exited: false, tail: [] };
    const keep = (d: Buffer) => {
      proc.tail.push(...d.toString().split("\n").filter(Boolean));
      if (proc.tail.length > 20) proc.tail.splice(0, proc.tail.length - 20);
    };
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    child.once("exit", (code, signal) => {
      proc.exited = true;
      if (proc.ready && !this.stopping && signal !== "SIGKILL" && code !== 0)
        this.log(`${kind} ${index} exited (${code ?? signal}): ${proc.tail.slice(-5).join(" | ")}`);
    });
    this.procs.push(proc);
    const url = kind === "worker" ? `http://127.0.0.1:${port}/` : `http://127.0.0.1:${port}/api/health`;
    const deadline = Date.now() + 90_000;
    while ((await httpStatus(url)) !== 200) {
      if (proc.exited) throw new Error(`${kind} ${index} exited while starting: ${proc.tail.join("\n")}`);
      if (Date.now() > deadline) throw new Error(`${kind} ${index} did not answer ${url} within 90 s: ${proc.tail.join("\n")}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    // From here on its CPU counts: its baseline is taken now (the others' CPU so far is counted as usual).
    this.sample(true);
    proc.ready = true;
    return proc;
  }

  /** SIGKILL to the whole process group (no drain, no shutdown hooks). */
  kill(proc: PierProcess) {
    this.sample(true);
    proc.ready = false;
    try {
      process.kill(-proc.child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
  }

  startSampling(everyMs = 1000) {
    this.sample(false);
    this.timer = setInterval(() => this.sample(true), everyMs);
  }

  /** Adds every process's CPU since the previous sample to the current phase (`count` false: only move baselines). */
  sample(count: boolean) {
    const groups = new Map<number, PierProcess>();
    for (const p of this.procs) if (!p.exited && p.child.pid) groups.set(p.child.pid, p);
    const now = readProcs();
    const bucket = this.cpu.get(this.phase) ?? { pier: 0, pierWeb: 0, pierWorker: 0, services: 0 };
    for (const [pid, info] of now) {
      const owner = groups.get(info.pgrp);
      const service = info.comm === "postgres" || info.comm.startsWith("redis-server");
      if (!owner && !service) continue;
      const prev = this.last.get(pid);
      this.last.set(pid, info.cpuMs);
      if (!count || prev === undefined) continue;
      const delta = info.cpuMs - prev;
      if (owner) {
        if (!owner.ready) continue;
        bucket.pier += delta;
        if (owner.kind === "web") bucket.pierWeb += delta;
        else bucket.pierWorker += delta;
      } else bucket.services += delta;
    }
    // New Postgres backends: their CPU before this first sight is not known; counted from here.
    this.cpu.set(this.phase, bucket);
  }

  /** Closes the books of the current phase and opens `next`. */
  enterPhase(next: string) {
    this.sample(true);
    this.phase = next;
  }

  async stopAll() {
    clearInterval(this.timer);
    this.stopping = true;
    const alive = this.procs.filter((p) => !p.exited);
    for (const p of alive) {
      try {
        process.kill(-p.child.pid!, "SIGTERM");
      } catch {
        // gone
      }
    }
    const deadline = Date.now() + 25_000;
    while (alive.some((p) => !p.exited) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    this.killAll();
  }

  /** Last resort (test afterAll, errors): SIGKILL every group still alive. */
  killAll() {
    for (const p of this.procs) {
      if (p.exited || !p.child.pid) continue;
      try {
        process.kill(-p.child.pid, "SIGKILL");
      } catch {
        // gone
      }
    }
  }
}
