// The worker process labels its logs as itself: the name is set before server/logger.ts reads it. Run as a real
// process (workers/index.ts under tsx's loader, the module `npm run workers` runs), then stopped with SIGTERM.
import { spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";

describe("worker process logs", () => {
  it('are labelled "service":"pier-worker" from the first line', async () => {
    const root = path.resolve(__dirname, "..");
    // One process (node with tsx's loader), so the SIGTERM reaches the worker's own handler.
    const child = spawn(process.execPath, ["--import", "tsx", "workers/index.ts"], {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: "info", OUTBOX_POLL_MS: "1000" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: Record<string, unknown>[] = [];
    let buffered = "";
    child.stdout.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split("\n");
      buffered = parts.pop() ?? "";
      for (const p of parts) if (p.startsWith("{")) lines.push(JSON.parse(p) as Record<string, unknown>);
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const deadline = Date.now() + 25_000;
    while (!lines.some((l) => l.msg === "workers started")) {
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`worker did not start; logged: ${JSON.stringify(lines)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(lines.length).toBeGreaterThan(0);
    expect(new Set(lines.map((l) => l.service))).toEqual(new Set(["pier-worker"]));
    expect(lines.map((l) => l.msg)).toContain("workers stopped");
  }, 40_000);
});
